using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Coyote;
using Microsoft.Coyote.Logging;
using Microsoft.Coyote.Rewriting;
using Microsoft.Coyote.SystematicTesting;
using Primitives.Internal;

namespace Primitives.CoyoteTests.Harness;

/// <summary>
/// Runs a test body under Coyote's <see cref="TestingEngine"/> with the settings this suite relies on,
/// and turns the outcome into an xUnit verdict (see docs/coyote.md).
/// </summary>
/// <remarks>
/// <para><see cref="Run(Action, double, int, string?, string, string)"/>: the body must hold in every explored
/// interleaving. A bug fails the test with Coyote's report; the reproducible trace is written to
/// <c>coyote-traces/&lt;test id&gt;.trace</c> in the test output folder.</para>
/// <para><see cref="ExpectFault(Primitives.Internal.FaultId, Action, string, double, int, string?, string, string)"/>: for a seeded fault in
/// the library's code, and <see cref="ExpectBug(Action, string, double, int, string?, string, string)"/> for a body broken by itself.
/// Coyote must report a bug whose report contains the expected text, within the same budget the real
/// test gets; the number of iterations it needed goes to the test output.</para>
/// <para>The test id is <c>&lt;file name&gt;.&lt;method&gt;</c> (one test class per file).</para>
/// </remarks>
public sealed class CoyoteHarness
{
    private static readonly Lazy<string?> s_rewritingProblem = new(CheckRewritten);

    private readonly ITestOutputHelper _output;
    private readonly string? _strategy;

    public CoyoteHarness(ITestOutputHelper output)
        : this(output, strategy: null)
    {
    }

    private CoyoteHarness(ITestOutputHelper output, string? strategy)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _strategy = strategy;
    }

    /// <summary>
    /// This harness, exploring with <paramref name="strategy"/> (as <see cref="CoyoteSettings.StrategyVariable"/> spells
    /// it) instead of Coyote's portfolio, for a body whose bug needs a schedule that one strategy reaches far more often
    /// than the mix. The variable, when set, still wins.
    /// </summary>
    public CoyoteHarness WithStrategy(string strategy)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(strategy);
        return new CoyoteHarness(_output, strategy);
    }

    /// <summary>The folder that receives traces of found bugs.</summary>
    public static string TraceDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "coyote-traces");

    /// <summary>Explores <paramref name="test"/>; fails the xUnit test if Coyote finds a bug.</summary>
    /// <param name="test">The body: starts its own threads or tasks and asserts.</param>
    /// <param name="scale">Multiplies the base iteration count (below 1 for expensive bodies).</param>
    /// <param name="maxSteps">Coyote's max scheduling steps: the bound of its unfair (priority) phase; an
    /// iteration that reaches ten times this under the fair strategies is reported as a hang.</param>
    /// <param name="variant">Distinguishes the cases of a theory in the test id (trace name, seed).</param>
    public void Run(Action test, double scale = 1, int maxSteps = CoyoteSettings.DefaultMaxSteps, string? variant = null,
        [CallerMemberName] string testName = "", [CallerFilePath] string testFile = "")
        => Verify(config => TestingEngine.Create(config, test), scale, maxSteps, Id(testFile, testName, variant));

    /// <inheritdoc cref="Run(Action, double, int, string?, string, string)"/>
    public void Run(Func<Task> test, double scale = 1, int maxSteps = CoyoteSettings.DefaultMaxSteps, string? variant = null,
        [CallerMemberName] string testName = "", [CallerFilePath] string testFile = "")
        => Verify(config => TestingEngine.Create(config, test), scale, maxSteps, Id(testFile, testName, variant));

    /// <summary>
    /// Explores a body that must fail (a seeded fault or a broken toy); fails the xUnit test unless Coyote reports a bug whose report
    /// contains <paramref name="expectedInReport"/>.
    /// </summary>
    /// <param name="expectedInReport">Text the bug report must contain (an assertion message, or
    /// "Deadlock detected"), so that the body fails for its planted reason and no other; alternatives, for a fault that
    /// shows in either of two ways, are separated by <c>" | "</c>.</param>
    /// <returns>The number of iterations Coyote needed to find the bug.</returns>
    public int ExpectBug(Action test, string expectedInReport, double scale = 1, int maxSteps = CoyoteSettings.DefaultMaxSteps, string? variant = null,
        [CallerMemberName] string testName = "", [CallerFilePath] string testFile = "")
        => VerifyBug(config => TestingEngine.Create(config, test), expectedInReport, scale, maxSteps, Id(testFile, testName, variant));

    /// <inheritdoc cref="ExpectBug(Action, string, double, int, string?, string, string)"/>
    public int ExpectBug(Func<Task> test, string expectedInReport, double scale = 1, int maxSteps = CoyoteSettings.DefaultMaxSteps, string? variant = null,
        [CallerMemberName] string testName = "", [CallerFilePath] string testFile = "")
        => VerifyBug(config => TestingEngine.Create(config, test), expectedInReport, scale, maxSteps, Id(testFile, testName, variant));

    /// <summary>
    /// Explores <paramref name="test"/> with the seeded fault <paramref name="fault"/> turned on in the library's
    /// real code (the fault build, see docs/coyote.md); fails the xUnit test unless Coyote reports a bug whose
    /// report contains <paramref name="expectedInReport"/>. The calling test must carry
    /// <c>[SeededFault(fault)]</c>.
    /// </summary>
    /// <returns>The number of iterations Coyote needed to find the bug.</returns>
    internal int ExpectFault(FaultId fault, Action test, string expectedInReport, double scale = 1, int maxSteps = CoyoteSettings.DefaultMaxSteps, string? variant = null,
        [CallerMemberName] string testName = "", [CallerFilePath] string testFile = "")
        => WithFault(fault, testName, () => ExpectBug(test, expectedInReport, scale, maxSteps, variant, testName, testFile));

    /// <inheritdoc cref="ExpectFault(FaultId, Action, string, double, int, string?, string, string)"/>
    internal int ExpectFault(FaultId fault, Func<Task> test, string expectedInReport, double scale = 1, int maxSteps = CoyoteSettings.DefaultMaxSteps, string? variant = null,
        [CallerMemberName] string testName = "", [CallerFilePath] string testFile = "")
        => WithFault(fault, testName, () => ExpectBug(test, expectedInReport, scale, maxSteps, variant, testName, testFile));

    private static int WithFault(FaultId fault, string testName, Func<int> explore)
    {
        Assert.True(fault != FaultId.None, "ExpectFault needs a fault; use Run for the code as shipped.");
        bool marked = typeof(CoyoteHarness).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly))
            .Any(method => method.Name == testName && method.GetCustomAttributes(typeof(SeededFaultAttribute), false).Cast<SeededFaultAttribute>().Any(mark => mark.Fault == fault));
        Assert.True(marked, $"{testName} turns on {fault} but is not marked [SeededFault(FaultId.{fault})]: the coverage check would not count it.");
        Assert.True(Fault.Active == FaultId.None, $"{Fault.Active} is still active from another test.");
        Fault.Active = fault;
        try
        {
            return explore();
        }
        finally
        {
            Fault.Active = FaultId.None;
        }
    }

    /// <summary>Replays a trace (the text of a .trace file) once; returns the bug reports it reproduced.</summary>
    /// <remarks>Used by the harness's own tests; for replaying from the command line see PRIMITIVES_COYOTE_REPLAY.</remarks>
    public IReadOnlyCollection<string> Replay(Action test, string trace, int maxSteps = CoyoteSettings.DefaultMaxSteps)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentException.ThrowIfNullOrEmpty(trace);
        Configuration config = CreateConfiguration(1, maxSteps, seed: null, _strategy).WithReproducibleTrace(trace);
        using TestingEngine engine = TestingEngine.Create(config, test);
        engine.Run();
        return [.. engine.TestReport.BugReports];
    }

    private void Verify(Func<Configuration, TestingEngine> create, double scale, int maxSteps, string testId)
    {
        Outcome outcome = Explore(create, scale, maxSteps, testId);
        if (outcome.BugReports.Count > 0)
        {
            string tracePath = WriteTrace(outcome, TraceDirectory, testId);
            Assert.Fail(
                $"Coyote found a bug in {testId} at iteration {outcome.Iterations} of {outcome.Budget} (seed {Seed(outcome.Seed)}).{Environment.NewLine}" +
                $"Trace: {tracePath}{Environment.NewLine}" +
                $"Replay: {CoyoteSettings.ReplayVariable}={tracePath} dotnet test coyote-tests/Primitives.CoyoteTests -c Release --filter \"FullyQualifiedName~{testId.Split('-')[0]}\"{Environment.NewLine}" +
                string.Join(Environment.NewLine, outcome.BugReports) + Hint(outcome.BugReports));
        }
    }

    /// <summary>Explains failures that come from Coyote's own limits rather than from the code under test.</summary>
    private static string Hint(IReadOnlyList<string> reports)
    {
        string all = string.Join(Environment.NewLine, reports);
        return all.Contains("Monitor.IsEntered", StringComparison.Ordinal)
            ? Environment.NewLine + "Hint: Coyote 1.7.11's Monitor.IsEntered throws when the lock is not held: " +
              "do not call it in code under test, not even in Debug.Assert (docs/coyote.md, \"Constructs the library avoids\")."
            : "";
    }

    private int VerifyBug(Func<Configuration, TestingEngine> create, string expectedInReport, double scale, int maxSteps, string testId)
    {
        ArgumentException.ThrowIfNullOrEmpty(expectedInReport);
        Outcome outcome = Explore(create, scale, maxSteps, testId);
        Assert.True(
            outcome.BugReports.Count > 0,
            $"Coyote did NOT find the seeded bug in {testId} within {outcome.Budget} iterations (seed {Seed(outcome.Seed)}). " +
            "Either the harness is misconfigured or the fault is unreachable: a green result of the real test proves nothing until this passes.");

        string tracePath = WriteTrace(outcome, Path.Combine(TraceDirectory, "seeded"), testId);
        string reports = string.Join(Environment.NewLine, outcome.BugReports);
        Assert.True(
            expectedInReport.Split(" | ").Any(expected => reports.Contains(expected, StringComparison.Ordinal)),
            $"Coyote found a bug in {testId}, but not the seeded one (expected \"{expectedInReport}\" in the report). Trace: {tracePath}{Environment.NewLine}{reports}");
        _output.WriteLine($"[coyote] {testId}: seeded bug found after {outcome.Iterations} iteration(s) of {outcome.Budget}: {FirstLine(reports)}");
        return outcome.Iterations;
    }

    private Outcome Explore(Func<Configuration, TestingEngine> create, double scale, int maxSteps, string testId)
    {
        string? problem = s_rewritingProblem.Value;
        Assert.True(problem is null, problem);

        string? trace = CoyoteSettings.ReplayTraceFor(testId);
        uint budget = trace is null ? CoyoteSettings.IterationsFor(scale) : 1;
        uint? seed = CoyoteSettings.SeedFor(testId);
        Configuration config = CreateConfiguration(budget, maxSteps, seed, _strategy);
        if (trace is not null)
        {
            // Replaying: also log every scheduling decision, into the readable trace written below.
            config = config.WithReproducibleTrace(trace).WithVerbosityEnabled(VerbosityLevel.Exhaustive);
            _output.WriteLine($"[coyote] {testId}: replaying the trace from {CoyoteSettings.ReplayVariable}");
        }

        using TestingEngine engine = create(config);
        // Exploring: Coyote's progress lines would only clutter the console. Replaying: keep its log.
        using var replayLog = new StringWriter(CultureInfo.InvariantCulture);
        engine.SetLogger(trace is null
            ? new TextWriterLogger(TextWriter.Null, VerbosityLevel.None)
            : new TextWriterLogger(replayLog, VerbosityLevel.Exhaustive));
        int started = 0;
        engine.RegisterStartIterationCallBack(_ => started++);
        var stopwatch = Stopwatch.StartNew();
        engine.Run();
        stopwatch.Stop();

        TestReport report = engine.TestReport;
        if (trace is not null)
        {
            string logPath = Path.Combine(TraceDirectory, "replays", testId + ".log");
            Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
            File.WriteAllText(logPath, replayLog.ToString());
            _output.WriteLine($"[coyote] {testId}: replay log (every scheduling decision): {logPath}");
        }

        Assert.True(report.InternalErrors.Count == 0, "Coyote internal errors: " + string.Join(Environment.NewLine, report.InternalErrors));
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[coyote] {testId}: {started} iteration(s) of {budget} in {stopwatch.Elapsed.TotalSeconds:F2} s; " +
            $"steps per iteration up to {Math.Max(report.MaxExploredFairSteps, report.MaxExploredUnfairSteps)} (a hang at {config.MaxFairSchedulingSteps}); seed {Seed(seed)}"));
        if (report.UncontrolledInvocations.Count > 0)
        {
            // Partially controlled concurrency is disallowed, so Coyote already reports these as bugs;
            // listing them makes the cause obvious.
            _output.WriteLine("[coyote] uncontrolled invocations: " + string.Join(", ", report.UncontrolledInvocations));
        }

        return new Outcome([.. report.BugReports], started, (int)budget, seed, engine.ReproducibleTrace, engine.ReadableTrace);
    }

    private static Configuration CreateConfiguration(uint iterations, int maxSteps, uint? seed, string? strategy)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);
        Configuration config = Configuration.Create()
            .WithTestingIterations(iterations)
            .WithMaxSchedulingSteps((uint)maxSteps)
            .WithFailureOnMaxStepsBoundEnabled(true)            // a spin that never ends is a bug, not a silent stop
            .WithMemoryAccessRaceCheckingEnabled(true)          // plain field loads/stores become scheduling points
            .WithPartiallyControlledConcurrencyAllowed(false)   // anything Coyote cannot control is a failure
            .WithDeadlockTimeout(CoyoteSettings.DeadlockTimeoutMilliseconds)
            .WithTelemetryEnabled(false);
        config = CoyoteSettings.ApplyStrategy(config, strategy);
        return seed is uint value ? config.WithRandomGeneratorSeed(value) : config;
    }

    private static string WriteTrace(Outcome outcome, string directory, string testId)
    {
        Directory.CreateDirectory(directory);
        string tracePath = Path.Combine(directory, testId + ".trace");
        File.WriteAllText(tracePath, outcome.ReproducibleTrace);
        File.WriteAllText(Path.ChangeExtension(tracePath, ".log"), outcome.ReadableTrace);
        return tracePath;
    }

    private static string? CheckRewritten()
    {
        var missing = new StringBuilder();
        foreach (var assembly in new[] { typeof(AssemblyMarker).Assembly, typeof(CoyoteHarness).Assembly })
        {
            if (!RewritingEngine.IsAssemblyRewritten(assembly))
            {
                missing.Append(CultureInfo.InvariantCulture, $" {assembly.GetName().Name} ({assembly.Location})");
            }
        }

        return missing.Length == 0
            ? null
            : "Not rewritten by Coyote:" + missing + ". Build the Coyote test project (its CoyoteRewrite target rewrites its output folder); an unrewritten test runs uncontrolled and proves nothing.";
    }

    private static string Id(string testFile, string testName, string? variant) =>
        Path.GetFileNameWithoutExtension(testFile) + "." + testName + (string.IsNullOrEmpty(variant) ? "" : "-" + variant);

    private static string Seed(uint? seed) => seed?.ToString(CultureInfo.InvariantCulture) ?? "random";

    private static string FirstLine(string text)
    {
        int end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    private sealed record Outcome(IReadOnlyList<string> BugReports, int Iterations, int Budget, uint? Seed, string ReproducibleTrace, string ReadableTrace);
}
