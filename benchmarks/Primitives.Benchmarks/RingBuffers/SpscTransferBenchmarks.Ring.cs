using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.RingBuffers;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>Our side of the transfer comparison: <see cref="SpscRingBuffer{T}"/>, one item at a time and in batches.</summary>
public partial class SpscTransferBenchmarks
{
    [Benchmark(Description = "SpscRingBuffer single-item")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long RingSingleItem() => SpscTransfer.SingleItem(new RingTransfer(new SpscRingBuffer<long>(Capacity)), Items);

    [Benchmark(Description = "SpscRingBuffer batch")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long RingBatch()
    {
        var ring = new SpscRingBuffer<long>(Capacity);
        int count = Items;
        return TwoThreads.Run(
            () => SpscTransfer.WriteBatches(new RingTransfer(ring), count, BatchSize),
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
