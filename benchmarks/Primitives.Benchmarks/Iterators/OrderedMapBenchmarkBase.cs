using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.Iterators;

/// <summary>
/// Throughput of an ordered parallel map: every implementation maps the whole source in order and the
/// benchmark thread consumes each result. The source is a <c>long[]</c> (an indexed source: the case in
/// which PLINQ's ordered merge range-partitions and stalls on large inputs). Derived classes choose the
/// sizes and the selector; the methods live here so each class compares the same set.
/// </summary>
[MemoryDiagnoser]
public abstract partial class OrderedMapBenchmarkBase
{
    private long[] _source = [];
    private long _expected;
    private Func<long, long> _selector = static x => x;

    /// <summary>Number of items in the source.</summary>
    public abstract int Items { get; set; }

    /// <summary>Creates the map under test (once, in the global setup, so no benchmark pays for it).</summary>
    protected abstract Func<long, long> CreateSelector();

    [GlobalSetup]
    public void Setup()
    {
        _source = new long[Items];
        for (int i = 0; i < _source.Length; i++)
        {
            _source[i] = i;
        }

        _selector = CreateSelector();
        _expected = 0;
        foreach (long item in _source)
        {
            _expected += _selector(item);
        }

        OnSetup();
    }

    [GlobalCleanup]
    public void Cleanup() => OnCleanup();

    /// <summary>Runs at the end of the global setup.</summary>
    protected virtual void OnSetup()
    {
    }

    /// <summary>Runs in the global cleanup.</summary>
    protected virtual void OnCleanup()
    {
    }

    [Benchmark(Baseline = true, Description = "foreach over Select (sequential)")]
    [BenchmarkCategory(Categories.Quick)]
    public long Sequential() => Drain(OrderedMaps.Sequential(_source, _selector));

    [Benchmark(Description = "PLINQ AsOrdered")]
    [BenchmarkCategory(Categories.Quick)]
    public long PlinqOrdered() => Drain(OrderedMaps.Plinq(_source, _selector));

    [Benchmark(Description = "PLINQ AsOrdered NotBuffered")]
    public long PlinqOrderedNotBuffered() => Drain(OrderedMaps.Plinq(_source, _selector, ParallelMergeOptions.NotBuffered));

    [Benchmark(Description = "Dataflow TransformBlock EnsureOrdered")]
    public long Dataflow() => Drain(OrderedMaps.Dataflow(_source, _selector));

    [Benchmark(Description = "Parallel.ForEach + reorder")]
    public long ParallelForEachReorder() => Drain(OrderedMaps.ParallelForEachReorder(_source, _selector));

    private long Drain(IEnumerable<long> results) => OrderedMaps.Drain(results, _expected);
}
