using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.Iterators;

/// <summary>
/// Per-item overhead of each ordered parallel map: the selector returns its input, so the whole cost
/// is the machinery (partitioning, hand-off, reordering). 1 million items in the quick run; the full
/// run adds 100k. Not in the quick run: <see cref="ShapeEmptySelectorBenchmarks"/> measures the same over an array.
/// </summary>
[BenchmarkCategory(Categories.NotQuick)]
public class EmptySelectorBenchmarks : OrderedMapBenchmarkBase
{
    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [1_000], quick: [1_000_000], full: [100_000, 1_000_000]);

    [ParamsSource(nameof(Sizes_))]
    public override int Items { get; set; }

    protected override Func<long, long> CreateSelector() => static item => item;
}
