#if PRIMITIVES_FAULTS
using Primitives.Internal;
#endif
using Primitives.Registry;

namespace Primitives.Iterators;

/// <summary>
/// Hands out consecutive chunks of the source to workers, numbered in source order.
/// </summary>
/// <remarks>
/// <para>In ordered mode a chunk's number is its task number in the <see cref="TaskRegistry"/>, claimed when the
/// chunk is claimed, so chunk numbers follow source order. In unordered mode the registry numbers results in
/// completion order instead (the worker claims a number after computing a chunk), and chunks are numbered here
/// only to find them.</para>
/// <para><b>Thread safety.</b> <see cref="TryClaim"/> is called by every worker, and by the consumer, concurrently.
/// <see cref="DisposeEnumerator"/> is called once, by the consumer, after every worker has been joined.</para>
/// </remarks>
internal abstract class ChunkSource<T>
{
    /// <summary>Items a reader copies between two checks of <see cref="IsStopped"/>: after a stop, a worker leaves the
    /// user's enumerator or indexer after at most this many more calls.</summary>
    internal const int StopCheckInterval = 32;

    /// <summary>The chunk number <see cref="TryClaim"/> gives with false when the consumer found another claimer reading
    /// the source (the source may not have ended).</summary>
    internal const long Busy = -2;

    private readonly TaskRegistry _registry;
    private readonly bool _ordered;

    protected ChunkSource(TaskRegistry registry, bool ordered)
    {
        _registry = registry;
        _ordered = ordered;
    }

    /// <summary>The number of chunks, when the source's length is known up front; otherwise <see cref="long.MaxValue"/>.</summary>
    internal abstract long KnownChunkCount { get; }

    /// <summary>Creates the chunk source for <paramref name="source"/>. Runs on the consumer thread.</summary>
    /// <param name="source">The user's source.</param>
    /// <param name="chunkSize">The chunk size from <see cref="ChunkSizing.Choose"/>: 0 (only for sources of unknown
    /// length) means chunks that start at one item and double every round of claims.</param>
    /// <param name="count">The source's length from <see cref="ChunkSizing.TryGetCount"/> (read once), or -1.</param>
    /// <param name="registry">The run's registry: it numbers chunks in ordered mode, and says when the run stopped.</param>
    /// <param name="ordered">Whether chunk numbers are registry task numbers (ordered mode).</param>
    internal static ChunkSource<T> Create(IEnumerable<T> source, long count, int chunkSize, TaskRegistry registry, bool ordered) =>
        count >= 0
            ? new ListChunkSource<T>(source, (int)count, chunkSize, registry, ordered)
            : new EnumerableChunkSource<T>(source.GetEnumerator(), chunkSize, registry, ordered);

    /// <summary>
    /// Claims the next chunk. Worker thread, or the consumer (caller-runs).
    /// </summary>
    /// <param name="scratch">The claimer's own buffer, grown as needed, for sources that must be copied.</param>
    /// <param name="consumer">The consumer claims: it never waits for a lock (another claimer holding it is about to
    /// number the chunk the consumer waits for); false then, as if no chunk were left.</param>
    /// <param name="chunk">The chunk's number.</param>
    /// <param name="items">The chunk's items, a range of the source array or of <paramref name="scratch"/> (possibly
    /// empty when <paramref name="sourceError"/> is set).</param>
    /// <param name="sourceError">An exception the source threw right after <paramref name="items"/>; the source then
    /// counts as ended.</param>
    /// <param name="cancellationToken">Ends a wait for a registry slot.</param>
    /// <returns>False when no chunk is left (or the registry refused the claim because the iteration stopped), or,
    /// for the consumer, when another claimer holds the source (<paramref name="chunk"/> is then <see cref="Busy"/>).</returns>
    internal abstract bool TryClaim(ref T[]? scratch, bool consumer, out long chunk, out ArraySegment<T> items, out Exception? sourceError, CancellationToken cancellationToken);

    /// <summary>Takes the next chunk number: the registry's in ordered mode, <paramref name="counter"/>'s otherwise.</summary>
    protected long NextChunkNumber(ref long counter, CancellationToken cancellationToken)
    {
        if (_ordered)
        {
            return _registry.Claim(cancellationToken);
        }

#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorUnorderedChunkNumberWithoutInterlocked))
        {
            long taken = Volatile.Read(ref counter); // SEEDED FAULT: read, then write: two workers can take the same chunk
            Volatile.Write(ref counter, taken + 1);
            return taken;
        }
#endif
        return Interlocked.Increment(ref counter) - 1; // unordered: any unique increasing number will do; pairs with the other workers' increments
    }

    /// <summary>Whether the run stopped (a failure, or the consumer's shutdown): no chunk numbered later is needed. Worker.</summary>
    protected bool IsStopped(CancellationToken cancellationToken) => _registry.IsStopped || cancellationToken.IsCancellationRequested;

    /// <summary>
    /// Whether chunk <paramref name="chunk"/>, already numbered, is no longer needed: in ordered mode a lower chunk
    /// stopped the run (a stop above it still needs it), in unordered mode any stop. Worker.
    /// </summary>
    protected bool IsAbandoned(long chunk, CancellationToken cancellationToken) =>
        (_ordered ? _registry.StoppedAt < chunk : _registry.IsStopped) || cancellationToken.IsCancellationRequested;

    /// <summary>Ensures <paramref name="scratch"/> holds at least <paramref name="length"/> items.</summary>
    internal static T[] EnsureScratch(ref T[]? scratch, int length)
    {
        if (scratch is null || scratch.Length < length)
        {
            scratch = new T[length];
        }

        return scratch;
    }

    /// <summary>
    /// Hands the rest of the source, from chunk <paramref name="nextChunk"/> on, over to the consumer, which then reads
    /// it with <see cref="TryReadOn"/> and claims no more. False when the source has ended. Consumer, only once no worker
    /// runs or can start again, and every chunk before <paramref name="nextChunk"/> was claimed and none after it.
    /// </summary>
    internal abstract bool TryTakeOver(long nextChunk);

    /// <summary>
    /// After <see cref="TryTakeOver"/>: the next items, at most <paramref name="max"/>, as <see cref="TryClaim"/> gives a
    /// chunk's (a range of the source array or of <paramref name="scratch"/>, then possibly the source's exception).
    /// False at the end of the source, or when the run stopped (the caller tells them apart by its token). Consumer.
    /// </summary>
    internal abstract bool TryReadOn(ref T[]? scratch, int max, out ArraySegment<T> items, out Exception? sourceError, CancellationToken cancellationToken);

    /// <summary>Disposes the user's enumerator, if this source opened one. Consumer thread, once, after every worker was joined.</summary>
    internal virtual void DisposeEnumerator()
    {
    }
}
