using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.ForkJoin;

/// <summary>
/// Recursive binary fork-join down to single leaves: the sum of 0..Tasks-1 by halving the range at
/// every level, so each operation performs Tasks - 1 joins. The peer is recursive
/// <c>Parallel.Invoke</c>; the sequential recursion shows the floor. Our side (<c>Fork.Join</c>) is
/// in <c>RecursiveJoinBenchmarks.Join.cs</c>.
/// </summary>
[MemoryDiagnoser]
public partial class RecursiveJoinBenchmarks
{
    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [16], quick: [65_536], full: [1_024, 65_536]);

    /// <summary>Leaves of the recursion (the range being summed).</summary>
    [ParamsSource(nameof(Sizes_))]
    public int Tasks { get; set; }

    [Benchmark(Description = "sequential recursion")]
    public long Sequential() => Checked(SumSequential(0, Tasks));

    [Benchmark(Baseline = true, Description = "recursive Parallel.Invoke")]
    [BenchmarkCategory(Categories.Quick)]
    public long ParallelInvoke() => Checked(SumParallelInvoke(0, Tasks));

    private static long SumSequential(int from, int to)
    {
        if (to - from == 1)
        {
            return from;
        }

        int middle = from + ((to - from) / 2);
        return SumSequential(from, middle) + SumSequential(middle, to);
    }

    private static long SumParallelInvoke(int from, int to)
    {
        if (to - from == 1)
        {
            return from;
        }

        int middle = from + ((to - from) / 2);
        long left = 0, right = 0;
        Parallel.Invoke(() => left = SumParallelInvoke(from, middle), () => right = SumParallelInvoke(middle, to));
        return left + right;
    }

    private long Checked(long sum)
    {
        Work.Check(sum, Work.SumBelow(Tasks));
        return sum;
    }
}
