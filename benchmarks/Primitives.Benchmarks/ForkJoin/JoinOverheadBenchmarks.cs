using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.ForkJoin;

/// <summary>
/// The fixed cost of one join: <c>Tasks</c> joins of two empty actions in a row, on a warm pool, against
/// calling the two actions one after the other. Our side (<c>Fork.Join</c>) is in
/// <c>JoinOverheadBenchmarks.Join.cs</c>.
/// </summary>
[MemoryDiagnoser]
public partial class JoinOverheadBenchmarks
{
    private static readonly Action s_empty = static () => { };

    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [16], quick: [10_000], full: [10_000]);

    /// <summary>Joins (or pairs of sequential calls) per operation.</summary>
    [ParamsSource(nameof(Sizes_))]
    public int Tasks { get; set; }

    [Benchmark(Baseline = true, Description = "two calls in sequence")]
    [BenchmarkCategory(Categories.Quick)]
    public int Sequential()
    {
        Action left = s_empty, right = s_empty;
        for (int i = 0; i < Tasks; i++)
        {
            left();
            right();
        }

        return Tasks;
    }
}
