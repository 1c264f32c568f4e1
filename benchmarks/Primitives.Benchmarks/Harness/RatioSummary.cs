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
            _ => "about the same",
        };
    }

    /// <summary>Collects the comparisons of every summary, in the order the benchmarks were declared.</summary>
    public static List<Line> Collect(IEnumerable<Summary> summaries)
    {
        var lines = new List<Line>();
        foreach (var summary in summaries)
        {
            var measured = summary.BenchmarksCases
                .Select(c => (Case: c, Ns: summary[c]?.ResultStatistics?.Mean))
                .Where(x => x.Ns is > 0)
                .ToList();
            foreach (var group in measured.GroupBy(x => (x.Case.Descriptor.Type, Parameters: x.Case.Parameters.DisplayInfo, Job: x.Case.Job.DisplayInfo)))
            {
                var ours = group.Where(x => x.Case.Descriptor.HasCategory(Categories.Ours)).ToList();
                var peers = group.Where(x => !x.Case.Descriptor.HasCategory(Categories.Ours)).ToList();
                foreach (var o in ours)
                {
                    foreach (var p in peers)
                    {
                        lines.Add(new Line(
                            GroupName(o.Case),
                            group.Key.Parameters,
                            MethodName(o.Case),
                            MethodName(p.Case),
                            o.Ns!.Value,
                            p.Ns!.Value,
                            PerItemColumn.ItemCount(o.Case)));
                    }
                }
            }
        }

        return lines;
    }

    /// <summary>Formats the comparisons as plain lines followed by a markdown table.</summary>
    public static string Format(IReadOnlyList<Line> lines)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("// * Primitives: ours vs the peer it replaces (peer time / our time) *");
        if (lines.Count == 0)
        {
            text.AppendLine("(no comparison: no benchmark in the Ours category ran next to a peer)");
            return text.ToString();
        }

        foreach (var line in lines)
        {
            text.Append(CultureInfo.InvariantCulture, $"{line.Group} {line.Parameters} {line.Ours} vs {line.Peer}: {line.Verdict}");
            text.AppendLine(line.Items is int items
                ? string.Create(CultureInfo.InvariantCulture, $" ({line.OursNs / items:0.##} vs {line.PeerNs / items:0.##} ns/item)")
                : string.Create(CultureInfo.InvariantCulture, $" ({line.OursNs:0.##} vs {line.PeerNs:0.##} ns/op)"));
        }

        text.AppendLine();
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

    /// <summary>Writes the comparisons to the console and to <c>ratios.md</c> in the artifacts folder.</summary>
    public static void Report(IReadOnlyList<Summary> summaries)
    {
        string text = Format(Collect(summaries));
        Console.WriteLine(text);
        var folder = summaries.Select(s => s.ResultsDirectoryPath).FirstOrDefault(p => !string.IsNullOrEmpty(p));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
            string path = Path.Combine(folder, "ratios.md");
            File.WriteAllText(path, text);
            Console.WriteLine($"Ratios written to {path}");
        }
    }

    /// <summary>The method's description without BenchmarkDotNet's quotes.</summary>
    private static string MethodName(BenchmarkCase benchmarkCase) => benchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\'');

    /// <summary>"RingBuffers/SpscTransfer": the folder (namespace) and the class without "Benchmarks".</summary>
    private static string GroupName(BenchmarkCase benchmarkCase)
    {
        var type = benchmarkCase.Descriptor.Type;
        string folder = type.Namespace?.Split('.').LastOrDefault() ?? string.Empty;
        string name = type.Name.EndsWith("Benchmarks", StringComparison.Ordinal) ? type.Name[..^"Benchmarks".Length] : type.Name;
        return $"{folder}/{name}";
    }
}
