using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;
using Primitives.Registry;
using static Primitives.Benchmarks.Registry.RegistryWorkload;

namespace Primitives.Benchmarks.Registry;

/// <summary>Our side of the one-thread publish/lookup comparison: <see cref="TaskRegistry"/>.</summary>
public partial class PublishLookupBenchmarks
{
    [Benchmark(Description = "TaskRegistry, one thread")]
    [BenchmarkCategory(Categories.Ours, Categories.Quick)]
    public long RegistryOneThread()
    {
        var registry = new TaskRegistry(Window);
        long sum = 0;
        for (int i = 0; i < Items; i++)
        {
            long task = registry.Claim();
            registry.Publish(task, OwnerOf(task));
            if (!registry.TryGetOwner(task, out int owner))
            {
                throw new InvalidOperationException($"Task {task} was published but has no owner.");
            }

            registry.Release(task);
            sum += owner;
        }

        return Checked(sum, Items);
    }
}
