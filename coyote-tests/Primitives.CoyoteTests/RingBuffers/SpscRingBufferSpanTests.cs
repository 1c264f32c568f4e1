using Primitives.CoyoteTests.Harness;
using Primitives.Internal;
using Primitives.RingBuffers;

using static Primitives.CoyoteTests.RingBuffers.RingTestShape;

namespace Primitives.CoyoteTests.RingBuffers;

/// <summary>
/// Systematic tests of the span members of <c>SpscRingBuffer&lt;T&gt;</c>: the producer fills write spans of up to
/// two slots after waiting for one free slot, the consumer alternately waits for two items and one (or completion) and
/// reads a read span in place; every item arrives once, in order, no slot is handed out twice, the n-item wait is always woken, and
/// the consumer's last span may still be outstanding when completion lands. Items are boxed so that a clearing
/// store that lands on a newer item shows as a missing item.
/// </summary>
/// <remarks>Every broken-order message starts with "order broken", which the seeded-fault tests expect.</remarks>
public sealed class SpscRingBufferSpanTests(ITestOutputHelper output)
{
    /// <summary>Items in the bodies that must find an overwrite: enough laps for the consumer's position to drift to
    /// one unread item behind an even tail while items remain to be written.</summary>
    private const int FaultItems = 8;

    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: through WaitToWrite(1) + GetWriteSpan(2) + AdvanceWrite and WaitToRead(2) + GetReadSpan +
    // AdvanceRead, alternately WaitToRead(1) (sync), the consumer reads 1..n in order, each once; WaitToRead(2) returns false only after
    // the producer completed and every item was read; neither side stays parked.
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Sync_spans_deliver_every_item_once_in_order(int capacity)
        => _coyote.Run(() => SpanBody(new SpscRingBuffer<object>(capacity), capacity + ExtraItems, isAsync: false), variant: $"capacity{capacity}");

    // Invariant: the same through WaitToWriteAsync(1) + GetWriteMemory and WaitToReadAsync(2) + GetReadMemory.
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Async_spans_deliver_every_item_once_in_order(int capacity)
        => _coyote.Run(() => SpanBody(new SpscRingBuffer<object>(capacity), capacity + ExtraItems, isAsync: true), variant: $"capacity{capacity}");

    [Fact]
    [SeededFault(FaultId.RingWriteSpanPastFreeSpace)]
    public void A_write_span_past_the_free_slots_is_found()
        => _coyote.ExpectFault(FaultId.RingWriteSpanPastFreeSpace, () => SpanBody(new SpscRingBuffer<object>(2), FaultItems, isAsync: false), "order broken");

    [Fact]
    [SeededFault(FaultId.RingAdvanceReadClearsAfterRelease)]
    public void Clearing_read_slots_after_freeing_them_is_found()
        => _coyote.ExpectFault(FaultId.RingAdvanceReadClearsAfterRelease, () => SpanBody(new SpscRingBuffer<object>(2), FaultItems, isAsync: false), "order broken");

    [Fact]
    [SeededFault(FaultId.RingNotifyDataOffByOne)]
    public void Sync_reader_of_n_items_woken_one_item_late_is_found()
        => _coyote.ExpectFault(FaultId.RingNotifyDataOffByOne, () => SpanBody(new SpscRingBuffer<object>(2), 2 + ExtraItems, isAsync: false), "Deadlock");

    [Fact]
    [SeededFault(FaultId.RingNotifyDataOffByOne)]
    public void Async_reader_of_n_items_woken_one_item_late_is_found()
        => _coyote.ExpectFault(FaultId.RingNotifyDataOffByOne, () => SpanBody(new SpscRingBuffer<object>(2), 2 + ExtraItems, isAsync: true), "Deadlock");

    private static async Task SpanBody(SpscRingBuffer<object> ring, int items, bool isAsync)
    {
        Task producer = CoyoteAssert.Run("producer", async () =>
        {
            int next = 1;
            while (next <= items)
            {
                Jitter.Steps(MaxJitter);
                bool room = isAsync ? await ring.WaitToWriteAsync(1) : ring.WaitToWrite(1);
                CoyoteAssert.True(room, "WaitToWrite(1) returned false on a ring that is not completed");
                Span<object> free = isAsync ? ring.GetWriteMemory(2).Span : ring.GetWriteSpan(2);
                CoyoteAssert.True(free.Length >= 1, "WaitToWrite(1) reported a free slot that GetWriteSpan did not hand out");
                int count = Math.Min(Math.Min(free.Length, 2), items - next + 1);
                for (int i = 0; i < count; i++)
                {
                    free[i] = next + i;
                }

                ring.AdvanceWrite(count);
                next += count;
            }

            ring.Complete();
        });

        Task consumer = CoyoteAssert.Run("consumer", async () =>
        {
            // Alternately waits for two items and consumes up to two, then for one and consumes one, so that the
            // consumer's position drifts against the wrap point and the producer's spans.
            int expected = 1;
            for (int wanted = 2; isAsync ? await ring.WaitToReadAsync(wanted) : ring.WaitToRead(wanted); wanted = 3 - wanted)
            {
                ReadOnlySpan<object> run = isAsync ? ring.GetReadMemory().Span : ring.GetReadSpan();
                CoyoteAssert.True(run.Length >= 1, "order broken: WaitToRead reported items that GetReadSpan did not hand out");
                int consumed = Math.Min(run.Length, wanted);
                for (int i = 0; i < consumed; i++, expected++)
                {
                    CoyoteAssert.True(run[i] is int value && value == expected, $"order broken: read {run[i] ?? "null"} where {expected} was due");
                }

                ring.AdvanceRead(consumed);
            }

            CoyoteAssert.True(expected == items + 1, $"order broken: the end was reported after {expected - 1} of {items} items");
        });

        await Task.WhenAll(new[] { producer, consumer });
        CoyoteAssert.True(!ring.TryRead(out object? extra), $"order broken: an item read twice or invented: {extra}");
    }
}
