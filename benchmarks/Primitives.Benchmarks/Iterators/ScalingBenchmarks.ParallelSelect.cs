using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.Iterators;

namespace Primitives.Benchmarks.Iterators;

/// <summary>Our side of the comparison: the ordered iterator <c>ParallelSelect</c>.</summary>
public partial class ScalingBenchmarks
{
    [Benchmark(Description = "ParallelSelect")]
    [BenchmarkCategory(Categories.Ours)]
    public long ParallelSelect() => Drain(_source.ParallelSelect(_selector, new ParallelSelectOptions { MaxDegreeOfParallelism = Degree }));
}
