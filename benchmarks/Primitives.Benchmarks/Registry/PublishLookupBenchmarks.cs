using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.Registry;

/// <summary>
/// Publish and lookup throughput of a task-to-owner map, on one thread (the pure cost of the
/// operations) and between a publishing worker and an in-order consumer (the registry's real use).
/// A .NET user would otherwise use a <see cref="ConcurrentDictionary{TKey, TValue}"/> keyed by task
/// number, or a <see cref="Dictionary{TKey, TValue}"/> under a lock. Our side (<c>TaskRegistry</c>) is in
/// <c>PublishLookupBenchmarks.Registry.cs</c>. Each task's owner is <c>task % Owners</c>; every method
/// checks the sum of the owners it looked up.
/// </summary>
[MemoryDiagnoser]
public partial class PublishLookupBenchmarks
{
    /// <summary>Owners (workers) the tasks are spread over.</summary>
    public const int Owners = 4;

    /// <summary>The registry's window, and the dictionaries' initial capacity.</summary>
    public const int Window = 1024;

    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [1_000], quick: [1_000_000], full: [1_000_000]);

    [ParamsSource(nameof(Sizes_))]
    public int Items { get; set; }

    [Benchmark(Baseline = true, Description = "ConcurrentDictionary, one thread")]
    [BenchmarkCategory(Categories.Quick)]
    public long DictionaryOneThread()
    {
        var map = new ConcurrentDictionary<long, int>(concurrencyLevel: 1, capacity: Window);
        long sum = 0;
        for (long task = 0; task < Items; task++)
        {
            map[task] = (int)(task % Owners);
            map.TryRemove(task, out int owner);
            sum += owner;
        }

        return Checked(sum);
    }

    [Benchmark(Description = "Dictionary under a lock, one thread")]
    public long LockedDictionaryOneThread()
    {
        var map = new Dictionary<long, int>(Window);
        long sum = 0;
        for (long task = 0; task < Items; task++)
        {
            lock (map)
            {
                map[task] = (int)(task % Owners);
            }

            lock (map)
            {
                map.Remove(task, out int owner);
                sum += owner;
            }
        }

        return Checked(sum);
    }

    [Benchmark(Description = "ConcurrentDictionary, worker to consumer")]
    [BenchmarkCategory(Categories.Quick)]
    public long DictionaryTwoThreads()
    {
        var map = new ConcurrentDictionary<long, int>(concurrencyLevel: 2, capacity: Window);
        int count = Items;
        return TwoThreads.Run(
            () =>
            {
                for (long task = 0; task < count; task++)
                {
                    map[task] = (int)(task % Owners);
                }
            },
            () =>
            {
                long sum = 0;
                var spinner = default(SpinWait);
                for (long task = 0; task < count;)
                {
                    if (map.TryRemove(task, out int owner))
                    {
                        sum += owner;
                        task++;
                        spinner.Reset();
                    }
                    else
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }

                return Checked(sum);
            });
    }

    /// <summary>Checks the sum of the owners looked up: task % Owners over 0..Items-1.</summary>
    private long Checked(long sum)
    {
        long full = Items / Owners, rest = Items % Owners;
        Work.Check(sum, (full * Work.SumBelow(Owners)) + Work.SumBelow(rest));
        return sum;
    }
}
