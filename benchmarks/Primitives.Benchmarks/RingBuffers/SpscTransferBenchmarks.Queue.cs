using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.RingBuffers;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>Our unbounded side of the transfer comparison: <see cref="SpscQueue{T}"/>, one item at a time with the
/// blocking consumer API (against <c>Channel.CreateUnbounded</c> and <c>ConcurrentQueue</c>), and with batches written
/// and read through spans. The bodies are the ring's (<see cref="SpscTransfer"/>).</summary>
public partial class SpscTransferBenchmarks
{
    [Benchmark(Description = "SpscQueue (unbounded) single-item")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long QueueSingleItem() => SpscTransfer.SingleItem(new QueueTransfer(new SpscQueue<long>()), Items);

    [Benchmark(Description = "SpscQueue (unbounded) batch + read spans")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long QueueSpans()
    {
        var queue = new QueueTransfer(new SpscQueue<long>());
        int count = Items;
        return TwoThreads.Run(
            () => SpscTransfer.WriteBatches(queue, count, BatchSize),
            () => SpscTransfer.ReadSpans(queue, count, BatchSize));
    }
}
