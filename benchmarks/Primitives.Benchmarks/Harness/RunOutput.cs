using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Loggers;

namespace Primitives.Benchmarks.Harness;

/// <summary>
/// What a run prints on the console. Concise (the default): one line per finished benchmark
/// (<see cref="ConciseProgress"/>), then the ratio table. Verbose (<c>--verbose</c>): BenchmarkDotNet's
/// own log. Either way BenchmarkDotNet writes its full log to a file in the artifacts folder.
/// </summary>
public sealed class RunOutput
{
    private readonly ConciseLogger? _logger;
    private readonly ConciseProgress? _progress;

    private RunOutput(bool verbose)
    {
        Verbose = verbose;
        if (!verbose)
        {
            _logger = new ConciseLogger();
            _progress = new ConciseProgress(_logger);
        }
    }

    /// <summary>Whether BenchmarkDotNet's log goes to the console.</summary>
    public bool Verbose { get; }

    /// <summary>BenchmarkDotNet's log on the console.</summary>
    public static RunOutput CreateVerbose() => new(verbose: true);

    /// <summary>One line per finished benchmark on the console.</summary>
    public static RunOutput CreateConcise() => new(verbose: false);

    /// <summary>Adds this output's logger (and progress reporter) to <paramref name="config"/>.</summary>
    public ManualConfig AddTo(ManualConfig config) => Verbose
        ? config.AddLogger(ConsoleLogger.Default)
        : config.AddLogger(_logger!).AddEventProcessor(_progress!);
}
