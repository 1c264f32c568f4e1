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
/// <para><b>Thread safety.</b> <see cref="TryClaim"/> is called by every worker concurrently.
/// <see cref="DisposeEnumerator"/> is called once, by the consumer, after every worker has been joined.</para>
/// </remarks>
internal abstract class ChunkSource<T>
{
    private readonly TaskRegistry? _orderedRegistry;

    protected ChunkSource(TaskRegistry? orderedRegistry) => _orderedRegistry = orderedRegistry;

    /// <summary>The number of chunks, when the source's length is known up front; otherwise <see cref="long.MaxValue"/>.</summary>
    internal abstract long KnownChunkCount { get; }

    /// <summary>Creates the chunk source for <paramref name="source"/>. Runs on the consumer thread.</summary>
    /// <param name="source">The user's source.</param>
    /// <param name="chunkSize">The chunk size from <see cref="ChunkSizing.Choose"/>: 0 (only for sources of unknown
    /// length) means chunks that start at one item and double every round of claims.</param>
    /// <param name="orderedRegistry">The registry that numbers chunks (ordered mode), or null (unordered mode).</param>
    internal static ChunkSource<T> Create(IEnumerable<T> source, int chunkSize, TaskRegistry? orderedRegistry) => source switch
    {
        T[] array => new ListChunkSource<T>(array, array.Length, chunkSize, orderedRegistry),
        IList<T> list => new ListChunkSource<T>(list, list.Count, chunkSize, orderedRegistry),
        IReadOnlyList<T> list => new ListChunkSource<T>(list, list.Count, chunkSize, orderedRegistry),
        _ => new EnumerableChunkSource<T>(source.GetEnumerator(), chunkSize, orderedRegistry),
    };

    /// <summary>
    /// Claims the next chunk. Worker thread.
    /// </summary>
    /// <param name="scratch">The worker's own buffer, grown as needed, for sources that must be copied.</param>
    /// <param name="chunk">The chunk's number.</param>
    /// <param name="items">The chunk's items (possibly empty when <paramref name="sourceError"/> is set).</param>
    /// <param name="sourceError">An exception the source threw right after <paramref name="items"/>; the source then
    /// counts as ended.</param>
    /// <param name="cancellationToken">Ends a wait for a registry slot.</param>
    /// <returns>False when no chunk is left (or the registry refused the claim because the iteration stopped).</returns>
    internal abstract bool TryClaim(ref T[]? scratch, out long chunk, out ReadOnlySpan<T> items, out Exception? sourceError, CancellationToken cancellationToken);

    /// <summary>Takes the next chunk number: the registry's in ordered mode, <paramref name="counter"/>'s otherwise.</summary>
    protected long NextChunkNumber(ref long counter, CancellationToken cancellationToken) =>
        _orderedRegistry is { } registry
            ? registry.Claim(cancellationToken)
            : Interlocked.Increment(ref counter) - 1; // unordered: any unique increasing number will do

    /// <summary>Ensures <paramref name="scratch"/> holds at least <paramref name="length"/> items.</summary>
    internal static T[] EnsureScratch(ref T[]? scratch, int length)
    {
        if (scratch is null || scratch.Length < length)
        {
            scratch = new T[length];
        }

        return scratch;
    }

    /// <summary>Disposes the user's enumerator, if this source opened one. Consumer thread, once, after every worker was joined.</summary>
    internal virtual void DisposeEnumerator()
    {
    }
}
