using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.RingBuffers;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>Our ring's zero-copy side of the transfer comparison: write and read spans of up to
/// <see cref="BatchSize"/> slots, with the blocking waits for free slots and for items.</summary>
public partial class SpscTransferBenchmarks
{
    [Benchmark(Description = "SpscRingBuffer spans")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long RingSpans()
    {
        var ring = new SpscRingBuffer<long>(Capacity);
        int count = Items;
        return TwoThreads.Run(
            () =>
            {
                for (long next = 0; next < count;)
                {
                    int wanted = (int)Math.Min(BatchSize, count - next);
                    Span<long> free = ring.GetWriteSpan(wanted);
                    if (free.IsEmpty)
                    {
                        ring.WaitToWrite(wanted);
                        continue;
                    }

                    int length = Math.Min(free.Length, wanted);
                    for (int i = 0; i < length; i++)
                    {
                        free[i] = next + i;
                    }

                    ring.AdvanceWrite(length);
                    next += length;
                }

                ring.Complete();
            },
            () => SpscTransfer.ReadSpans(new RingTransfer(ring), count, BatchSize));
    }
}
