using Primitives.Benchmarks.Harness;
using Primitives.RingBuffers;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>What the shared transfer bodies need from <see cref="SpscRingBuffer{T}"/> and <see cref="SpscQueue{T}"/>.</summary>
public interface ISpscTransfer
{
    /// <summary>Producer: writes one item, waiting for room if the buffer has a bound.</summary>
    void Write(long item);

    /// <summary>Producer: writes the items at once.</summary>
    void WriteBatch(ReadOnlySpan<long> items);

    /// <summary>Producer: marks the end of the items.</summary>
    void Complete();

    /// <summary>Consumer: waits for <paramref name="items"/> items or the end; false once drained.</summary>
    bool WaitToRead(int items);

    /// <summary>Consumer: reads an item if there is one.</summary>
    bool TryRead(out long item);

    /// <summary>Consumer: the readable run, in place.</summary>
    ReadOnlySpan<long> GetReadSpan();

    /// <summary>Consumer: frees the first <paramref name="count"/> items of the run.</summary>
    void AdvanceRead(int count);
}

/// <summary>Forwards <see cref="ISpscTransfer"/> to a <see cref="SpscRingBuffer{T}"/>.</summary>
public readonly struct RingTransfer(SpscRingBuffer<long> ring) : ISpscTransfer
{
    public void Write(long item) => ring.Write(item);

    public void WriteBatch(ReadOnlySpan<long> items) => ring.WriteBatch(items);

    public void Complete() => ring.Complete();

    public bool WaitToRead(int items) => items == 1 ? ring.WaitToRead() : ring.WaitToRead(items);

    public bool TryRead(out long item) => ring.TryRead(out item);

    public ReadOnlySpan<long> GetReadSpan() => ring.GetReadSpan();

    public void AdvanceRead(int count) => ring.AdvanceRead(count);
}

/// <summary>Forwards <see cref="ISpscTransfer"/> to a <see cref="SpscQueue{T}"/>.</summary>
public readonly struct QueueTransfer(SpscQueue<long> queue) : ISpscTransfer
{
    public void Write(long item) => queue.Write(item);

    public void WriteBatch(ReadOnlySpan<long> items) => queue.WriteBatch(items);

    public void Complete() => queue.Complete();

    public bool WaitToRead(int items) => items == 1 ? queue.WaitToRead() : queue.WaitToRead(items);

    public bool TryRead(out long item) => queue.TryRead(out item);

    public ReadOnlySpan<long> GetReadSpan() => queue.GetReadSpan();

    public void AdvanceRead(int count) => queue.AdvanceRead(count);
}

/// <summary>
/// The transfer bodies that the ring's and the queue's rows share: each moves 0..count-1 and checks the sum. Generic
/// over a struct so that the JIT compiles one copy per buffer with direct, inlinable calls: the rows measure the
/// buffers, not an interface call per item.
/// </summary>
public static class SpscTransfer
{
    /// <summary>Write one item at a time; read with WaitToRead and TryRead.</summary>
    public static long SingleItem<TBuffer>(TBuffer buffer, int count)
        where TBuffer : struct, ISpscTransfer => TwoThreads.Run(
            () =>
            {
                for (long i = 0; i < count; i++)
                {
                    buffer.Write(i);
                }

                buffer.Complete();
            },
            () =>
            {
                long sum = 0;
                while (buffer.WaitToRead(1))
                {
                    while (buffer.TryRead(out long item))
                    {
                        sum += item;
                    }
                }

                Work.Check(sum, Work.SumBelow(count));
                return sum;
            });

    /// <summary>Producer: writes the items in batches of <paramref name="batchSize"/>, then completes.</summary>
    public static void WriteBatches<TBuffer>(TBuffer buffer, int count, int batchSize)
        where TBuffer : struct, ISpscTransfer
    {
        var batch = new long[batchSize];
        for (long next = 0; next < count;)
        {
            int length = (int)Math.Min(batchSize, count - next);
            for (int i = 0; i < length; i++)
            {
                batch[i] = next + i;
            }

            buffer.WriteBatch(batch.AsSpan(0, length));
            next += length;
        }

        buffer.Complete();
    }

    /// <summary>Consumer: waits for <paramref name="batchSize"/> items at a time and reads them through read spans;
    /// returns the checked sum.</summary>
    public static long ReadSpans<TBuffer>(TBuffer buffer, int count, int batchSize)
        where TBuffer : struct, ISpscTransfer
    {
        long sum = 0;
        while (buffer.WaitToRead(batchSize))
        {
            ReadOnlySpan<long> items = buffer.GetReadSpan();
            foreach (long item in items)
            {
                sum += item;
            }

            buffer.AdvanceRead(items.Length);
        }

        Work.Check(sum, Work.SumBelow(count));
        return sum;
    }
}
