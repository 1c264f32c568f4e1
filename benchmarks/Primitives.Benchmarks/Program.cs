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
/// The console gets one line per finished benchmark (<see cref="ConciseProgress"/>); <c>--verbose</c>, anywhere
/// in the arguments, prints BenchmarkDotNet's own log instead, which is always written to the artifacts folder.
/// Every mode exits with 1 if a benchmark threw or produced no result.
/// </summary>
public static class Program
{
    /// <summary>The flag that puts BenchmarkDotNet's own log on the console.</summary>
    public const string VerboseFlag = "--verbose";

    /// <summary>BenchmarkDotNet arguments that print something instead of running; their output is the log.</summary>
    private static readonly string[] s_informational = ["--list", "--help", "-h", "-?", "--version", "--info"];

    public static int Main(string[] args)
    {
        bool verbose = args.Contains(VerboseFlag) || args.Any(s_informational.Contains);
        args = args.Where(a => a != VerboseFlag).ToArray();
        var output = verbose ? RunOutput.CreateVerbose() : RunOutput.CreateConcise();
        var switcher = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly);
        if (args.Length == 0)
        {
            Sizes.SetMode(BenchMode.Quick);
            Announce(output, "Quick comparison with the .NET peers (about 3.5 minutes on two cores).");
            return Finish(switcher.RunAll(Configs.Quick(output)).ToList(), output, printRatios: true,
                "The iterator's scaling chart (CSV and SVG): add `-- --chart [folder]` to the command (1-2 minutes).");
        }

        if (args[0] == "--ci")
        {
            Sizes.SetMode(BenchMode.Ci);
            Announce(output, "Every benchmark once, tiny sizes, in this process (timings mean nothing).");
            string[] selection = args.Length > 1 ? args[1..] : ["--filter", "*"];
            return Finish(switcher.Run(selection, Configs.Ci(output)).ToList(), output, printRatios: false);
        }

        if (args[0] == "--quick")
        {
            Sizes.SetMode(BenchMode.Quick);
            Announce(output, "Quick comparison with the .NET peers, of the selected benchmarks.");
            string[] selection = args.Length > 1 ? args[1..] : ["--filter", "*"];
            return Finish(switcher.Run(selection, Configs.Quick(output)).ToList(), output, printRatios: true);
        }

        if (args[0] == "--chart")
        {
            Sizes.SetMode(BenchMode.Quick);
            Announce(output, "Throughput against the degree of parallelism, for the chart.");
            var summary = BenchmarkRunner.Run<ScalingBenchmarks>(Configs.Quick(output, onlyQuickCategory: false));
            string folder = args.Length > 1 ? args[1] : Path.Combine(summary.ResultsDirectoryPath, "chart");
            ScalingChart.Write(summary, folder);
            return Finish([summary], output, printRatios: false);
        }

        Sizes.SetMode(BenchMode.Full);
        var summaries = switcher.Run(args, Configs.Full(output)).ToList();
        if (summaries.Count == 0 && args.Any(s_informational.Contains))
        {
            return 0; // BenchmarkDotNet listed or explained something; nothing was meant to run
        }

        return Finish(summaries, output, printRatios: true);
    }

    /// <summary>The concise output's first line: what runs, and where BenchmarkDotNet's log goes.</summary>
    private static void Announce(RunOutput output, string what)
    {
        if (!output.Verbose)
        {
            Console.WriteLine($"{what} BenchmarkDotNet's log goes to BenchmarkDotNet.Artifacts/ ({VerboseFlag} prints it here).");
        }
    }

    /// <summary>
    /// Prints the ratio summary and where the files are, and turns any failed benchmark into exit code 1.
    /// The last line is "N passed, N failed".
    /// </summary>
    private static int Finish(IReadOnlyList<Summary> summaries, RunOutput output, bool printRatios, string? hint = null)
    {
        string? ratios = printRatios ? RatioSummary.Report(summaries, withLines: output.Verbose) : null;
        PrintFiles(summaries, ratios);
        if (hint is not null)
        {
            Console.WriteLine(hint);
        }

        int cases = summaries.Sum(s => s.BenchmarksCases.Length);
        var failed = Failures(summaries).ToList();
        foreach (string failure in failed)
        {
            Console.Error.WriteLine($"FAILED: {failure}");
        }

        if (cases == 0 && failed.Count == 0)
        {
            Console.Error.WriteLine(output.Verbose ? "FAILED: no benchmark ran." : $"FAILED: no benchmark ran ({VerboseFlag} shows BenchmarkDotNet's reasons).");
            return 1;
        }

        Console.WriteLine($"{cases - failed.Count} passed, {failed.Count} failed");
        return failed.Count == 0 ? 0 : 1;
    }

    /// <summary>Where BenchmarkDotNet's tables, the ratio table and the full log were written.</summary>
    private static void PrintFiles(IReadOnlyList<Summary> summaries, string? ratios)
    {
        string? results = summaries.Select(s => s.ResultsDirectoryPath).FirstOrDefault(p => !string.IsNullOrEmpty(p));
        var logs = summaries.Select(s => s.LogFilePath).Where(p => !string.IsNullOrEmpty(p)).Distinct().ToList();
        if (results is not null && summaries.Any(s => s.BenchmarksCases.Length > 0))
        {
            Console.WriteLine($"Tables per class (markdown, CSV): {Relative(results)}{(ratios is null ? string.Empty : $"; this summary: {Relative(ratios)}")}");
            string? shapes = ratios is null ? null : ShapeChart.WriteIfPresent(summaries, results);
            if (shapes is not null)
            {
                Console.WriteLine($"Source-shape chart (SVG, and CSV beside it): {Relative(shapes)}");
            }
        }

        foreach (string log in logs)
        {
            Console.WriteLine($"BenchmarkDotNet's log: {Relative(log)}");
        }
    }

    private static string Relative(string path) => Path.GetRelativePath(Directory.GetCurrentDirectory(), path);

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
