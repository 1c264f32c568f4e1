using Primitives.CoyoteTests.Harness;
using Primitives.Internal;
using Primitives.RingBuffers;

using static Primitives.CoyoteTests.RingBuffers.RingTestShape;

namespace Primitives.CoyoteTests.RingBuffers;

/// <summary>
/// Systematic tests of <c>SpscQueue&lt;T&gt;</c> with segments of one or two slots, so that nearly every item crosses a
/// segment hand-over (link, leave, spare reuse), the classic place for an unbounded queue to lose an item: every item
/// written is read exactly once, in order, through single, batch, span, blocking and asynchronous operations; and in a
/// ping-pong, where each side parks on every item, no wake-up is lost. Items are boxed, so a slot cleared or reused
/// too early shows as a wrong or missing item.
/// </summary>
/// <remarks>Every broken-order message starts with "order broken", which the seeded-fault tests expect.</remarks>
public sealed class SpscQueueTests(ITestOutputHelper output)
{
    private const int Items = 6;

    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: the producer alternates Write and WriteBatch of two; the consumer cycles through Read,
    // WaitToRead + TryReadBatch, and WaitToRead(2) + GetReadSpan + AdvanceRead, then sees completion; it reads
    // 1..n in order, each once, and WaitToRead returns false only after the last item.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Sync_operations_deliver_every_item_once_in_order(int segmentLength)
        => _coyote.Run(() => OrderBody(new SpscQueue<object>(segmentLength, segmentLength), isAsync: false), variant: $"segment{segmentLength}");

    // Invariant: the same with ReadAsync, WaitToReadAsync + TryReadBatch and WaitToReadAsync(2) + GetReadMemory.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Async_operations_deliver_every_item_once_in_order(int segmentLength)
        => _coyote.Run(() => OrderBody(new SpscQueue<object>(segmentLength, segmentLength), isAsync: true), variant: $"segment{segmentLength}");

    [Fact]
    [SeededFault(FaultId.QueueSpareIsNextSegment)]
    public void Handing_over_the_wrong_segment_is_found()
        => _coyote.ExpectFault(FaultId.QueueSpareIsNextSegment, () => OrderBody(new SpscQueue<object>(2, 2), isAsync: false), "order broken");

    // Invariant: with Write and a polling consumer (TryPeek, TryRead, yielding when empty), the consumer reads 1..n
    // in order, each once; it follows each segment link as soon as the item beyond it is published.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Try_operations_deliver_every_item_once_in_order(int segmentLength)
        => _coyote.Run(() => TryBody(new SpscQueue<object>(segmentLength, segmentLength)), scale: 0.5, variant: $"segment{segmentLength}");

    [Fact]
    [SeededFault(FaultId.QueuePublishBeforeLink)]
    public void Publishing_into_a_segment_before_linking_it_is_found()
        => _coyote.ExpectFault(FaultId.QueuePublishBeforeLink, () => TryBody(new SpscQueue<object>(1, 1)), "no successor");

    // Invariant: two queues in a ping-pong (each item is echoed back before the next is written), so both sides
    // park on nearly every item; every wait is woken (no deadlock) and every item returns in order.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ping_pong_never_loses_a_wake_up(bool isAsync)
        => _coyote.Run(() => PingPongBody(isAsync), variant: isAsync ? "async" : "sync");

    [Fact]
    [SeededFault(FaultId.QueueNoWakeOnNewSegment)]
    public void Sync_new_segment_published_without_a_wake_up_is_found()
        => _coyote.ExpectFault(FaultId.QueueNoWakeOnNewSegment, () => PingPongBody(isAsync: false), "Deadlock");

    [Fact]
    [SeededFault(FaultId.QueueNoWakeOnNewSegment)]
    public void Async_new_segment_published_without_a_wake_up_is_found()
        => _coyote.ExpectFault(FaultId.QueueNoWakeOnNewSegment, () => PingPongBody(isAsync: true), "Deadlock");

    private static async Task OrderBody(SpscQueue<object> queue, bool isAsync)
    {
        Task producer = CoyoteAssert.Run("producer", () =>
        {
            int item = 1;
            for (bool batch = false; item <= Items; batch = !batch)
            {
                Jitter.Steps(MaxJitter);
                if (batch && item < Items)
                {
                    queue.WriteBatch(new object[] { item, item + 1 });
                    item += 2;
                }
                else
                {
                    queue.Write(item++);
                }
            }

            queue.Complete();
        });

        Task consumer = CoyoteAssert.Run("consumer", async () =>
        {
            int expected = 1;
            var destination = new object[2];
            for (int round = 0; ; round++)
            {
                if (round % 3 == 0)
                {
                    if (!(isAsync ? await queue.WaitToReadAsync() : queue.WaitToRead()))
                    {
                        break;
                    }

                    object item = isAsync ? await queue.ReadAsync() : queue.Read();
                    Check(item, expected++);
                }
                else if (round % 3 == 1)
                {
                    if (!(isAsync ? await queue.WaitToReadAsync() : queue.WaitToRead()))
                    {
                        break;
                    }

                    int read = queue.TryReadBatch(destination);
                    CoyoteAssert.True(read >= 1, "order broken: WaitToRead reported an item that TryReadBatch did not find");
                    for (int i = 0; i < read; i++)
                    {
                        Check(destination[i], expected++);
                    }
                }
                else
                {
                    if (!(isAsync ? await queue.WaitToReadAsync(2) : queue.WaitToRead(2)))
                    {
                        break;
                    }

                    ReadOnlySpan<object> run = isAsync ? queue.GetReadMemory().Span : queue.GetReadSpan();
                    CoyoteAssert.True(run.Length >= 1, "order broken: WaitToRead(2) reported items that GetReadSpan did not hand out");
                    for (int i = 0; i < run.Length; i++)
                    {
                        Check(run[i], expected++);
                    }

                    queue.AdvanceRead(run.Length);
                }
            }

            CoyoteAssert.True(expected == Items + 1, $"order broken: the end was reported after {expected - 1} of {Items} items");
        });

        await Task.WhenAll(new[] { producer, consumer });
        CoyoteAssert.True(!queue.TryRead(out object? extra), $"order broken: an item read twice or invented: {extra}");
    }

    private static async Task TryBody(SpscQueue<object> queue)
    {
        Task producer = CoyoteAssert.Run("producer", () =>
        {
            for (int item = 1; item <= Items; item++)
            {
                queue.Write(item);
            }
        });

        Task consumer = CoyoteAssert.Run("consumer", () =>
        {
            for (int expected = 1; expected <= Items; expected++)
            {
                object? peeked;
                while (!queue.TryPeek(out peeked))
                {
                    Thread.Yield();
                }

                CoyoteAssert.True(queue.TryRead(out object? read) && ReferenceEquals(read, peeked), $"order broken: peeked {peeked}, then read {read}");
                Check(read, expected);
            }
        });

        await Task.WhenAll(new[] { producer, consumer });
        CoyoteAssert.True(!queue.TryRead(out object? extra), $"order broken: an item read twice or invented: {extra}");
    }

    private static async Task PingPongBody(bool isAsync)
    {
        var ping = new SpscQueue<object>(1, 1);
        var pong = new SpscQueue<object>(2, 2);
        Task left = CoyoteAssert.Run("left", async () =>
        {
            for (int item = 1; item <= Items; item++)
            {
                Jitter.Steps(MaxJitter);
                ping.Write(item);
                object echo = isAsync ? await pong.ReadAsync() : pong.Read();
                Check(echo, item);
            }

            ping.Complete();
        });

        Task right = CoyoteAssert.Run("right", async () =>
        {
            while (isAsync ? await ping.WaitToReadAsync() : ping.WaitToRead())
            {
                CoyoteAssert.True(ping.TryRead(out object? item), "order broken: WaitToRead reported an item that TryRead did not find");
                pong.Write(item!);
            }
        });

        await Task.WhenAll(new[] { left, right });
    }

    private static void Check(object? item, int expected) =>
        CoyoteAssert.True(item is int value && value == expected, $"order broken: read {item ?? "null"} where {expected} was due");
}
