using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.ForkJoin;

namespace Primitives.Benchmarks.ForkJoin;

/// <summary>Our side of the join-overhead comparison: <see cref="Fork.Join(Action, Action)"/> of two empty actions.</summary>
public partial class JoinOverheadBenchmarks
{
    [Benchmark(Description = "Fork.Join of two empty actions")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public int Join()
    {
        for (int i = 0; i < Tasks; i++)
        {
            Fork.Join(s_empty, s_empty);
        }

        return Tasks;
    }
}
