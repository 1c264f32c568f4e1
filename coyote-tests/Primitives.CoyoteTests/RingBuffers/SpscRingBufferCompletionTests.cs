using Primitives.CoyoteTests.Harness;
using Primitives.Internal;
using Primitives.RingBuffers;

using static Primitives.CoyoteTests.RingBuffers.RingTestShape;

namespace Primitives.CoyoteTests.RingBuffers;

/// <summary>
/// Systematic tests of completion in <c>SpscRingBuffer&lt;T&gt;</c>: the consumer receives every item
/// written before <c>Complete()</c>, and only then observes completion; never completion first, never a
/// hang, whether the consumer is running, spinning or parked when completion lands.
/// </summary>
/// <remarks>Every broken-invariant message starts with "completion broken", which the seeded-fault tests expect.</remarks>
public sealed class SpscRingBufferCompletionTests(ITestOutputHelper output)
{
    private readonly CoyoteHarness _coyote = new(output);

    // Invariant (sync): WaitToRead/TryRead drain 1..n in order; WaitToRead returns false only after the
    // last item was read; then Read throws InvalidOperationException and WaitToRead stays false. The
    // producer's writes after Complete throw, and a second Complete is harmless.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Sync_consumer_reads_every_item_then_sees_completion(int capacity)
        => _coyote.Run(() => SyncBody(new SpscRingBuffer<int>(capacity), capacity + ExtraItems), variant: $"capacity{capacity}");

    [Fact]
    [SeededFault(FaultId.RingNoWakeOnComplete)]
    public void Sync_reader_not_woken_on_completion_is_found()
        => _coyote.ExpectFault(FaultId.RingNoWakeOnComplete, () => SyncBody(new SpscRingBuffer<int>(1), 1 + ExtraItems), "Deadlock");

    [Fact]
    [SeededFault(FaultId.RingCompletionBeforeItems)]
    public void Sync_completion_reported_before_the_last_items_is_found()
        => _coyote.ExpectFault(FaultId.RingCompletionBeforeItems, () => SyncBody(new SpscRingBuffer<int>(1), 1 + ExtraItems), "completion broken");

    // Invariant (async): the same through WriteAsync, WaitToReadAsync and ReadAsync.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Async_consumer_reads_every_item_then_sees_completion(int capacity)
        => _coyote.Run(() => AsyncBody(new SpscRingBuffer<int>(capacity), capacity + ExtraItems), variant: $"capacity{capacity}");

    [Fact]
    [SeededFault(FaultId.RingNoWakeOnComplete)]
    public void Async_reader_not_woken_on_completion_is_found()
        => _coyote.ExpectFault(FaultId.RingNoWakeOnComplete, () => AsyncBody(new SpscRingBuffer<int>(1), 1 + ExtraItems), "Deadlock");

    [Fact]
    [SeededFault(FaultId.RingCompletionBeforeItems)]
    public void Async_completion_reported_before_the_last_items_is_found()
        => _coyote.ExpectFault(FaultId.RingCompletionBeforeItems, () => AsyncBody(new SpscRingBuffer<int>(1), 1 + ExtraItems), "completion broken");

    private static async Task SyncBody(SpscRingBuffer<int> ring, int items)
    {
        Task producer = CoyoteAssert.Run("producer", () =>
        {
            for (int item = 1; item <= items; item++)
            {
                ring.Write(item);
            }

            Jitter.Steps(MaxJitter);
            ring.Complete();
            CoyoteAssert.True(ring.IsCompleted, "completion broken: IsCompleted is false after Complete");
            CoyoteAssert.Throws<InvalidOperationException>(() => ring.TryWrite(-1), "completion broken: TryWrite after Complete");
            CoyoteAssert.Throws<InvalidOperationException>(() => ring.Write(-1), "completion broken: Write after Complete");
            ring.Complete(); // idempotent
        });

        Task consumer = CoyoteAssert.Run("consumer", () =>
        {
            int expected = 1;
            while (ring.WaitToRead())
            {
                CoyoteAssert.True(ring.TryRead(out int item), $"completion broken: WaitToRead returned true, then TryRead found nothing (next due {expected})");
                CoyoteAssert.True(item == expected, $"completion broken: read {item} where {expected} was due");
                expected++;
            }

            CoyoteAssert.True(expected == items + 1, $"completion broken: completion seen after {expected - 1} of {items} items");
            CoyoteAssert.True(ring.IsCompleted, "completion broken: WaitToRead returned false on a ring that is not completed");
            CoyoteAssert.Throws<InvalidOperationException>(() => ring.Read(), "completion broken: Read on a completed, drained ring");
            CoyoteAssert.True(!ring.WaitToRead(), "completion broken: WaitToRead true again after completion");
        });

        await Task.WhenAll(new[] { producer, consumer });
    }

    private static async Task AsyncBody(SpscRingBuffer<int> ring, int items)
    {
        Task producer = CoyoteAssert.Run("producer", async () =>
        {
            for (int item = 1; item <= items; item++)
            {
                await ring.WriteAsync(item);
            }

            Jitter.Steps(MaxJitter);
            ring.Complete();
            await CoyoteAssert.ThrowsAsync<InvalidOperationException>(async () => await ring.WriteAsync(-1), "completion broken: WriteAsync after Complete");
        });

        Task consumer = CoyoteAssert.Run("consumer", async () =>
        {
            // Alternate the two ways of reading: WaitToReadAsync + TryRead, and ReadAsync.
            int expected = 1;
            while (await ring.WaitToReadAsync())
            {
                int item;
                if (expected % 2 == 0)
                {
                    item = await ring.ReadAsync();
                }
                else
                {
                    CoyoteAssert.True(ring.TryRead(out item), $"completion broken: WaitToReadAsync returned true, then TryRead found nothing (next due {expected})");
                }

                CoyoteAssert.True(item == expected, $"completion broken: read {item} where {expected} was due");
                expected++;
            }

            CoyoteAssert.True(expected == items + 1, $"completion broken: completion seen after {expected - 1} of {items} items");
            await CoyoteAssert.ThrowsAsync<InvalidOperationException>(async () => await ring.ReadAsync(), "completion broken: ReadAsync on a completed, drained ring");
        });

        await Task.WhenAll(new[] { producer, consumer });
    }
}
