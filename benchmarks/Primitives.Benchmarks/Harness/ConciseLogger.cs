using BenchmarkDotNet.Loggers;

namespace Primitives.Benchmarks.Harness;

/// <summary>
/// The console logger of the concise output (the default; <c>--verbose</c> uses BenchmarkDotNet's
/// own console logger instead). BenchmarkDotNet's log still goes in full to its log file in the
/// artifacts folder. On the console this logger shows only the error lines logged before the
/// benchmarks start running (invalid arguments, validation and build errors); after that it keeps the
/// lines logged since the current benchmark started, and <see cref="ConciseProgress"/> shows the end
/// of a failed benchmark's log under its FAILED line.
/// </summary>
public sealed class ConciseLogger : ILogger
{
    /// <summary>How many of a failed benchmark's last log lines <see cref="EndBenchmark"/> returns.</summary>
    public const int FailureLines = 25;

    private readonly object _gate = new();
    private readonly Queue<string> _benchmarkLines = new();
    private string _partial = string.Empty;
    private bool _running;

    /// <inheritdoc/>
    public string Id => nameof(ConciseLogger);

    /// <inheritdoc/>
    public int Priority => 0;

    /// <inheritdoc/>
    public void Write(LogKind logKind, string text)
    {
        bool echo;
        lock (_gate)
        {
            _partial += text;
            echo = logKind == LogKind.Error && !_running;
        }

        if (echo)
        {
            Console.Error.Write(text);
        }
    }

    /// <inheritdoc/>
    public void WriteLine()
    {
        lock (_gate)
        {
            Keep(_partial);
            _partial = string.Empty;
        }
    }

    /// <inheritdoc/>
    public void WriteLine(LogKind logKind, string text)
    {
        bool echo;
        lock (_gate)
        {
            Keep(_partial + text);
            _partial = string.Empty;
            echo = logKind == LogKind.Error && !_running;
        }

        if (echo)
        {
            Console.Error.WriteLine(text);
        }
    }

    /// <inheritdoc/>
    public void Flush() => Console.Out.Flush();

    /// <summary>The benchmarks start running: errors are no longer echoed.</summary>
    public void StartRunStage()
    {
        lock (_gate)
        {
            _running = true;
        }
    }

    /// <summary>Forgets the lines kept so far: a benchmark starts.</summary>
    public void StartBenchmark()
    {
        lock (_gate)
        {
            _benchmarkLines.Clear();
            _partial = string.Empty;
                    }
    }

    /// <summary>
    /// The benchmark has ended: returns the last <see cref="FailureLines"/> non-empty lines logged since
    /// <see cref="StartBenchmark"/>.
    /// </summary>
    public IReadOnlyList<string> EndBenchmark()
    {
        lock (_gate)
        {
            var lines = _benchmarkLines.ToList();
            _benchmarkLines.Clear();
            return lines;
        }
    }

    private void Keep(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        _benchmarkLines.Enqueue(line);
        if (_benchmarkLines.Count > FailureLines)
        {
            _benchmarkLines.Dequeue();
        }
    }
}
