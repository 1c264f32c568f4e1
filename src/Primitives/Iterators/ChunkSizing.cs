namespace Primitives.Iterators;

/// <summary>How big the chunks are that workers claim.</summary>
internal static class ChunkSizing
{
    /// <summary>The largest automatic chunk.</summary>
    internal const int MaxAutomatic = 1024;

    /// <summary>Claims per doubling of a growing chunk size.</summary>
    private const int GrowthRound = 4;

    /// <summary>
    /// The chunk size: the requested one; or, for a known <paramref name="count"/>, about count / (32 x degree)
    /// (at least 1, at most <see cref="MaxAutomatic"/>) so that every worker gets many chunks and the last ones
    /// finish together; or 0 for an unknown count, meaning "grow" (see <see cref="Growing"/>).
    /// </summary>
    internal static int Choose(long count, int requested, int degree) =>
        requested > 0 ? requested
        : count < 0 ? 0
        : (int)Math.Clamp(count / (32L * degree), 1, MaxAutomatic);

    /// <summary>
    /// The size of the chunk after <paramref name="claims"/> earlier claims when the size grows: one item at first,
    /// so the first results come quickly, doubling every few claims up to <see cref="MaxAutomatic"/>, so that long
    /// runs amortize the claim.
    /// </summary>
    internal static int Growing(long claims) => (int)Math.Min(MaxAutomatic, 1L << (int)Math.Min(30, claims / GrowthRound));

    /// <summary>The source's length, when it is an array or list; otherwise -1.</summary>
    internal static long TryGetCount<T>(IEnumerable<T> source) => source switch
    {
        IList<T> list => list.Count,
        IReadOnlyList<T> list => list.Count,
        _ => -1,
    };
}
