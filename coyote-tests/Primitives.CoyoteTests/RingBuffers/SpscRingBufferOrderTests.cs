using Primitives.CoyoteTests.Harness;
using Primitives.Internal;
using Primitives.RingBuffers;

using static Primitives.CoyoteTests.RingBuffers.RingTestShape;

namespace Primitives.CoyoteTests.RingBuffers;

/// <summary>
/// Systematic tests of <c>SpscRingBuffer&lt;T&gt;</c>: every item written is read exactly once, in order,
/// through the single, batch and blocking operations, for capacities 1, 2 and 3 (a ring whose slot array
/// is larger than its capacity) and a few items more than the capacity, so that every slot is reused.
/// Each body also runs with seeded faults turned on (<see cref="FaultId"/>), which Coyote must find.
/// </summary>
/// <remarks>Items are 1..n; a slot read before its store shows 0 (its default) or the item of the previous lap.
/// Every broken-order message starts with "order broken", which the seeded-fault tests expect.</remarks>
public sealed class SpscRingBufferOrderTests(ITestOutputHelper output)
{
    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: with TryWrite/TryPeek/TryRead, the consumer peeks and reads 1..n in order, each once,
    // and finds the ring empty afterwards; a peek shows the item the next read returns.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Try_operations_deliver_every_item_once_in_order(int capacity)
        => _coyote.Run(() => TryBody(new SpscRingBuffer<int>(capacity), capacity + ExtraItems), scale: 0.5, variant: $"capacity{capacity}");

    [Fact]
    [SeededFault(FaultId.RingPublishBeforeStore)]
    public void Publishing_before_the_store_is_found()
        => _coyote.ExpectFault(FaultId.RingPublishBeforeStore, () => TryBody(new SpscRingBuffer<int>(1), 1 + ExtraItems), "order broken");

    [Fact]
    [SeededFault(FaultId.RingReleaseHeadBeforeLoad)]
    public void Freeing_the_slot_before_loading_it_is_found()
        => _coyote.ExpectFault(FaultId.RingReleaseHeadBeforeLoad, () => TryBody(new SpscRingBuffer<int>(1), 1 + ExtraItems), "order broken");

    // Invariant: with TryWriteBatch (chunks of 2, partial writes resumed) and TryReadBatch (2 at a time),
    // the consumer receives 1..n in order, each once, across the wrap point of the slot array.
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Batch_operations_deliver_every_item_once_in_order(int capacity)
        => _coyote.Run(() => BatchBody(new SpscRingBuffer<int>(capacity), capacity + ExtraItems), scale: 0.5, variant: $"capacity{capacity}");

    [Fact]
    [SeededFault(FaultId.RingBatchPublishBeforeCopy)]
    public void Publishing_a_batch_before_copying_it_is_found()
        => _coyote.ExpectFault(FaultId.RingBatchPublishBeforeCopy, () => BatchBody(new SpscRingBuffer<int>(2), 2 + ExtraItems), "order broken");

    // Invariant: with the blocking Write/Read and WriteBatch/WaitToRead+TryReadBatch, every item is
    // delivered once, in order, and neither side stays parked: a parked reader is released by the
    // producer's progress, and a parked writer by the consumer's once the space it waits for (one slot,
    // or a whole batch) is free (no lost wake-up, no livelock).
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Blocking_operations_deliver_every_item_once_in_order(int capacity)
        => _coyote.Run(() => BlockingBody(new SpscRingBuffer<int>(capacity), capacity, capacity + ExtraItems), variant: $"capacity{capacity}");

    [Fact]
    [SeededFault(FaultId.GateAnnounceAfterRecheck)]
    public void Blocking_gate_announcing_after_the_recheck_is_found()
        => _coyote.ExpectFault(FaultId.GateAnnounceAfterRecheck, () => BlockingBody(new SpscRingBuffer<int>(1), 1, 1 + ExtraItems), "Deadlock");

    [Fact]
    [SeededFault(FaultId.RingNeverRefreshCachedHead)]
    public void Blocking_producer_that_never_refreshes_its_cached_head_is_found()
        => _coyote.ExpectFault(FaultId.RingNeverRefreshCachedHead, () => BlockingBody(new SpscRingBuffer<int>(1), 1, 1 + ExtraItems), "Scheduling steps bound");

    [Fact]
    [SeededFault(FaultId.RingNotifySpaceOffByOne)]
    public void Blocking_producer_woken_one_slot_late_is_found()
        => _coyote.ExpectFault(FaultId.RingNotifySpaceOffByOne, () => BlockingBody(new SpscRingBuffer<int>(2), 2, 2 + ExtraItems), "Deadlock");

    private static async Task TryBody(SpscRingBuffer<int> ring, int items)
    {
        Task producer = CoyoteAssert.Run("producer", () =>
        {
            for (int item = 1; item <= items; item++)
            {
                while (!ring.TryWrite(item))
                {
                    Thread.Yield();
                }
            }
        });

        Task consumer = CoyoteAssert.Run("consumer", () =>
        {
            for (int expected = 1; expected <= items; expected++)
            {
                int peeked;
                while (!ring.TryPeek(out peeked))
                {
                    Thread.Yield();
                }

                CoyoteAssert.True(ring.TryRead(out int read), $"order broken: peeked {peeked}, then TryRead found nothing");
                CoyoteAssert.True(peeked == read, $"order broken: peeked {peeked} but read {read}");
                CoyoteAssert.True(read == expected, $"order broken: read {read} where {expected} was due");
            }
        });

        await Task.WhenAll(new[] { producer, consumer });
        CoyoteAssert.True(!ring.TryRead(out int extra), $"order broken: an item read twice or invented: {extra}");
    }

    private static async Task BatchBody(SpscRingBuffer<int> ring, int items)
    {
        Task producer = CoyoteAssert.Run("producer", () =>
        {
            int[] all = Enumerable.Range(1, items).ToArray();
            int next = 0;
            while (next < items)
            {
                int written = ring.TryWriteBatch(all.AsSpan(next, Math.Min(2, items - next)));
                next += written;
                if (written == 0)
                {
                    Thread.Yield();
                }
            }
        });

        Task consumer = CoyoteAssert.Run("consumer", () =>
        {
            int[] destination = new int[2];
            int expected = 1;
            while (expected <= items)
            {
                int read = ring.TryReadBatch(destination);
                for (int i = 0; i < read; i++, expected++)
                {
                    CoyoteAssert.True(destination[i] == expected, $"order broken: read {destination[i]} where {expected} was due");
                }

                if (read == 0)
                {
                    Thread.Yield();
                }
            }
        });

        await Task.WhenAll(new[] { producer, consumer });
        CoyoteAssert.True(!ring.TryRead(out int extra), $"order broken: an item read twice or invented: {extra}");
    }

    private static async Task BlockingBody(SpscRingBuffer<int> ring, int capacity, int items)
    {
        // The producer alternates Write with WriteBatch of up to two items (a batch writer parks until the
        // whole batch fits); the consumer alternates Read with WaitToRead + TryReadBatch, so that every kind
        // of wait parks on both gates.
        Task producer = CoyoteAssert.Run("producer", () =>
        {
            int item = 1;
            for (bool batch = false; item <= items; batch = !batch)
            {
                Jitter.Steps(MaxJitter);
                if (batch)
                {
                    int count = Math.Min(Math.Min(capacity, 2), items - item + 1);
                    ring.WriteBatch(Enumerable.Range(item, count).ToArray());
                    item += count;
                }
                else
                {
                    ring.Write(item++);
                }
            }
        });

        Task consumer = CoyoteAssert.Run("consumer", () =>
        {
            int[] destination = new int[1];
            for (int expected = 1; expected <= items; expected++)
            {
                int read;
                if (expected % 2 == 0)
                {
                    CoyoteAssert.True(ring.WaitToRead(), "WaitToRead returned false on a ring that is not completed");
                    CoyoteAssert.True(ring.TryReadBatch(destination) == 1, "WaitToRead reported an item that TryReadBatch did not find");
                    read = destination[0];
                }
                else
                {
                    read = ring.Read();
                }

                CoyoteAssert.True(read == expected, $"order broken: read {read} where {expected} was due");
            }
        });

        await Task.WhenAll(new[] { producer, consumer });
        CoyoteAssert.True(!ring.TryRead(out int extra), $"order broken: an item read twice or invented: {extra}");
    }
}
