using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using static Primitives.Benchmarks.Registry.RegistryWorkload;

namespace Primitives.Benchmarks.Registry;

/// <summary>
/// The registry's real use: a worker thread publishes task owners in claim order and the consumer
/// looks each one up in increasing task order, waiting for it if need be, then retires it. The peer
/// is a <see cref="ConcurrentDictionary{TKey, TValue}"/> whose consumer spins on <c>TryRemove</c>
/// (unbounded: nothing holds the worker back, as in the usual hand-written version). Our side is in
/// <c>HandOffBenchmarks.Registry.cs</c>.
/// </summary>
[MemoryDiagnoser]
public partial class HandOffBenchmarks
{
    [ParamsSource(typeof(RegistryWorkload), nameof(RegistryWorkload.Sizes_))]
    public int Items { get; set; }

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
                    map[task] = OwnerOf(task);
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

                return Checked(sum, count);
            });
    }
}
