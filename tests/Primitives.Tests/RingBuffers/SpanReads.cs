using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>The consumer's span members that <see cref="SpscRingBuffer{T}"/> and <see cref="SpscQueue{T}"/> share,
/// so that one check serves both.</summary>
/// <typeparam name="T">The type of the items.</typeparam>
internal interface ISpanReader<T>
{
    int Count { get; }

    bool WaitToRead(int items);

    ReadOnlySpan<T> GetReadSpan();

    void AdvanceRead(int count);

    bool TryRead(out T item);
}

internal sealed class RingReader<T>(SpscRingBuffer<T> ring) : ISpanReader<T>
{
    public int Count => ring.Count;

    public bool WaitToRead(int items) => ring.WaitToRead(items);

    public ReadOnlySpan<T> GetReadSpan() => ring.GetReadSpan();

    public void AdvanceRead(int count) => ring.AdvanceRead(count);

    public bool TryRead(out T item) => ring.TryRead(out item!);
}

internal sealed class QueueReader<T>(SpscQueue<T> queue) : ISpanReader<T>
{
    public int Count => queue.Count;

    public bool WaitToRead(int items) => queue.WaitToRead(items);

    public ReadOnlySpan<T> GetReadSpan() => queue.GetReadSpan();

    public void AdvanceRead(int count) => queue.AdvanceRead(count);

    public bool TryRead(out T item) => queue.TryRead(out item!);
}

/// <summary>Checks of the read-span protocol shared by the ring's and the queue's tests.</summary>
internal static class SpanReads
{
    /// <summary>With exactly three readable items: advancing with no span, past the span, negatively, twice, or after
    /// another read throws and frees nothing. Returns the item that the discarding TryRead read (the second).</summary>
    internal static int AdvancingWronglyThrows(ISpanReader<int> reader)
    {
        Assert.Throws<InvalidOperationException>(() => reader.AdvanceRead(0)); // no span handed out
        Assert.Equal(3, reader.GetReadSpan().Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.AdvanceRead(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.AdvanceRead(-1));
        reader.AdvanceRead(1); // the span is still outstanding after a rejected advance
        Assert.Throws<InvalidOperationException>(() => reader.AdvanceRead(1)); // advanced twice

        reader.GetReadSpan();
        Assert.True(reader.TryRead(out int second)); // another read discards the span
        Assert.Throws<InvalidOperationException>(() => reader.AdvanceRead(1));
        Assert.Equal(1, reader.Count);
        return second;
    }

    /// <summary>The consumer of a two-thread run: waits for <paramref name="batch"/> items (or the end) at a time,
    /// reads each span in place checking that the items are 0, 1, 2, ... in order, and advances past it.</summary>
    internal static (long Received, long Sum) DrainInOrder(ISpanReader<long> reader, int batch)
    {
        long received = 0, sum = 0;
        while (reader.WaitToRead(batch))
        {
            ReadOnlySpan<long> run = reader.GetReadSpan();
            Assert.NotEqual(0, run.Length);
            foreach (long item in run)
            {
                Assert.Equal(received, item);
                received++;
                sum += item;
            }

            reader.AdvanceRead(run.Length);
        }

        return (received, sum);
    }
}
