using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Primitives.Benchmarks.Harness;

/// <summary>
/// The closing table of a run: for each benchmark class and parameter set, every method in the
/// <see cref="Categories.Ours"/> category against every other method of that class and parameters
/// (the peers a .NET user would otherwise pick), as "N.Nx faster" or "N.Nx slower".
/// </summary>
public static class RatioSummary
{
    /// <summary>The verdict within 5% either way.</summary>
    public const string AboutTheSame = "about the same";

    /// <summary>One comparison: our method against one peer, both with the same parameters.</summary>
    public sealed record Line(string Group, string Parameters, string Ours, string Peer, double OursNs, double PeerNs, int? Items)
    {
        /// <summary>Peer time over our time: above 1 means ours is faster.</summary>
        public double Speedup => PeerNs / OursNs;

        /// <summary>"9.1x faster", "1.3x slower" or "same".</summary>
        public string Verdict => Speedup switch
        {
            >= 1.05 => string.Create(CultureInfo.InvariantCulture, $"{Speedup:0.0#}x faster"),
            <= 1 / 1.05 => string.Create(CultureInfo.InvariantCulture, $"{1 / Speedup:0.0#}x slower"),
            _ => AboutTheSame,
        };
    }

    /// <summary>Collects the comparisons of every summary, in the order the benchmarks were declared.</summary>
    public static List<Line> Collect(IEnumerable<Summary> summaries) =>
        summaries.SelectMany(summary => Pairs(summary.BenchmarksCases
            .Select(c => (c, summary[c]?.ResultStatistics?.Mean ?? 0))))
            .Select(pair => pair.Line)
            .ToList();

    /// <summary>
    /// Pairs every measured <see cref="Categories.Ours"/> case with every measured peer of the same class,
    /// parameters and job. Cases with no positive mean are left out.
    /// </summary>
    public static IEnumerable<(BenchmarkCase Ours, BenchmarkCase Peer, Line Line)> Pairs(IEnumerable<(BenchmarkCase Case, double Ns)> cases)
    {
        var measured = cases.Where(x => x.Ns > 0).ToList();
        foreach (var group in measured.GroupBy(x => (x.Case.Descriptor.Type, Parameters: x.Case.Parameters.DisplayInfo, Job: x.Case.Job.DisplayInfo)))
        {
            var ours = group.Where(x => IsOurs(x.Case)).ToList();
            var peers = group.Where(x => !IsOurs(x.Case)).ToList();
            foreach (var o in ours)
            {
                foreach (var p in peers)
                {
                    yield return (o.Case, p.Case, new Line(
                        GroupName(o.Case),
                        group.Key.Parameters,
                        MethodName(o.Case),
                        MethodName(p.Case),
                        o.Ns,
                        p.Ns,
                        PerItemColumn.ItemCount(o.Case)));
                }
            }
        }
    }

    /// <summary>Whether <paramref name="benchmarkCase"/> measures one of this library's primitives.</summary>
    public static bool IsOurs(BenchmarkCase benchmarkCase) => benchmarkCase.Descriptor.HasCategory(Categories.Ours);

    /// <summary>
    /// Formats the comparisons as a markdown table, preceded by one plain line per comparison when
    /// <paramref name="withLines"/> is set (the concise output printed those as the benchmarks finished).
    /// </summary>
    public static string Format(IReadOnlyList<Line> lines, bool withLines = true)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("// * Primitives: ours vs the peer it replaces (peer time / our time) *");
        if (lines.Count == 0)
        {
            text.AppendLine("(no comparison: no benchmark in the Ours category ran next to a peer)");
            return text.ToString();
        }

        foreach (var line in withLines ? lines : [])
        {
            text.Append(CultureInfo.InvariantCulture, $"{line.Group} {line.Parameters} {line.Ours} vs {line.Peer}: {line.Verdict}");
            text.AppendLine(line.Items is int items
                ? string.Create(CultureInfo.InvariantCulture, $" ({line.OursNs / items:0.##} vs {line.PeerNs / items:0.##} ns/item)")
                : string.Create(CultureInfo.InvariantCulture, $" ({line.OursNs:0.##} vs {line.PeerNs:0.##} ns/op)"));
        }

        if (withLines)
        {
            text.AppendLine();
        }

        text.AppendLine("| Primitive | Parameters | Ours | Peer | Ours (ns/item) | Peer (ns/item) | Ratio |");
        text.AppendLine("|---|---|---|---|---:|---:|---|");
        foreach (var line in lines)
        {
            int items = line.Items ?? 1;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {line.Group} | {line.Parameters} | {line.Ours} | {line.Peer} | {line.OursNs / items:0.##} | {line.PeerNs / items:0.##} | {line.Verdict} |");
        }

        return text.ToString();
    }

    /// <summary>
    /// Writes the comparisons to the console (see <see cref="Format"/>) and to <c>ratios.md</c> in the
    /// results folder; returns the file's path, or null when no results folder exists.
    /// </summary>
    public static string? Report(IReadOnlyList<Summary> summaries, bool withLines)
    {
        var lines = Collect(summaries);
        Console.WriteLine(Format(lines, withLines));
        var folder = summaries.Select(s => s.ResultsDirectoryPath).FirstOrDefault(p => !string.IsNullOrEmpty(p));
        if (folder is null)
        {
            return null;
        }

        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "ratios.md");
        File.WriteAllText(path, Format(lines, withLines: true));
        return path;
    }

    /// <summary>The method's description without BenchmarkDotNet's quotes.</summary>
    public static string MethodName(BenchmarkCase benchmarkCase) => benchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\'');

    /// <summary>"RingBuffers/SpscTransfer": the folder (namespace) and the class without "Benchmarks".</summary>
    public static string GroupName(BenchmarkCase benchmarkCase)
    {
        var type = benchmarkCase.Descriptor.Type;
        string folder = type.Namespace?.Split('.').LastOrDefault() ?? string.Empty;
        string name = type.Name.EndsWith("Benchmarks", StringComparison.Ordinal) ? type.Name[..^"Benchmarks".Length] : type.Name;
        return $"{folder}/{name}";
    }
}
