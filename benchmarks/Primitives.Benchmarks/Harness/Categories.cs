namespace Primitives.Benchmarks.Harness;

/// <summary>
/// Benchmark categories. The ratio summary compares every <see cref="Ours"/> method with every other
/// method of the same class and parameters; <see cref="Quick"/> marks what the no-argument run measures.
/// </summary>
public static class Categories
{
    /// <summary>A method that measures one of this library's primitives.</summary>
    public const string Ours = "Ours";

    /// <summary>Part of the quick (no-argument) run.</summary>
    public const string Quick = "Quick";

    /// <summary>Kept out of the quick run although its methods are <see cref="Quick"/> (a class whose rows the quick run measures elsewhere).</summary>
    public const string NotQuick = "NotQuick";
}
