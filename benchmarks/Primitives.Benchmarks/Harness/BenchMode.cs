namespace Primitives.Benchmarks.Harness;

/// <summary>The three ways the suite runs; chooses the parameter sizes.</summary>
public enum BenchMode
{
    /// <summary>Every benchmark once, tiny sizes, in-process (<c>--ci</c>): proves each one runs.</summary>
    Ci,

    /// <summary>The headline comparisons with real sizes and a short job (no arguments).</summary>
    Quick,

    /// <summary>The whole suite with BenchmarkDotNet's own arguments (<c>--filter</c>, <c>--job</c>, ...).</summary>
    Full,
}

/// <summary>
/// The current mode and the parameter sizes that go with it. The mode travels in an environment
/// variable so that it also reaches BenchmarkDotNet's child processes.
/// </summary>
public static class Sizes
{
    /// <summary>Environment variable holding the mode: <c>ci</c>, <c>quick</c> or <c>full</c>.</summary>
    public const string ModeVariable = "PRIMITIVES_BENCH_MODE";

    /// <summary>The mode of this run; <see cref="BenchMode.Full"/> unless the variable says otherwise.</summary>
    public static BenchMode Mode => Environment.GetEnvironmentVariable(ModeVariable) switch
    {
        "ci" => BenchMode.Ci,
        "quick" => BenchMode.Quick,
        _ => BenchMode.Full,
    };

    /// <summary>Sets the mode for this process and the processes it starts.</summary>
    public static void SetMode(BenchMode mode) =>
        Environment.SetEnvironmentVariable(ModeVariable, mode.ToString().ToLowerInvariant());

    /// <summary>Picks the sizes for the current mode.</summary>
    public static IEnumerable<int> Choose(int[] ci, int[] quick, int[] full) => Mode switch
    {
        BenchMode.Ci => ci,
        BenchMode.Quick => quick,
        _ => full,
    };

    /// <summary>Spin iterations of <see cref="Work.Spin"/> that take about 2 us on the reference machine.</summary>
    public const int TwoMicroseconds = 1000;

    /// <summary>Spin iterations of <see cref="Work.Spin"/> that take about 200 ns: typical real work per item.</summary>
    public const int TwoHundredNanoseconds = 100;
}
