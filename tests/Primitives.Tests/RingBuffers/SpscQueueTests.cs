using System.Runtime.CompilerServices;
using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>
/// <see cref="SpscQueue{T}"/> on one thread (plus a helper thread for the waits): order across segment boundaries, a
/// randomized model check, the spare-segment rule, spans, completion, cancellation, reference clearing, bad
/// arguments and the debugger display. Small segment lengths (the internal constructor) put a boundary every few items.
/// </summary>
public class SpscQueueTests
{
    private static readonly TimeSpan StillBlocked = TimeSpan.FromMilliseconds(100);

    public static TheoryData<int, int> SegmentShapes => new() { { 1, 1 }, { 2, 8 }, { 3, 3 }, { SpscQueue<int>.MinSegmentLength, 1 << 13 } };

    [Theory]
    [MemberData(nameof(SegmentShapes))]
    public void Items_come_out_in_order_across_many_segments(int first, int max)
    {
        var queue = new SpscQueue<int>(first, max);
        for (int lap = 0; lap < 3; lap++)
        {
            for (int i = 0; i < 1000; i++)
            {
                Assert.True(queue.TryWrite(i));
            }

            Assert.Equal(1000, queue.Count);
            for (int i = 0; i < 1000; i++)
            {
                Assert.True(queue.TryPeek(out int peeked));
                Assert.Equal(i, peeked);
                Assert.Equal(i, queue.Read());
            }

            Assert.True(queue.IsEmpty);
            Assert.False(queue.TryRead(out _));
        }
    }

    [Theory]
    [MemberData(nameof(SegmentShapes))]
    public void Random_operations_match_a_queue(int first, int max)
    {
        var queue = new SpscQueue<int>(first, max);
        var model = new Queue<int>();
        var random = new Random(first * 1000 + max);
        int next = 0;
        var buffer = new int[7];
        for (int step = 0; step < 20_000; step++)
        {
            switch (random.Next(6))
            {
                case 0:
                    queue.Write(next);
                    model.Enqueue(next++);
                    break;
                case 1:
                    int[] batch = Enumerable.Range(next, random.Next(0, 9)).ToArray();
                    queue.WriteBatch(batch);
                    foreach (int item in batch)
                    {
                        model.Enqueue(item);
                    }

                    next += batch.Length;
                    break;
                case 2:
                    Assert.Equal(model.TryDequeue(out int expected), queue.TryRead(out int actual));
                    Assert.Equal(expected, actual);
                    break;
                case 3:
                    int read = queue.TryReadBatch(buffer.AsSpan(0, random.Next(0, buffer.Length + 1)));
                    for (int i = 0; i < read; i++)
                    {
                        Assert.Equal(model.Dequeue(), buffer[i]);
                    }

                    break;
                case 4:
                    ReadOnlySpan<int> run = queue.GetReadSpan();
                    int consumed = random.Next(0, run.Length + 1);
                    for (int i = 0; i < consumed; i++)
                    {
                        Assert.Equal(model.Dequeue(), run[i]);
                    }

                    queue.AdvanceRead(consumed);
                    break;
                default:
                    Assert.Equal(model.TryPeek(out int head), queue.TryPeek(out int peeked));
                    Assert.Equal(head, peeked);
                    break;
            }

            Assert.Equal(model.Count, queue.Count);
        }
    }

    [Fact]
    public void A_drained_queue_keeps_its_segment_and_at_most_one_spare()
    {
        var queue = new SpscQueue<long>(4, 4);
        for (int i = 0; i < 10_000; i++)
        {
            queue.Write(i); // a burst: 2,500 segments
        }

        Assert.Equal(2_500, queue.RetainedSegments);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.Equal(i, queue.Read());
        }

        Assert.True(queue.RetainedSegments <= 2, $"a drained queue holds {queue.RetainedSegments} segments");
        for (int lap = 0; lap < 100; lap++)
        {
            queue.WriteBatch([1, 2, 3, 4, 5, 6]); // a steady flow reuses the spare
            Assert.Equal(6, queue.TryReadBatch(new long[6]));
            Assert.True(queue.RetainedSegments <= 3, $"a steady flow holds {queue.RetainedSegments} segments");
        }
    }

    [Fact]
    public void Read_spans_stop_at_the_end_of_a_segment()
    {
        var queue = new SpscQueue<int>(4, 4);
        queue.WriteBatch([0, 1, 2, 3, 4, 5, 6]);
        Assert.Equal([0, 1, 2, 3], queue.GetReadSpan().ToArray());
        queue.AdvanceRead(3);
        Assert.Equal([3], queue.GetReadMemory().ToArray());
        queue.AdvanceRead(1);
        Assert.Equal([4, 5, 6], queue.GetReadSpan().ToArray()); // the next segment
        queue.AdvanceRead(3);
        Assert.Equal(0, queue.GetReadSpan().Length);
        queue.AdvanceRead(0);
    }

    [Fact]
    public void Advancing_wrongly_throws_and_changes_nothing()
    {
        var queue = new SpscQueue<int>(4, 4);
        queue.WriteBatch([1, 2, 3]);
        Assert.Equal(2, SpanReads.AdvancingWronglyThrows(new QueueReader<int>(queue)));
    }

    [Fact]
    public async Task Completion_ends_reads_after_the_last_item_and_refuses_writes()
    {
        var queue = new SpscQueue<int>();
        queue.WriteBatch([1, 2]);
        ReadOnlySpan<int> run = queue.GetReadSpan();
        queue.Complete();
        queue.Complete(); // idempotent
        Assert.True(queue.IsCompleted);
        Assert.Equal(2, run.Length); // an outstanding read span stays readable
        queue.AdvanceRead(1);
        Assert.Throws<InvalidOperationException>(() => queue.Write(3));
        Assert.Throws<InvalidOperationException>(() => queue.TryWrite(3));
        Assert.Throws<InvalidOperationException>(() => queue.WriteBatch([3]));
        Assert.False(await queue.WaitToWriteAsync());
        Assert.True(queue.WaitToRead(5)); // completed: true while any item remains
        Assert.True(await queue.WaitToReadAsync(5));
        Assert.Equal(2, await queue.ReadAsync());
        Assert.False(queue.WaitToRead());
        Assert.False(await queue.WaitToReadAsync());
        Assert.Throws<InvalidOperationException>(() => queue.Read());
        await Assert.ThrowsAsync<InvalidOperationException>(() => queue.ReadAsync().AsTask());
    }

    [Fact]
    public async Task Waiting_readers_are_released_by_items_completion_and_cancellation()
    {
        var queue = new SpscQueue<int>(2, 2);
        Task<int> reader = TwoThreads.StartThread(() => Assert.True(queue.WaitToRead(3))).ContinueWith(_ => 0, TaskScheduler.Default);
        queue.Write(1);
        queue.Write(2);
        await Task.Delay(StillBlocked);
        Assert.False(reader.IsCompleted, "released with two of three items");
        queue.Write(3); // the first item of a new segment
        await reader.WaitAsync(TwoThreads.Timeout);
        Assert.Equal(3, queue.TryReadBatch(new int[3]));

        using (var cts = new CancellationTokenSource())
        {
            ValueTask<int> read = queue.ReadAsync(cts.Token);
            Task blocked = TwoThreads.StartThread(() => Assert.Throws<OperationCanceledException>(() => queue.WaitToRead(1, cts.Token)));
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.AsTask()).WaitAsync(TwoThreads.Timeout);
            await blocked.WaitAsync(TwoThreads.Timeout);
            Assert.Throws<OperationCanceledException>(() => queue.Read(cts.Token));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.WaitToWriteAsync(cts.Token).AsTask());
        }

        ValueTask<bool> pending = queue.WaitToReadAsync(2);
        queue.Write(4);
        Assert.False(pending.IsCompleted);
        queue.Complete();
        Assert.True(await pending.AsTask().WaitAsync(TwoThreads.Timeout)); // one item left
        Assert.Equal(4, queue.Read());
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        var queue = new SpscQueue<int>();
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.WaitToRead(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = queue.WaitToReadAsync(-1).AsTask(); }); // thrown synchronously
    }

    [Fact]
    public void Consumed_reference_slots_are_cleared()
    {
        var queue = new SpscQueue<object>(2, 2);
        WeakReference[] weak = WriteAndConsumeThreeWays(queue);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.All(weak, w => Assert.False(w.IsAlive));
    }

    [Fact]
    public void The_debugger_shows_count_completion_and_the_items()
    {
        var queue = new SpscQueue<int>(2, 2);
        queue.WriteBatch([5, 6, 7, 8, 9]);
        Assert.True(queue.TryRead(out _));
        DebuggerDisplayAssert.Shows(queue, "Count = 4, IsCompleted = False");
        Assert.Equal([6, 7, 8, 9], DebuggerDisplayAssert.ProxyItems<int>(queue));
        queue.Complete();
        DebuggerDisplayAssert.Shows(queue, "Count = 4, IsCompleted = True");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference[] WriteAndConsumeThreeWays(SpscQueue<object> queue)
    {
        object[] items = [new object(), new object(), new object(), new object(), new object()];
        queue.WriteBatch(items);
        Assert.True(queue.TryRead(out _));
        Assert.Equal(2, queue.TryReadBatch(new object[2]));
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(1, queue.GetReadSpan().Length); // segments of two: the fourth item ends one, the fifth is alone in the next
            queue.AdvanceRead(1);
        }

        return [.. items.Select(item => new WeakReference(item))];
    }
}
