using Primitives.CoyoteTests.Harness;
using Primitives.Internal;
using Primitives.RingBuffers;

using static Primitives.CoyoteTests.RingBuffers.RingTestShape;

namespace Primitives.CoyoteTests.RingBuffers;

/// <summary>
/// Systematic tests of the producer's N-slot waits of <c>SpscRingBuffer&lt;T&gt;</c>
/// (<c>WaitForFreeSlots</c>, <c>WaitForFreeSlotsAsync</c>: the waits of every iterator worker) and of the
/// consumer's side of them, <c>NotifySpace</c>, which wakes a parked producer only once the space it waits for
/// is free.
/// </summary>
/// <remarks>
/// The consumer frees exactly the slots the producer waits for and then stops reading, with items left in the
/// ring, until the producer has passed its wait: the iterator's consumer does the same when it moves on to
/// another worker's ring. So the read that frees the n-th slot is the only one that can wake the producer; a
/// consumer that drained the ring would wake any waiter (an empty ring has every slot free) and hide a wrong
/// threshold. Every broken-invariant message starts with "slots broken".
/// </remarks>
public sealed class SpscRingBufferSlotWaitTests(ITestOutputHelper output)
{
    private const int Capacity = 3;

    /// <summary>Scheduling points the consumer may let pass before it frees the slots of an async wait, which does
    /// not spin: a little more than its path to parking (the gate's announcement, re-check and signal).</summary>
    private const int MaxAsyncJitter = 40;

    /// <summary>
    /// The rounds: how many slots the producer waits for, and whether asynchronously. Each async wait for part of the
    /// ring (items stay in it) follows a wait for more slots, so that a threshold left over from the previous wait would
    /// be too high; waits for the whole ring (the consumer empties it) come in between. One sync wait only: its spin
    /// costs far more scheduling points than an async wait.
    /// </summary>
    private static readonly (int Slots, bool IsAsync)[] s_rounds =
        [(2, false), (1, true), (Capacity, true), (1, true), (Capacity, true), (2, true), (Capacity, true), (1, true)];

    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: a producer waiting (sync or async) for n free slots of a full ring is woken by the read that frees
    // the n-th slot, even when the consumer then stops reading with items left; when the wait returns, n slots are
    // free (a batch of n fits at once); every item is read once, in order, and the ring ends empty.
    [Fact]
    public void Slot_waits_wake_the_producer_once_the_slots_are_free() => _coyote.Run(SlotWaitBody);

    [Fact]
    [SeededFault(FaultId.RingAsyncSpaceNeededAfterAnnounce)]
    public void Async_slot_wait_storing_its_need_after_announcing_is_found()
        => _coyote.ExpectFault(FaultId.RingAsyncSpaceNeededAfterAnnounce, SlotWaitBody, "Deadlock");

    [Fact]
    [SeededFault(FaultId.RingNotifySpaceOffByOne)]
    public void Slot_wait_woken_one_slot_late_is_found()
        => _coyote.ExpectFault(FaultId.RingNotifySpaceOffByOne, SlotWaitBody, "Deadlock");

    private static async Task SlotWaitBody()
    {
        var ring = new SpscRingBuffer<int>(Capacity);
        using var passed = new SemaphoreSlim(0); // released by the producer once per round: "I got my slots" (parks at once: no spin to explore)
        int items = Capacity + s_rounds.Sum(round => round.Slots);
        CoyoteAssert.True(ring.TryWriteBatch(Enumerable.Range(1, Capacity).ToArray()) == Capacity, "slots broken: a new ring did not take a full batch");

        Task producer = CoyoteAssert.Run("producer", async () =>
        {
            int next = Capacity + 1;
            for (int round = 0; round < s_rounds.Length; round++)
            {
                (int slots, bool isAsync) = s_rounds[round];
                if (isAsync)
                {
                    await ring.WaitForFreeSlotsAsync(slots, CancellationToken.None);
                }
                else
                {
                    CoyoteAssert.True(ring.WaitForFreeSlots(slots, CancellationToken.None), "slots broken: WaitForFreeSlots returned false on a ring that is not completed");
                }

                int written = ring.TryWriteBatch(Enumerable.Range(next, slots).ToArray());
                CoyoteAssert.True(written == slots, $"slots broken: round {round} waited for {slots} free slots, but only {written} were free");
                next += slots;
                passed.Release();
            }

            ring.Complete();
        });

        Task consumer = CoyoteAssert.Run("consumer", () =>
        {
            int expected = 1;
            int[] batch = new int[Capacity];
            for (int round = 0; round < s_rounds.Length; round++)
            {
                (int slots, bool isAsync) = s_rounds[round];

                // Free exactly `slots` slots of the full ring: the read that frees the last of them comes after a
                // jitter, which lands it anywhere along the producer's wait (one Read, or Read + TryReadBatch).
                if (slots > 1)
                {
                    Expect(ring.Read(), ref expected);
                }

                Jitter.Steps(isAsync ? MaxAsyncJitter : MaxJitter);
                if (slots == 1)
                {
                    Expect(ring.Read(), ref expected);
                }
                else
                {
                    int read = ring.TryReadBatch(batch.AsSpan(0, slots - 1));
                    CoyoteAssert.True(read == slots - 1, $"slots broken: a full ring gave {read} of {slots - 1} items to TryReadBatch");
                    for (int i = 0; i < read; i++)
                    {
                        Expect(batch[i], ref expected);
                    }
                }

                passed.Wait(); // with items left in `ring`, until the producer got its slots
            }

            while (ring.WaitToRead())
            {
                CoyoteAssert.True(ring.TryRead(out int item), "slots broken: WaitToRead returned true, then TryRead found nothing");
                Expect(item, ref expected);
            }

            CoyoteAssert.True(expected == items + 1, $"slots broken: {expected - 1} of {items} items read");
        });

        await Task.WhenAll(new[] { producer, consumer });
    }

    private static void Expect(int item, ref int expected)
    {
        CoyoteAssert.True(item == expected, $"slots broken: read {item} where {expected} was due");
        expected++;
    }
}
