using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.RingBuffers;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>Our side through the channel API: <see cref="global::Primitives.RingBuffers.SpscChannel.CreateBounded{T}(int)"/>, driven by the same async code as the framework's channels.</summary>
public partial class SpscTransferBenchmarks
{
    [Benchmark(Description = "SpscChannel (same async code as the channels)")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long SpscChannel() => ChannelTransfer.Run(global::Primitives.RingBuffers.SpscChannel.CreateBounded<long>(Capacity), Items);
}
