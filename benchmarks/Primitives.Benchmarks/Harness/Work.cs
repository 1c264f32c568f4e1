using System.Runtime.CompilerServices;

namespace Primitives.Benchmarks.Harness;

/// <summary>Deterministic CPU-bound work for the selectors (no sleeping, no allocation).</summary>
public static class Work
{
    /// <summary>
    /// A dependent chain of xorshift steps: about 2 ns per iteration on a 3 GHz core, so
    /// <see cref="Sizes.TwoMicroseconds"/> iterations cost about 2 us. The result depends on every step,
    /// so the JIT cannot drop the loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long Spin(long seed, int iterations)
    {
        ulong x = (ulong)seed | 1;
        for (int i = 0; i < iterations; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }

        return (long)x;
    }

    /// <summary>Throws when a benchmark's result is wrong, so that a broken benchmark fails the run.</summary>
    public static void Check(long actual, long expected, [CallerMemberName] string benchmark = "")
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"{benchmark}: result {actual}, expected {expected}.");
        }
    }

    /// <summary>0 + 1 + ... + (count - 1): the checksum of a transfer of the items 0..count-1.</summary>
    public static long SumBelow(long count) => count * (count - 1) / 2;
}
