using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.Iterators;

/// <summary>
/// Time to first result: start the map over a short source, take the first result, and stop
/// (dispose the enumerator, as a <c>foreach</c> that breaks does). This is the start-up and tear-down
/// cost a streaming consumer pays before it can do anything.
/// </summary>
[MemoryDiagnoser]
public partial class FirstResultBenchmarks
{
    private static readonly Func<long, long> s_identity = static item => item;
    private long[] _source = [];

    [Params(1, 10, 100)]
    public int Items { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _source = new long[Items];
        for (int i = 0; i < _source.Length; i++)
        {
            _source[i] = i;
        }
    }

    [Benchmark(Baseline = true, Description = "foreach over Select (sequential)")]
    public long Sequential() => First(OrderedMaps.Sequential(_source, s_identity));

    [Benchmark(Description = "PLINQ AsOrdered")]
    public long PlinqOrdered() => First(OrderedMaps.Plinq(_source, s_identity));

    [Benchmark(Description = "PLINQ AsOrdered NotBuffered")]
    public long PlinqOrderedNotBuffered() => First(OrderedMaps.Plinq(_source, s_identity, ParallelMergeOptions.NotBuffered));

    [Benchmark(Description = "Dataflow TransformBlock EnsureOrdered")]
    public long Dataflow() => First(OrderedMaps.Dataflow(_source, s_identity));

    [Benchmark(Description = "Parallel.ForEach + reorder")]
    public long ParallelForEachReorder() => First(OrderedMaps.ParallelForEachReorder(_source, s_identity));

    private static long First(IEnumerable<long> results)
    {
        using var enumerator = results.GetEnumerator();
        if (!enumerator.MoveNext())
        {
            throw new InvalidOperationException("The map produced no result.");
        }

        Work.Check(enumerator.Current, 0);
        return enumerator.Current;
    }
}
