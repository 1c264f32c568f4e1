using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.Iterators;

/// <summary>
/// Throughput of the ordered maps against the degree of parallelism, CPU-bound items of about 2 us:
/// the data behind the chart (<c>--chart</c>). Degrees are 1, 2, 4, ... up to twice the processor count.
/// </summary>
[MemoryDiagnoser]
public partial class ScalingBenchmarks
{
    private long[] _source = [];
    private long _expected;
    private Func<long, long> _selector = static x => x;

    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [64], quick: [100_000], full: [100_000, 200_000]);

    public static IEnumerable<int> Spins => Sizes.Choose(ci: [10], quick: [Sizes.TwoMicroseconds], full: [Sizes.TwoMicroseconds]);

    public static IEnumerable<int> Degrees
    {
        get
        {
            int max = Sizes.Mode == BenchMode.Ci ? 2 : Math.Max(4, 2 * Environment.ProcessorCount);
            for (int degree = 1; degree <= max; degree *= 2)
            {
                yield return degree;
            }
        }
    }

    [ParamsSource(nameof(Sizes_))]
    public int Items { get; set; }

    [ParamsSource(nameof(Spins))]
    public int Spin { get; set; }

    [ParamsSource(nameof(Degrees))]
    public int Degree { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int spin = Spin;
        _selector = item => Work.Spin(item, spin);
        _source = new long[Items];
        _expected = 0;
        for (int i = 0; i < _source.Length; i++)
        {
            _source[i] = i;
            _expected += _selector(i);
        }
    }

    [Benchmark(Description = "PLINQ AsOrdered")]
    public long PlinqOrdered() => Drain(OrderedMaps.Plinq(_source, _selector, degree: Degree));

    [Benchmark(Description = "Dataflow TransformBlock EnsureOrdered")]
    public long Dataflow() => Drain(OrderedMaps.Dataflow(_source, _selector, Degree));

    private long Drain(IEnumerable<long> results) => OrderedMaps.Drain(results, _expected);
}
