using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.Iterators;

/// <summary>
/// Speed-up of each ordered parallel map over the sequential baseline when each item costs about
/// 2 us of arithmetic (<see cref="Work.Spin"/>). Two sizes, because PLINQ's ordered merge collapses
/// once a worker's contiguous range outgrows its merge buffer: a small input hides that.
/// </summary>
public class CpuBoundBenchmarks : OrderedMapBenchmarkBase
{
    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [64], quick: [100_000], full: [100_000, 200_000]);

    public static IEnumerable<int> Spins => Sizes.Choose(ci: [10], quick: [Sizes.TwoMicroseconds], full: [Sizes.TwoMicroseconds]);

    [ParamsSource(nameof(Sizes_))]
    public override int Items { get; set; }

    /// <summary>Iterations of <see cref="Work.Spin"/> per item (1000 is about 2 us).</summary>
    [ParamsSource(nameof(Spins))]
    public int Spin { get; set; }

    protected override Func<long, long> CreateSelector()
    {
        int spin = Spin;
        return item => Work.Spin(item, spin);
    }
}
