using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.RingBuffers;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>
/// What the padding buys: <see cref="SpscRingBuffer{T}"/> against <see cref="UnpaddedSpscRing{T}"/>, a copy
/// of its fast paths with the indices packed together, both driven by the same spin-only transfer
/// (<see cref="SpinTransfer"/>) so that the layout is the only difference.
/// </summary>
[MemoryDiagnoser]
public class RingLayoutBenchmarks
{
    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [1_000], quick: [1_000_000], full: [1_000_000]);

    [ParamsSource(nameof(Sizes_))]
    public int Items { get; set; }

    [Benchmark(Description = "SpscRingBuffer (padded), spin")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long Padded() => SpinTransfer.Run(new PaddedRing(new SpscRingBuffer<long>(SpscTransferBenchmarks.Capacity)), Items);

    [Benchmark(Baseline = true, Description = "unpadded copy, spin")]
    [BenchmarkCategory(Categories.Quick)]
    public long Unpadded() => SpinTransfer.Run(new UnpaddedRing(new UnpaddedSpscRing<long>(SpscTransferBenchmarks.Capacity)), Items);

    private readonly struct PaddedRing(SpscRingBuffer<long> ring) : ISpinRing
    {
        public bool TryWrite(long item) => ring.TryWrite(item);

        public bool TryRead(out long item) => ring.TryRead(out item);
    }

    private readonly struct UnpaddedRing(UnpaddedSpscRing<long> ring) : ISpinRing
    {
        public bool TryWrite(long item) => ring.TryWrite(item);

        public bool TryRead(out long item) => ring.TryRead(out item);
    }
}
