using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.RingBuffers;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>Our unbounded side of the transfer comparison: <see cref="SpscQueue{T}"/>, one item at a time with the
/// blocking consumer API (against <c>Channel.CreateUnbounded</c> and <c>ConcurrentQueue</c>), and with batches written
/// and read through spans.</summary>
public partial class SpscTransferBenchmarks
{
    [Benchmark(Description = "SpscQueue (unbounded) single-item")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long QueueSingleItem()
    {
        var queue = new SpscQueue<long>();
        int count = Items;
        return TwoThreads.Run(
            () =>
            {
                for (long i = 0; i < count; i++)
                {
                    queue.Write(i);
                }

                queue.Complete();
            },
            () =>
            {
                long sum = 0;
                while (queue.WaitToRead())
                {
                    while (queue.TryRead(out long item))
                    {
                        sum += item;
                    }
                }

                Work.Check(sum, Work.SumBelow(count));
                return sum;
            });
    }

    [Benchmark(Description = "SpscQueue (unbounded) batch + read spans")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long QueueSpans()
    {
        var queue = new SpscQueue<long>();
        int count = Items;
        return TwoThreads.Run(
            () =>
            {
                var batch = new long[BatchSize];
                for (long next = 0; next < count;)
                {
                    int length = (int)Math.Min(BatchSize, count - next);
                    for (int i = 0; i < length; i++)
                    {
                        batch[i] = next + i;
                    }

                    queue.WriteBatch(batch.AsSpan(0, length));
                    next += length;
                }

                queue.Complete();
            },
            () =>
            {
                long sum = 0;
                while (queue.WaitToRead(BatchSize))
                {
                    ReadOnlySpan<long> items = queue.GetReadSpan();
                    foreach (long item in items)
                    {
                        sum += item;
                    }

                    queue.AdvanceRead(items.Length);
                }

                Work.Check(sum, Work.SumBelow(count));
                return sum;
            });
    }
}
