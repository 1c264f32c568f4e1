using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.RingBuffers;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>Our side through the channel API: <see cref="SpscChannel{T}"/>, driven by the same async code as the framework's channels.</summary>
public partial class SpscTransferBenchmarks
{
    [Benchmark(Description = "SpscChannel (same async code as the channels)")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long SpscChannel() => ChannelTransfer.Run(new SpscChannel<long>(Capacity), Items);
}
