using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.ForkJoin;

/// <summary>
/// Spawn-plus-join per task: start <c>Tasks</c> tiny tasks (each stores one number) and wait for all
/// of them. The peers are what a .NET user writes for that: <c>Task.Run</c> + <c>Task.WhenAll</c>, and
/// <c>Parallel.Invoke</c> over an array of actions. Our side is in <c>SpawnJoinBenchmarks.Scope.cs</c>.
/// </summary>
[MemoryDiagnoser]
public partial class SpawnJoinBenchmarks
{
    private long[] _slots = [];

    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [16], quick: [10_000], full: [100, 10_000]);

    [ParamsSource(nameof(Sizes_))]
    public int Tasks { get; set; }

    [GlobalSetup]
    public void Setup() => _slots = new long[Tasks];

    [Benchmark(Baseline = true, Description = "Task.Run + Task.WhenAll")]
    [BenchmarkCategory(Categories.Quick)]
    public long TaskRunWhenAll()
    {
        var slots = _slots;
        var tasks = new Task[slots.Length];
        for (int i = 0; i < tasks.Length; i++)
        {
            int index = i;
            tasks[i] = Task.Run(() => slots[index] = index + 1);
        }

        Task.WhenAll(tasks).GetAwaiter().GetResult();
        return Collect();
    }

    [Benchmark(Description = "Parallel.Invoke")]
    [BenchmarkCategory(Categories.Quick)]
    public long ParallelInvoke()
    {
        var slots = _slots;
        var actions = new Action[slots.Length];
        for (int i = 0; i < actions.Length; i++)
        {
            int index = i;
            actions[i] = () => slots[index] = index + 1;
        }

        Parallel.Invoke(actions);
        return Collect();
    }

    /// <summary>Checks that every task ran exactly once (each slot holds its index + 1), then clears the slots.</summary>
    private long Collect()
    {
        long sum = 0;
        for (int i = 0; i < _slots.Length; i++)
        {
            sum += _slots[i];
            _slots[i] = 0;
        }

        Work.Check(sum, Work.SumBelow(_slots.Length + 1));
        return sum;
    }
}
