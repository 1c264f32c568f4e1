using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.ForkJoin;

namespace Primitives.Benchmarks.ForkJoin;

/// <summary>Our side of the spawn-plus-join comparison: <see cref="ForkJoinScope"/>.</summary>
public partial class SpawnJoinBenchmarks
{
    [Benchmark(Description = "ForkJoinScope.Run + Spawn")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long ScopeSpawn()
    {
        var slots = _slots;
        ForkJoinScope.Run(scope =>
        {
            for (int i = 0; i < slots.Length; i++)
            {
                int index = i;
                scope.Spawn(_ => slots[index] = index + 1);
            }
        });
        return Collect();
    }
}
