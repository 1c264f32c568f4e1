using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.Iterators;

/// <summary>The source shapes of <see cref="SourceShapeBenchmarkBase"/>.</summary>
public enum SourceShape
{
    /// <summary>A <c>long[]</c>: split by index without a lock.</summary>
    Array,

    /// <summary>A <c>List&lt;long&gt;</c>: split by index, each chunk copied through the indexer.</summary>
    List,

    /// <summary>A <c>yield return</c> generator: read by one thread at a time.</summary>
    Generator,

    /// <summary>Two chained stages over an array, each running half of the work.</summary>
    Chain,
}

/// <summary>
/// The source-shape matrix: the same ordered map over an array, a <c>List&lt;T&gt;</c>, a generator and two
/// chained stages, against the sequential loop and PLINQ <c>AsOrdered</c> over the same shape. In the chain,
/// each stage runs half of the selector's work (the sequential form is <c>Select(f).Select(g)</c>, PLINQ's
/// <c>AsParallel().AsOrdered().Select(f).Select(g)</c>, ours <c>ParallelSelect(f).ParallelSelect(g)</c>). Each
/// benchmark runs its own case for a second in its global setup, so that each is measured warm (see <see cref="WarmUp"/>).
/// </summary>
[MemoryDiagnoser]
public abstract partial class SourceShapeBenchmarkBase
{
    private long[] _array = [];
    private List<long> _list = [];
    private long _expected;
    private Func<long, long> _whole = static x => x;
    private Func<long, long> _half = static x => x;

    /// <summary>Number of items in the source.</summary>
    public abstract int Items { get; set; }

    /// <summary>The shape of the source.</summary>
    [ParamsAllValues]
    public SourceShape Shape { get; set; }

    /// <summary>Iterations of <see cref="Work.Spin"/> for the whole selector (0: the identity); a chain stage runs half.</summary>
    protected abstract int SpinPerItem { get; }

    [GlobalSetup(Target = nameof(Sequential))]
    public void SetupSequential() => Setup(Sequential);

    [GlobalSetup(Target = nameof(PlinqOrdered))]
    public void SetupPlinq() => Setup(PlinqOrdered);

    /// <summary>Builds the source and the selectors, then warms <paramref name="benchmark"/> up (see <see cref="WarmUp"/>).</summary>
    private void Setup(Func<long> benchmark)
    {
        _array = new long[Items];
        for (int i = 0; i < _array.Length; i++)
        {
            _array[i] = i;
        }

        _list = [.. _array];
        int whole = SpinPerItem;
        int half = whole / 2;
        _whole = whole == 0 ? static x => x : x => Work.Spin(x, whole);
        _half = half == 0 ? static x => x : x => Work.Spin(x, half);
        _expected = 0;
        foreach (long result in Shape == SourceShape.Chain ? _array.Select(_half).Select(_half) : _array.Select(_whole))
        {
            _expected += result;
        }

        WarmUp.Run(benchmark);
    }

    [Benchmark(Baseline = true, Description = "foreach over Select (sequential)")]
    [BenchmarkCategory(Categories.Quick)]
    public long Sequential() => Drain(Shape == SourceShape.Chain ? _array.Select(_half).Select(_half) : Source().Select(_whole));

    [Benchmark(Description = "PLINQ AsOrdered")]
    [BenchmarkCategory(Categories.Quick)]
    public long PlinqOrdered() => Drain(Shape == SourceShape.Chain
        ? _array.AsParallel().AsOrdered().Select(_half).Select(_half)
        : Source().AsParallel().AsOrdered().Select(_whole));

    /// <summary>The source in this run's shape (the chain's first stage reads the array).</summary>
    private IEnumerable<long> Source() => Shape switch
    {
        SourceShape.List => _list,
        SourceShape.Generator => Generate(_array.Length),
        _ => _array,
    };

    private static IEnumerable<long> Generate(int count)
    {
        for (long i = 0; i < count; i++)
        {
            yield return i;
        }
    }

    private long Drain(IEnumerable<long> results) => OrderedMaps.Drain(results, _expected);
}

/// <summary>The source-shape matrix with the identity selector: the machinery's cost per item, 1M items.</summary>
public class ShapeEmptySelectorBenchmarks : SourceShapeBenchmarkBase
{
    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [1_000], quick: [1_000_000], full: [1_000_000]);

    [ParamsSource(nameof(Sizes_))]
    public override int Items { get; set; }

    protected override int SpinPerItem => 0;
}

/// <summary>
/// The source-shape matrix with a selector of about 200 ns (typical real work: parse a line, hash a small
/// record), 100k items; each chained stage runs about 100 ns.
/// </summary>
public class ShapeCheapSelectorBenchmarks : SourceShapeBenchmarkBase
{
    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [256], quick: [100_000], full: [100_000]);

    [ParamsSource(nameof(Sizes_))]
    public override int Items { get; set; }

    protected override int SpinPerItem => Sizes.Mode == BenchMode.Ci ? 2 : Sizes.TwoHundredNanoseconds;
}
