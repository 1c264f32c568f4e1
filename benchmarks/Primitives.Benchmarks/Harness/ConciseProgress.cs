using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.EventProcessors;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.Results;

namespace Primitives.Benchmarks.Harness;

/// <summary>
/// The console side of the concise output: a line when the build starts and ends, then one line per
/// benchmark as it finishes, with a progress count, its time per item and, once both sides of a
/// comparison have run, the ratio between ours and the peer:
/// <code>
/// [ 6/48 0:58] RingBuffers/SpscTransfer [Items=1000000] SpscRingBuffer single-item: 8.8 ns/item
/// [ 7/48 1:02] RingBuffers/SpscTransfer [Items=1000000] Channel.CreateBounded: 80.3 ns/item -> SpscRingBuffer single-item (8.8 ns/item) 9.1x faster
/// </code>
/// A failed benchmark gets a FAILED line followed by the end of its BenchmarkDotNet log.
/// </summary>
public sealed class ConciseProgress : EventProcessor
{
    private readonly ConciseLogger _logger;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(BenchmarkCase Case, double Ns)> _measured = [];
    private readonly object _gate = new();
    private int _total;
    private int _done;

    /// <summary>Creates the progress reporter that reads failed benchmarks' logs from <paramref name="logger"/>.</summary>
    public ConciseProgress(ConciseLogger logger) => _logger = logger;

    /// <inheritdoc/>
    public override void OnStartBuildStage(IReadOnlyList<BuildPartition> partitions)
    {
        _total = partitions.Sum(p => p.Benchmarks.Length);
        Console.WriteLine($"Building {_total} benchmark(s) ...");
    }

    /// <inheritdoc/>
    public override void OnBuildComplete(BuildPartition partition, BuildResult buildResult)
    {
        if (!buildResult.IsBuildSuccess)
        {
            lock (_gate)
            {
                Console.WriteLine($"Build FAILED for {partition.Benchmarks.Length} benchmark(s): {buildResult.ErrorMessage}");
            }
        }
    }

    /// <inheritdoc/>
    public override void OnEndBuildStage() =>
        Console.WriteLine($"Built in {Elapsed()}; running them, one line as each finishes.");

    /// <inheritdoc/>
    public override void OnStartRunStage() => _logger.StartRunStage();

    /// <inheritdoc/>
    public override void OnStartRunBenchmark(BenchmarkCase benchmarkCase) => _logger.StartBenchmark();

    /// <inheritdoc/>
    public override void OnEndRunBenchmark(BenchmarkCase benchmarkCase, BenchmarkReport report)
    {
        _done++;
        var log = _logger.EndBenchmark();
        string head = string.Create(CultureInfo.InvariantCulture,
            $"[{_done.ToString(CultureInfo.InvariantCulture).PadLeft(_total.ToString(CultureInfo.InvariantCulture).Length)}/{_total} {Elapsed()}] " +
            $"{RatioSummary.GroupName(benchmarkCase)} {benchmarkCase.Parameters.DisplayInfo} {RatioSummary.MethodName(benchmarkCase)}:");
        if (!report.Success || report.ResultStatistics is not { Mean: > 0 } statistics)
        {
            Console.WriteLine($"{head} FAILED; the end of its log:");
            foreach (string line in log)
            {
                Console.WriteLine($"    {line}");
            }

            return;
        }

        _measured.Add((benchmarkCase, statistics.Mean));
        string comparisons = Sizes.Mode == BenchMode.Ci ? string.Empty : Comparisons(benchmarkCase); // CI timings mean nothing
        Console.WriteLine($"{head} {PerItem(benchmarkCase, statistics.Mean)}{comparisons}");
    }

    /// <summary>" -> 9.1x faster than Peer" for ours, " -> Ours (8.8 ns/item) 9.1x faster" for a peer, per finished counterpart.</summary>
    private string Comparisons(BenchmarkCase benchmarkCase)
    {
        var parts = new List<string>();
        foreach (var (ours, peer, line) in RatioSummary.Pairs(_measured))
        {
            if (ours == benchmarkCase)
            {
                parts.Add(line.Verdict == RatioSummary.AboutTheSame ? $"about the same as {line.Peer}" : $"{line.Verdict} than {line.Peer}");
            }
            else if (peer == benchmarkCase)
            {
                parts.Add($"{line.Ours} ({PerItem(ours, line.OursNs)}) {line.Verdict}");
            }
        }

        return parts.Count == 0 ? string.Empty : " -> " + string.Join("; ", parts);
    }

    /// <summary>"8.8 ns/item", or "1234 ns/op" for a benchmark without an item count.</summary>
    private static string PerItem(BenchmarkCase benchmarkCase, double ns)
    {
        int? items = PerItemColumn.ItemCount(benchmarkCase);
        double value = ns / (items ?? 1);
        string format = value switch { >= 100 => "0", >= 10 => "0.#", _ => "0.##" };
        return value.ToString(format, CultureInfo.InvariantCulture) + (items is null ? " ns/op" : " ns/item");
    }

    private string Elapsed() => _clock.Elapsed.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
