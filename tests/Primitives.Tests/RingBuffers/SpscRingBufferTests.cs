using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>Single-threaded behaviour: order, capacity, wrap-around, batches, peek, arguments.</summary>
public class SpscRingBufferTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(100)]
    public void Full_at_exactly_the_requested_capacity(int capacity)
    {
        var ring = new SpscRingBuffer<int>(capacity);
        Assert.Equal(capacity, ring.Capacity);
        Assert.True(ring.IsEmpty);
        for (int i = 0; i < capacity; i++)
        {
            Assert.True(ring.TryWrite(i));
            Assert.Equal(i + 1, ring.Count);
        }

        Assert.False(ring.TryWrite(-1));
        Assert.Equal(0, ring.TryWriteBatch([-1, -2]));
        Assert.Equal(capacity, ring.Count);
        Assert.True(ring.TryRead(out int first));
        Assert.Equal(0, first);
        Assert.True(ring.TryWrite(capacity));
        Assert.False(ring.TryWrite(-1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(16)]
    public void Fifo_order_across_many_wraps(int capacity)
    {
        var ring = new SpscRingBuffer<int>(capacity);
        int next = 0, expected = 0;
        for (int round = 0; round < 50; round++)
        {
            int toWrite = 1 + (round % capacity);
            for (int i = 0; i < toWrite; i++)
            {
                Assert.True(ring.TryWrite(next++));
            }

            while (ring.TryRead(out int item))
            {
                Assert.Equal(expected++, item);
            }
        }

        Assert.Equal(next, expected);
        Assert.True(ring.IsEmpty);
        Assert.False(ring.TryRead(out _));
    }

    [Fact]
    public void Batches_cross_the_wrap_point()
    {
        var ring = new SpscRingBuffer<int>(6); // 8 slots, full at 6
        var buffer = new int[6];
        Assert.Equal(5, ring.TryWriteBatch([0, 1, 2, 3, 4]));
        Assert.Equal(5, ring.TryReadBatch(buffer));
        AssertItems([0, 1, 2, 3, 4, 0], buffer);

        // Sequences 5..10 occupy slots 5, 6, 7, 0, 1, 2.
        Assert.Equal(6, ring.TryWriteBatch([5, 6, 7, 8, 9, 10, 11]));
        Assert.Equal(6, ring.Count);
        Assert.True(ring.TryPeek(out int peeked));
        Assert.Equal(5, peeked);
        Array.Clear(buffer);
        Assert.Equal(4, ring.TryReadBatch(buffer.AsSpan(0, 4)));
        AssertItems([5, 6, 7, 8, 0, 0], buffer);
        Assert.Equal(4, ring.TryWriteBatch([11, 12, 13, 14, 15]));
        Assert.Equal(6, ring.TryReadBatch(buffer));
        AssertItems([9, 10, 11, 12, 13, 14], buffer);
        Assert.Equal(0, ring.TryReadBatch(buffer));
    }

    [Fact]
    public void Empty_batches_move_nothing()
    {
        var ring = new SpscRingBuffer<int>(4);
        Assert.Equal(0, ring.TryWriteBatch(ReadOnlySpan<int>.Empty));
        ring.WriteBatch(ReadOnlySpan<int>.Empty);
        Assert.Equal(0, ring.TryReadBatch(Span<int>.Empty));
        Assert.True(ring.TryWrite(1));
        Assert.Equal(0, ring.TryReadBatch(Span<int>.Empty));
        Assert.Equal(1, ring.Count);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(5, 4)]
    [InlineData(13, 5)]
    [InlineData(64, 6)]
    public void Random_operations_match_a_queue(int capacity, int seed)
    {
        var random = new Random(seed);
        var ring = new SpscRingBuffer<int>(capacity);
        var model = new Queue<int>();
        int next = 0;
        var scratch = new int[capacity + 3];
        for (int step = 0; step < 20_000; step++)
        {
            switch (random.Next(5))
            {
                case 0:
                    Assert.Equal(model.Count < capacity, ring.TryWrite(next));
                    if (model.Count < capacity)
                    {
                        model.Enqueue(next++);
                    }

                    break;
                case 1:
                    int length = random.Next(scratch.Length);
                    for (int i = 0; i < length; i++)
                    {
                        scratch[i] = next + i;
                    }

                    int written = ring.TryWriteBatch(scratch.AsSpan(0, length));
                    Assert.Equal(Math.Min(length, capacity - model.Count), written);
                    for (int i = 0; i < written; i++)
                    {
                        model.Enqueue(next++);
                    }

                    break;
                case 2:
                    Assert.Equal(model.Count > 0, ring.TryRead(out int item));
                    if (model.Count > 0)
                    {
                        Assert.Equal(model.Dequeue(), item);
                    }

                    break;
                case 3:
                    int wanted = random.Next(scratch.Length);
                    int read = ring.TryReadBatch(scratch.AsSpan(0, wanted));
                    Assert.Equal(Math.Min(wanted, model.Count), read);
                    for (int i = 0; i < read; i++)
                    {
                        Assert.Equal(model.Dequeue(), scratch[i]);
                    }

                    break;
                default:
                    Assert.Equal(model.Count > 0, ring.TryPeek(out int head));
                    if (model.Count > 0)
                    {
                        Assert.Equal(model.Peek(), head);
                    }

                    break;
            }

            Assert.Equal(model.Count, ring.Count);
            Assert.Equal(model.Count == 0, ring.IsEmpty);
        }
    }

    [Fact]
    public void Peek_does_not_remove()
    {
        var ring = new SpscRingBuffer<string>(2);
        Assert.False(ring.TryPeek(out string? nothing));
        Assert.Null(nothing);
        ring.Write("a");
        ring.Write("b");
        Assert.True(ring.TryPeek(out string? first));
        Assert.True(ring.TryPeek(out string? again));
        Assert.Equal("a", first);
        Assert.Same(first, again);
        Assert.Equal(2, ring.Count);
        Assert.Equal("a", ring.Read());
        Assert.True(ring.TryPeek(out string? second));
        Assert.Equal("b", second);
    }

    [Fact]
    public void Null_items_are_ordinary_items()
    {
        var ring = new SpscRingBuffer<string?>(2);
        Assert.True(ring.TryWrite(null));
        Assert.Equal(1, ring.Count);
        Assert.True(ring.TryRead(out string? item));
        Assert.Null(item);
        Assert.False(ring.TryRead(out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(SpscRingBuffer<int>.MaxCapacity + 1)]
    [InlineData(int.MaxValue)]
    public void Bad_capacity_is_rejected(int capacity)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SpscRingBuffer<int>(capacity));
        Assert.Equal("capacity", ex.ParamName);
    }

    [Fact]
    public void Blocking_batch_larger_than_capacity_is_rejected_and_writes_nothing()
    {
        var ring = new SpscRingBuffer<int>(3);
        ring.Write(7);
        var ex = Assert.Throws<ArgumentException>(() => ring.WriteBatch([1, 2, 3, 4]));
        Assert.Equal("items", ex.ParamName);
        Assert.Equal(1, ring.Count);
        Assert.Equal(7, ring.Read());
        ring.WriteBatch([1, 2, 3]);
        AssertItems([1, 2, 3], [ring.Read(), ring.Read(), ring.Read()]);
    }

    [Fact]
    public async Task Blocking_and_async_calls_complete_at_once_when_they_can()
    {
        var ring = new SpscRingBuffer<int>(2);
        Assert.True(ring.WaitToWrite());
        Assert.True(IsSynchronous(ring.WaitToWriteAsync(), out bool canWrite) && canWrite);
        ring.Write(1);
        Task write = ring.WriteAsync(2).AsTask();
        Assert.True(write.IsCompletedSuccessfully);
        await write;
        Assert.True(ring.WaitToRead());
        Assert.True(IsSynchronous(ring.WaitToReadAsync(), out bool canRead) && canRead);
        Assert.Equal(1, ring.Read());
        Assert.True(IsSynchronous(ring.ReadAsync(), out int item));
        Assert.Equal(2, item);
    }

    /// <summary>True if <paramref name="task"/> had already succeeded; its result is then in <paramref name="result"/>.</summary>
    internal static bool IsSynchronous<TResult>(ValueTask<TResult> task, out TResult? result)
    {
        bool done = task.IsCompletedSuccessfully;
        result = done ? task.Result : default;
        if (!done)
        {
            _ = task.AsTask(); // consume it once, as the ValueTask contract asks
        }

        return done;
    }

    internal static void AssertItems(ReadOnlySpan<int> expected, ReadOnlySpan<int> actual) => Assert.Equal(expected.ToArray(), actual.ToArray());
}
