using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.Iterators;

namespace Primitives.Benchmarks.Iterators;

/// <summary>Our side of the source-shape matrix.</summary>
public abstract partial class SourceShapeBenchmarkBase
{
    [GlobalSetup(Target = nameof(ParallelSelect))]
    public void SetupParallelSelect() => Setup(ParallelSelect);

    [Benchmark(Description = "ParallelSelect")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long ParallelSelect() => Drain(Shape == SourceShape.Chain
        ? _array.ParallelSelect(_half).ParallelSelect(_half)
        : Source().ParallelSelect(_whole));
}
