using System.Globalization;
using Microsoft.Coyote;

namespace Primitives.CoyoteTests.Harness;

/// <summary>
/// The one place the Coyote suite's budget and environment switches are read (see docs/coyote.md).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>PRIMITIVES_COYOTE_ITERATIONS</c>: the base iteration count, absolute (default
/// <see cref="DefaultIterations"/>). A test runs <c>base × scale</c> iterations, where the scale is
/// the test's own factor (below 1 for expensive bodies). Raise it for long explorations.</item>
/// <item><c>PRIMITIVES_COYOTE_SEED</c>: the base seed (a number), or <c>random</c> for a fresh
/// seed per run. Unset: a fixed seed, so a CI run is reproducible; each test mixes its own name in.</item>
/// <item><c>PRIMITIVES_COYOTE_STRATEGY</c>: the exploration strategy. Unset or <c>portfolio</c>: Coyote's
/// default, a portfolio that cycles random, probabilistic and fair-prioritization (PCT) runs, which found
/// the seeded bugs of this suite in the fewest iterations overall. Also <c>random</c>,
/// <c>probabilistic[:N]</c>, <c>prioritization[:N]</c> (fair PCT with N priority changes, default 10) and
/// <c>delay-bounding[:N]</c>, for a long run that should look at the schedules differently.</item>
/// <item><c>PRIMITIVES_COYOTE_REPLAY</c>: a trace file written by a failing run. The test whose id
/// equals the file's name (without <c>.trace</c>) replays it instead of exploring.</item>
/// </list>
/// </remarks>
internal static class CoyoteSettings
{
    /// <summary>Base iterations per test when the environment does not say otherwise.</summary>
    /// <remarks>
    /// Chosen so that the whole Coyote suite (about 120 tests, half of them seeded-fault tests that stop at the first bug) stays at two to three minutes
    /// on a 2-core machine: a two-thread ring body costs a few milliseconds per iteration.
    /// </remarks>
    public const uint DefaultIterations = 300;

    /// <summary>Scheduling steps per iteration before Coyote stops it and reports a hang.</summary>
    /// <remarks>
    /// Coyote's own default is 10,000 (100,000 for fair strategies). Our bodies take a few hundred
    /// steps, so a much lower bound finds livelocks (a spin that never ends) quickly. A body that
    /// legitimately needs more passes its own bound.
    /// </remarks>
    public const int DefaultMaxSteps = 2_000;

    /// <summary>
    /// How long Coyote's deadlock monitor waits, in milliseconds, before calling a stall that it cannot
    /// explain (an uncontrolled wait) a potential deadlock. Real deadlocks among controlled operations
    /// are reported at once; this only guards against false alarms on a loaded CI machine.
    /// </summary>
    public const uint DeadlockTimeoutMilliseconds = 5_000;

    /// <summary>Fixed base seed used when PRIMITIVES_COYOTE_SEED is not set.</summary>
    private const uint DefaultSeed = 0x5EED_C0DE;

    public const string IterationsVariable = "PRIMITIVES_COYOTE_ITERATIONS";
    public const string SeedVariable = "PRIMITIVES_COYOTE_SEED";
    public const string ReplayVariable = "PRIMITIVES_COYOTE_REPLAY";
    public const string StrategyVariable = "PRIMITIVES_COYOTE_STRATEGY";

    /// <summary>The base iteration count (environment or default).</summary>
    public static uint BaseIterations { get; } = ReadIterations();

    /// <summary>Iterations for a test with the given scale factor (at least 1).</summary>
    public static uint IterationsFor(double scale)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        return (uint)Math.Clamp(Math.Round(BaseIterations * scale), 1, uint.MaxValue);
    }

    /// <summary>The seed for a test: null means "let Coyote pick" (PRIMITIVES_COYOTE_SEED=random).</summary>
    public static uint? SeedFor(string testId)
    {
        string? text = Environment.GetEnvironmentVariable(SeedVariable);
        uint baseSeed = DefaultSeed;
        if (!string.IsNullOrWhiteSpace(text))
        {
            if (text.Trim().Equals("random", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            if (!uint.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out baseSeed))
            {
                throw new InvalidOperationException($"{SeedVariable}='{text}' is neither a number nor 'random'.");
            }
        }

        // FNV-1a over the test id, so that tests do not all walk the same random sequence.
        uint hash = 2166136261;
        foreach (char c in testId)
        {
            hash = (hash ^ c) * 16777619;
        }

        return baseSeed ^ hash;
    }

    /// <summary>The trace to replay for this test, or null when PRIMITIVES_COYOTE_REPLAY names another test.</summary>
    public static string? ReplayTraceFor(string testId)
    {
        string? path = Environment.GetEnvironmentVariable(ReplayVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{ReplayVariable}='{path}': no such file.");
        }

        return Path.GetFileNameWithoutExtension(path) == testId ? File.ReadAllText(path) : null;
    }

    /// <summary>
    /// Applies PRIMITIVES_COYOTE_STRATEGY to <paramref name="config"/>; unset, the test's own <paramref name="declared"/>
    /// strategy (see <see cref="CoyoteHarness.WithStrategy"/>), else Coyote's portfolio.
    /// </summary>
    /// <remarks>
    /// Only fair strategies are offered: an unfair one may run a spinning thread forever, which the suite's
    /// failure on the max-steps bound would report as a hang in correct code.
    /// </remarks>
    public static Configuration ApplyStrategy(Configuration config, string? declared = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        string? text = Environment.GetEnvironmentVariable(StrategyVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            text = declared;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return config;
        }

        string[] parts = text.Trim().Split(':');
        uint bound = 10;
        if (parts.Length > 2 || (parts.Length == 2 && !uint.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out bound)))
        {
            throw new InvalidOperationException($"{StrategyVariable}='{text}': expected a name, optionally followed by ':' and a number.");
        }

        return parts[0] switch
        {
            "portfolio" => config,
            "random" => config.WithRandomStrategy(),
            "probabilistic" => config.WithProbabilisticStrategy(parts.Length == 2 ? bound : 3),
            "prioritization" => config.WithPrioritizationStrategy(isFair: true, bound),
            "delay-bounding" => config.WithDelayBoundingStrategy(isFair: true, bound),
            _ => throw new InvalidOperationException($"{StrategyVariable}='{text}': unknown strategy (portfolio, random, probabilistic, prioritization, delay-bounding)."),
        };
    }

    private static uint ReadIterations()
    {
        string? text = Environment.GetEnvironmentVariable(IterationsVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultIterations;
        }

        if (!uint.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out uint value) || value == 0)
        {
            throw new InvalidOperationException($"{IterationsVariable}='{text}' is not a positive whole number.");
        }

        return value;
    }
}
