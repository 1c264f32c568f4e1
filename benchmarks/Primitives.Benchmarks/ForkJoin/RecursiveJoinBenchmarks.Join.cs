using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.ForkJoin;

namespace Primitives.Benchmarks.ForkJoin;

/// <summary>Our side of the recursive comparison: <see cref="Fork.Join{T1, T2}"/>.</summary>
public partial class RecursiveJoinBenchmarks
{
    [Benchmark(Description = "recursive Fork.Join")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long Join() => Checked(SumJoin(0, Tasks));

    private static long SumJoin(int from, int to)
    {
        if (to - from == 1)
        {
            return from;
        }

        int middle = from + ((to - from) / 2);
        var (left, right) = Fork.Join(() => SumJoin(from, middle), () => SumJoin(middle, to));
        return left + right;
    }
}
