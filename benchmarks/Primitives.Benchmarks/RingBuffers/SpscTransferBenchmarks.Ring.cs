using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.RingBuffers;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>Our side of the transfer comparison: <see cref="SpscRingBuffer{T}"/>, one item at a time and in batches.</summary>
public partial class SpscTransferBenchmarks
{
    [Benchmark(Description = "SpscRingBuffer single-item")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long RingSingleItem()
    {
        var ring = new SpscRingBuffer<long>(Capacity);
        int count = Items;
        return TwoThreads.Run(
            () =>
            {
                for (long i = 0; i < count; i++)
                {
                    ring.Write(i);
                }

                ring.Complete();
            },
            () =>
            {
                long sum = 0;
                while (ring.WaitToRead())
                {
                    while (ring.TryRead(out long item))
                    {
                        sum += item;
                    }
                }

                Work.Check(sum, Work.SumBelow(count));
                return sum;
            });
    }

    [Benchmark(Description = "SpscRingBuffer batch")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long RingBatch()
    {
        var ring = new SpscRingBuffer<long>(Capacity);
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

                    ring.WriteBatch(batch.AsSpan(0, length));
                    next += length;
                }

                ring.Complete();
            },
            () =>
            {
                var batch = new long[BatchSize];
                long sum = 0;
                while (ring.WaitToRead())
                {
                    int read;
                    while ((read = ring.TryReadBatch(batch)) > 0)
                    {
                        foreach (long item in batch.AsSpan(0, read))
                        {
                            sum += item;
                        }
                    }
                }

                Work.Check(sum, Work.SumBelow(count));
                return sum;
            });
    }
}
