using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.Registry;

/// <summary>The workload shared by the registry benchmarks: task i is owned by worker i % <see cref="Owners"/>.</summary>
public static class RegistryWorkload
{
    /// <summary>Owners (workers) the tasks are spread over.</summary>
    public const int Owners = 4;

    /// <summary>The registry's window, and the dictionaries' initial capacity.</summary>
    public const int Window = 1024;

    /// <summary>Tasks per operation, by mode.</summary>
    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [1_000], quick: [1_000_000], full: [1_000_000]);

    /// <summary>The owner of <paramref name="task"/>.</summary>
    public static int OwnerOf(long task) => (int)(task % Owners);

    /// <summary>Checks the sum of the owners looked up for tasks 0..tasks-1 and returns it.</summary>
    public static long Checked(long sum, int tasks)
    {
        long full = tasks / Owners, rest = tasks % Owners;
        Work.Check(sum, (full * Work.SumBelow(Owners)) + Work.SumBelow(rest));
        return sum;
    }
}
