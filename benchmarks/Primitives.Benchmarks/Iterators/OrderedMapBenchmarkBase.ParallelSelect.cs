using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.Iterators;

namespace Primitives.Benchmarks.Iterators;

/// <summary>Our side of the comparison: the ordered iterator <c>ParallelSelect</c>.</summary>
public abstract partial class OrderedMapBenchmarkBase
{
    [Benchmark(Description = "ParallelSelect")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long ParallelSelect() => Drain(_source.ParallelSelect(_selector));
}
