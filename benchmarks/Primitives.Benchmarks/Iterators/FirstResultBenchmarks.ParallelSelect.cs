using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.Iterators;

namespace Primitives.Benchmarks.Iterators;

/// <summary>Our side of the comparison: the ordered iterator <c>ParallelSelect</c>.</summary>
public partial class FirstResultBenchmarks
{
    [Benchmark(Description = "ParallelSelect")]
    [BenchmarkCategory(Categories.Ours)]
    public long ParallelSelect() => First(_source.ParallelSelect(s_identity));
}
