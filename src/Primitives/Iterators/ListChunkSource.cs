using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Primitives.Registry;

namespace Primitives.Iterators;

/// <summary>
/// Chunks of an array or list, claimed by index without a lock: chunk n is items [n x size, (n + 1) x size).
/// </summary>
internal sealed class ListChunkSource<T> : ChunkSource<T>
{
    private readonly T[]? _array;
    private readonly List<T>? _plainList; // exactly a List<T> (no subclass re-implementing IList<T>): its indexer is no user code
    private readonly IList<T>? _list;
    private readonly IReadOnlyList<T>? _readOnlyList;
    private readonly int _count;
    private readonly int _chunkSize;
    private readonly long _chunkCount;

    /// <summary>Next chunk number in unordered mode; taken with Interlocked.Increment by workers.</summary>
    private long _nextChunk;

    /// <summary>The next item the consumer reads once it took the list over (consumer-owned from then on).</summary>
    private int _readOn = -1;

    internal ListChunkSource(object list, int count, int chunkSize, TaskRegistry registry, bool ordered)
        : base(registry, ordered)
    {
        _array = list as T[];
        _plainList = list.GetType() == typeof(List<T>) ? (List<T>)list : null;
        _list = _array is null ? list as IList<T> : null;
        _readOnlyList = _array is null && _list is null ? (IReadOnlyList<T>)list : null;
        _count = count;
        Debug.Assert(chunkSize > 0, $"a list's chunk size is always known: {chunkSize}");
        _chunkSize = chunkSize;
        _chunkCount = ((long)count + _chunkSize - 1) / _chunkSize;
    }

    internal override long KnownChunkCount => _chunkCount;

    internal override bool TryClaim(ref T[]? scratch, bool consumer, out long chunk, out ArraySegment<T> items, out Exception? sourceError, CancellationToken cancellationToken)
    {
        chunk = NextChunkNumber(ref _nextChunk, cancellationToken); // never waits for the consumer: see ParallelSelectRun.CallerRunsWindow
        bool claimed = TrySlice(chunk, ref scratch, out T[]? array, out int offset, out int count, out sourceError, cancellationToken);
        items = claimed ? new ArraySegment<T>(array!, offset, count) : default;
        return claimed;
    }

    /// <inheritdoc/>
    internal override bool TryTakeOver(long nextChunk)
    {
        // No lock to take: chunks are claimed by number, and no worker claims any more (the caller's precondition).
        _readOn = (int)Math.Min(_count, nextChunk * _chunkSize);
        return _readOn < _count;
    }

    /// <inheritdoc/>
    internal override bool TryReadOn(ref T[]? scratch, int max, out ArraySegment<T> items, out Exception? sourceError, CancellationToken cancellationToken)
    {
        Debug.Assert(_readOn >= 0, "read on without a take-over");
        int start = _readOn;
        int length = Math.Min(max, _count - start);
        if (length <= 0)
        {
            items = default;
            sourceError = null;
            return false;
        }

        if (!TryCopy(start, length, -1, ref scratch, out T[] array, out int offset, out int count, out sourceError, cancellationToken))
        {
            items = default;
            return false; // the run stopped
        }

        _readOn = sourceError is null ? start + count : _count; // a list that threw has ended
        items = new ArraySegment<T>(array, offset, count);
        return true;
    }

    /// <summary>The next chunk number in unordered mode (ordered mode takes the registry's). Worker.</summary>
    internal long NextUnorderedChunkNumber() => NextChunkNumber(ref _nextChunk, CancellationToken.None);

    /// <summary>
    /// The items of chunk <paramref name="chunk"/>: a range of the source array, or a copy in
    /// <paramref name="scratch"/> for other lists. False when the chunk is past the end, or when the run stopped
    /// before it was copied (the worker then exits). Worker.
    /// </summary>
    internal bool TrySlice(long chunk, ref T[]? scratch, [NotNullWhen(true)] out T[]? items, out int offset, out int count, out Exception? sourceError, CancellationToken cancellationToken)
    {
        sourceError = null;
        items = null;
        offset = count = 0;
        if (chunk < 0 || chunk >= _chunkCount)
        {
            return false;
        }

        int start = checked((int)(chunk * _chunkSize));
        return TryCopy(start, Math.Min(_chunkSize, _count - start), chunk, ref scratch, out items, out offset, out count, out sourceError, cancellationToken);
    }

    /// <summary>
    /// Items [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>): a range of the source array,
    /// or a copy in <paramref name="scratch"/> for other lists. False when the run stopped before they were copied:
    /// below <paramref name="chunk"/> (ordered) or at all (<paramref name="chunk"/> -1, the consumer reading on).
    /// </summary>
    private bool TryCopy(int start, int length, long chunk, ref T[]? scratch, out T[] items, out int offset, out int count, out Exception? sourceError, CancellationToken cancellationToken)
    {
        sourceError = null;
        offset = count = 0;
        if (_array is not null)
        {
            (items, offset, count) = (_array, start, length);
            return true;
        }

        // A list that is not an array is copied into the claimer's scratch buffer: a List<T> at once (no user code);
        // another list through its indexer, which is user code.
        T[] buffer = EnsureScratch(ref scratch, length);
        items = buffer;
        try
        {
            if (_plainList is not null)
            {
                CollectionsMarshal.AsSpan(_plainList).Slice(start, length).CopyTo(buffer); // throws like the indexer if the list shrank meanwhile
                count = length;
            }

            for (; count < length; count++)
            {
                if (count % StopCheckInterval == 0 && (chunk < 0 ? IsStopped(cancellationToken) : IsAbandoned(chunk, cancellationToken)))
                {
                    count = 0;
                    return false; // the run stopped below this chunk: leave the user's indexer now
                }

                buffer[count] = _list is not null ? _list[start + count] : _readOnlyList![start + count];
            }
        }
        catch (Exception ex)
        {
            sourceError = ex;
        }

        return true;
    }
}
