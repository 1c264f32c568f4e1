using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Primitives.Benchmarks.Harness;
using Primitives.Benchmarks.Iterators;

namespace Primitives.Benchmarks;

/// <summary>
/// Entry point.
/// <list type="bullet">
/// <item>no arguments: the quick comparison of the headline benchmarks, then the ratio summary;</item>
/// <item><c>--ci</c>: every benchmark once with tiny sizes, in-process; exit code 1 if any fails;</item>
/// <item><c>--quick [BenchmarkDotNet arguments]</c>: the quick comparison restricted by the arguments (for
/// example <c>--filter '*Shape*'</c>), then the ratio summary;</item>
/// <item><c>--chart [folder]</c>: the ordered iterator's throughput against the degree of parallelism,
/// as CSV and SVG;</item>
/// <item>anything else: BenchmarkDotNet's own arguments (<c>--filter</c>, <c>--job</c>, <c>--list</c>, ...)
/// over the full suite.</item>
/// </list>
/// Every mode exits with 1 if a benchmark threw or produced no result.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var switcher = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly);
        if (args.Length == 0)
        {
            Sizes.SetMode(BenchMode.Quick);
            return Finish(switcher.RunAll(Configs.Quick()).ToList(), printRatios: true);
        }

        if (args[0] == "--ci")
        {
            Sizes.SetMode(BenchMode.Ci);
            string[] selection = args.Length > 1 ? args[1..] : ["--filter", "*"];
            return Finish(switcher.Run(selection, Configs.Ci()).ToList(), printRatios: false);
        }

        if (args[0] == "--quick")
        {
            Sizes.SetMode(BenchMode.Quick);
            string[] selection = args.Length > 1 ? args[1..] : ["--filter", "*"];
            return Finish(switcher.Run(selection, Configs.Quick()).ToList(), printRatios: true);
        }

        if (args[0] == "--chart")
        {
            Sizes.SetMode(BenchMode.Quick);
            var summary = BenchmarkRunner.Run<ScalingBenchmarks>(Configs.Quick(onlyQuickCategory: false));
            string folder = args.Length > 1 ? args[1] : Path.Combine(summary.ResultsDirectoryPath, "chart");
            ScalingChart.Write(summary, folder);
            return Finish([summary], printRatios: false);
        }

        Sizes.SetMode(BenchMode.Full);
        var summaries = switcher.Run(args, Configs.Full()).ToList();
        if (summaries.Count == 0 && args.Any(a => a is "--list" or "--help" or "-h" or "--version" or "--info"))
        {
            return 0; // BenchmarkDotNet listed or explained something; nothing was meant to run
        }

        return Finish(summaries, printRatios: true);
    }

    /// <summary>Prints the ratio summary and turns any failed benchmark into exit code 1.</summary>
    private static int Finish(IReadOnlyList<Summary> summaries, bool printRatios)
    {
        if (printRatios)
        {
            RatioSummary.Report(summaries);
        }

        var failed = Failures(summaries).ToList();
        if (failed.Count == 0 && summaries.Sum(s => s.BenchmarksCases.Length) > 0)
        {
            Console.WriteLine($"{summaries.Sum(s => s.BenchmarksCases.Length)} passed, 0 failed");
            return 0;
        }

        foreach (string failure in failed)
        {
            Console.Error.WriteLine($"FAILED: {failure}");
        }

        if (summaries.Sum(s => s.BenchmarksCases.Length) == 0 && failed.Count == 0)
        {
            Console.Error.WriteLine("FAILED: no benchmark ran.");
            return 1;
        }

        Console.WriteLine($"{summaries.Sum(s => s.BenchmarksCases.Length) - failed.Count} passed, {failed.Count} failed");
        return 1;
    }

    private static IEnumerable<string> Failures(IEnumerable<Summary> summaries)
    {
        foreach (var summary in summaries)
        {
            if (summary.HasCriticalValidationErrors)
            {
                foreach (var error in summary.ValidationErrors.Where(e => e.IsCritical))
                {
                    yield return $"{summary.Title}: {error.Message}";
                }
            }

            foreach (var benchmarkCase in summary.BenchmarksCases)
            {
                var report = summary[benchmarkCase];
                if (report is null || !report.Success || report.ResultStatistics is null)
                {
                    yield return benchmarkCase.DisplayInfo;
                }
            }
        }
    }
}
