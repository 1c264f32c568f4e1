using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using static Primitives.Benchmarks.Registry.RegistryWorkload;

namespace Primitives.Benchmarks.Registry;

/// <summary>
/// Publish-plus-lookup throughput on one thread: the pure cost of recording "task t is owned by
/// worker w", finding it again and retiring it. A .NET user would otherwise use a
/// <see cref="ConcurrentDictionary{TKey, TValue}"/> keyed by task number, or a
/// <see cref="Dictionary{TKey, TValue}"/> under a lock. Our side (<c>TaskRegistry</c>) is in
/// <c>PublishLookupBenchmarks.Registry.cs</c>; the cross-thread case is <see cref="HandOffBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public partial class PublishLookupBenchmarks
{
    [ParamsSource(typeof(RegistryWorkload), nameof(RegistryWorkload.Sizes_))]
    public int Items { get; set; }

    [Benchmark(Baseline = true, Description = "ConcurrentDictionary, one thread")]
    [BenchmarkCategory(Categories.Quick)]
    public long DictionaryOneThread()
    {
        var map = new ConcurrentDictionary<long, int>(concurrencyLevel: 1, capacity: Window);
        long sum = 0;
        for (long task = 0; task < Items; task++)
        {
            map[task] = OwnerOf(task);
            map.TryRemove(task, out int owner);
            sum += owner;
        }

        return Checked(sum, Items);
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
                map[task] = OwnerOf(task);
            }

            lock (map)
            {
                map.Remove(task, out int owner);
                sum += owner;
            }
        }

        return Checked(sum, Items);
    }
}
