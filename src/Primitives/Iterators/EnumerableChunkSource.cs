using System.Diagnostics;
using System.Runtime.CompilerServices;
using Primitives.Registry;

namespace Primitives.Iterators;

/// <summary>
/// Chunks of a general sequence: one worker at a time reads the shared enumerator, under a lock, into its own
/// scratch buffer. Unless a size was given, chunks grow (<see cref="ChunkSizing.Growing"/>).
/// </summary>
internal sealed class EnumerableChunkSource<T> : ChunkSource<T>
{
    private readonly object _lock = new();
    private readonly IEnumerator<T> _enumerator; // guarded by _lock while workers run; disposed by the consumer after they are joined
    private readonly IBatchEnumerator<T>? _batches; // _enumerator, when it is a ParallelSelect's (a chain): read a batch at a time; guarded by _lock
    private readonly int _fixedChunkSize;

    // Guarded by _lock: plain accesses, only the worker holding the lock reads or writes them.
    private bool _ended;
    private long _claims;

    // Consumer-owned once it took the source over (TryTakeOver's lock orders its reads after the workers' last claim).
    private bool _readOnEnded;

    /// <summary>Next chunk number in unordered mode; only advanced under _lock, but read through Interlocked like the list source.</summary>
    private long _nextChunk;

    internal EnumerableChunkSource(IEnumerator<T> enumerator, int chunkSize, TaskRegistry registry, bool ordered)
        : base(registry, ordered)
    {
        _enumerator = enumerator;
        _batches = enumerator as IBatchEnumerator<T>;
        _fixedChunkSize = chunkSize;
    }

    internal override long KnownChunkCount => long.MaxValue;

    internal override bool TryClaim(ref T[]? scratch, bool consumer, out long chunk, out ArraySegment<T> items, out Exception? sourceError, CancellationToken cancellationToken)
    {
        chunk = -1;
        items = default;
        sourceError = null;
        if (!consumer)
        {
            Monitor.Enter(_lock);
        }
        else if (!Monitor.TryEnter(_lock))
        {
            chunk = Busy;
            return false; // a worker is reading: it numbers the next chunk; the consumer waits for it instead
        }

        try
        {
            if (_ended)
            {
                return false;
            }

            int size = _fixedChunkSize > 0
                ? _fixedChunkSize
                : ChunkSizing.Growing(_claims);
            _claims++;
            if (!TryRead(ref scratch, size, out ArraySegment<T> read, out sourceError, out _ended, cancellationToken))
            {
                return false; // the run stopped: this chunk would be numbered above the stop; read no more
            }

            if (read.Count == 0 && sourceError is null)
            {
                return false;
            }

            // Numbered under the lock, so chunk numbers follow source order. May wait for a registry slot (never
            // with caller-runs: see ParallelSelectRun.CallerRunsWindow).
            chunk = NextChunkNumber(ref _nextChunk, cancellationToken);
            if (chunk < 0)
            {
                _ended = true; // the iteration stopped: nothing more is needed
                return false;
            }

            items = read;
            return true;
        }
        finally
        {
            Monitor.Exit(_lock);
        }
    }

    /// <summary>
    /// Reads up to <paramref name="size"/> items into <paramref name="scratch"/>. False when the run stopped (checked
    /// while reading): then nothing is to be used, and the source counts as ended. <paramref name="ended"/>: the source
    /// ended, or threw (<paramref name="sourceError"/>, after the items read before it). The lock's holder, or the
    /// consumer once it took the source over.
    /// </summary>
    private bool TryRead(ref T[]? scratch, int size, out ArraySegment<T> items, out Exception? sourceError, out bool ended, CancellationToken cancellationToken)
    {
        T[] buffer = EnsureScratch(ref scratch, size);
        int read = 0;
        sourceError = null;
        items = default;
        try
        {
            bool complete = _batches is not null
                ? ReadBatches(_batches, buffer.AsSpan(0, size), ref read, cancellationToken)
                : ReadItems(buffer.AsSpan(0, size), ref read, cancellationToken);
            ended = !complete || read < size;
            if (!complete)
            {
                return false;
            }
        }
        catch (Exception ex)
        {
            sourceError = ex;
            ended = true;
        }

        items = new ArraySegment<T>(buffer, 0, read);
        return true;
    }

    /// <summary>
    /// Reads items one at a time into <paramref name="buffer"/> from <paramref name="read"/> until it is full or the
    /// source ends. Under the lock. False when the run stopped (checked every <see cref="ChunkSource{T}.StopCheckInterval"/>
    /// items). A source exception leaves <paramref name="read"/> at the items read before it.
    /// </summary>
    private bool ReadItems(Span<T> buffer, ref int read, CancellationToken cancellationToken)
    {
        while (read < buffer.Length)
        {
            if (IsStopped(cancellationToken))
            {
                return false;
            }

            if (!ReadRun(_enumerator, buffer[..Math.Min(buffer.Length, read + StopCheckInterval)], ref read))
            {
                break; // the source ended
            }
        }

        return true;
    }

    /// <summary>
    /// Reads items into <paramref name="buffer"/> from <paramref name="read"/> until it is full; false when the source
    /// ended first. Each item is counted only once it was read (a throwing <c>Current</c> does not count a slot). Not
    /// inlined, and with few values live across the user's calls: inside <see cref="TryRead"/>'s exception handler's
    /// region, or short of registers, the loop's counter would live on the stack and be reloaded every item.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ReadRun(IEnumerator<T> enumerator, Span<T> buffer, ref int read)
    {
        for (int i = read; i < buffer.Length; i++)
        {
            if (!enumerator.MoveNext())
            {
                return false;
            }

            buffer[i] = enumerator.Current;
            read = i + 1;
        }

        return true;
    }

    /// <summary>
    /// <see cref="ReadItems"/> for a chain: the first stage's results are copied a batch at a time. The stop is checked
    /// before each batch; each call runs at most one of the first stage's moves, as one <c>MoveNext</c> would.
    /// </summary>
    private bool ReadBatches(IBatchEnumerator<T> batches, Span<T> buffer, ref int read, CancellationToken cancellationToken)
    {
        while (read < buffer.Length)
        {
            if (IsStopped(cancellationToken))
            {
                return false;
            }

            int copied = batches.ReadBatch(buffer[read..]);
            if (copied == 0)
            {
                break;
            }

            read += copied; // counted only once the call returned: a throw copies nothing
        }

        return true;
    }

    /// <inheritdoc/>
    internal override bool TryTakeOver(long nextChunk)
    {
        lock (_lock) // orders this after the last claim of every worker (they have all left: the caller's precondition)
        {
            bool takenOver = !_ended; // from here on only the consumer reads the enumerator, without the lock
            _ended = true; // no claim follows
            return takenOver;
        }
    }

    /// <inheritdoc/>
    internal override bool TryReadOn(ref T[]? scratch, int max, out ArraySegment<T> items, out Exception? sourceError, CancellationToken cancellationToken)
    {
        Debug.Assert(_ended, "read on without a take-over");
        items = default;
        sourceError = null;
        if (_readOnEnded)
        {
            return false;
        }

        if (!TryRead(ref scratch, max, out items, out sourceError, out _readOnEnded, cancellationToken))
        {
            return false; // the run stopped
        }

        return items.Count > 0 || sourceError is not null;
    }

    /// <summary>Disposes the user's enumerator. Consumer thread, once, after every worker has been joined.</summary>
    internal override void DisposeEnumerator() => _enumerator.Dispose();
}
