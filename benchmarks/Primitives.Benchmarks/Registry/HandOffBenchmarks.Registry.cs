using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.Registry;
using static Primitives.Benchmarks.Registry.RegistryWorkload;

namespace Primitives.Benchmarks.Registry;

/// <summary>Our side of the hand-off comparison: <see cref="TaskRegistry"/> with <c>WaitForOwner</c> and <c>Release</c>.</summary>
public partial class HandOffBenchmarks
{
    [Benchmark(Description = "TaskRegistry, worker to consumer")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long RegistryTwoThreads()
    {
        var registry = new TaskRegistry(Window);
        int count = Items;
        return TwoThreads.Run(
            () =>
            {
                for (int i = 0; i < count; i++)
                {
                    long task = registry.Claim();
                    registry.Publish(task, OwnerOf(task));
                }

                registry.Close();
            },
            () =>
            {
                long sum = 0;
                for (long task = 0; registry.WaitForOwner(task, out int owner); task++)
                {
                    sum += owner;
                    registry.Release(task);
                }

                return Checked(sum, count);
            });
    }
}
