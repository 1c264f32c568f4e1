using System.Diagnostics;

namespace Primitives.Benchmarks.Harness;

/// <summary>
/// A warm-up by time, run in a benchmark's global setup, before BenchmarkDotNet's pilot stage. The pilot sizes each
/// iteration from the first invocations, and the quick job then warms up for two iterations only; a benchmark whose
/// first invocations run unoptimized code (tiered compilation promotes a method only after it was called, in the
/// background, and hot loops enter optimized code through on-stack replacement) gets iterations of a few
/// invocations, and is measured within its first second, before its code is optimized. The more code a benchmark
/// runs, the longer that takes: a pipeline with worker threads more than a plain loop. Every benchmark of a class
/// that uses this gets the same warm-up, its own case run for <see cref="Duration"/>, so each is measured warm.
/// </summary>
public static class WarmUp
{
    /// <summary>How long a benchmark runs its own case before the pilot (not in the CI mode, where timings mean nothing).</summary>
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(1);

    /// <summary>Runs <paramref name="benchmark"/> again and again for <see cref="Duration"/>; once in the CI mode.</summary>
    public static void Run(Func<long> benchmark)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            benchmark();
        }
        while (Sizes.Mode != BenchMode.Ci && clock.Elapsed < Duration);
    }
}
