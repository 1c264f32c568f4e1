using System.Runtime.CompilerServices;
using Primitives.Registry;

namespace Primitives.Iterators;

/// <summary>A chunk claimed by an asynchronous worker: <c>Count</c> items of <c>Items</c> from <c>Offset</c>.</summary>
/// <param name="Number">The chunk's number; -1 when no chunk was claimed.</param>
/// <param name="Items">The array holding the items: the source array itself, or the worker's scratch buffer.</param>
/// <param name="Offset">Where the chunk starts in <paramref name="Items"/>.</param>
/// <param name="Count">How many items the chunk has.</param>
/// <param name="SourceError">An exception the source threw right after these items.</param>
internal readonly record struct AsyncChunk<T>(long Number, T[]? Items, int Offset, int Count, Exception? SourceError)
{
    internal static AsyncChunk<T> None => new(-1, null, 0, 0, null);

    internal ReadOnlySpan<T> Span => new(Items, Offset, Count);
}

/// <summary>
/// Hands out consecutive chunks of the source to asynchronous workers, numbered in source order; the async
/// counterpart of <see cref="ChunkSource{T}"/>. Lists are claimed by index without a lock; other sequences (sync
/// or async) are read by one worker at a time under a <see cref="SemaphoreSlim"/>.
/// </summary>
/// <remarks><b>Thread safety.</b> <see cref="TryClaimAsync"/> is called by every worker concurrently;
/// <see cref="DisposeEnumeratorAsync"/> once, by the consumer, after every worker was joined.</remarks>
internal abstract class AsyncChunkSource<T>
{
    private readonly TaskRegistry _registry;

    protected AsyncChunkSource(TaskRegistry registry, bool ordered)
    {
        _registry = registry;
        IsOrdered = ordered;
    }

    /// <summary>The number of chunks when known up front; otherwise <see cref="long.MaxValue"/>.</summary>
    internal abstract long KnownChunkCount { get; }

    /// <summary>Creates the source for an <see cref="IEnumerable{T}"/> or <see cref="IAsyncEnumerable{T}"/>. Consumer.</summary>
    /// <param name="source">The user's sequence.</param>
    /// <param name="count">Its length when it is a list (read once, by the caller), or -1.</param>
    /// <param name="chunkSize">See <see cref="ChunkSource{T}.Create"/>.</param>
    /// <param name="registry">The run's registry.</param>
    /// <param name="ordered">Whether chunk numbers are registry task numbers.</param>
    /// <param name="cancellationToken">Passed to an asynchronous source's enumerator.</param>
    internal static AsyncChunkSource<T> Create(object source, long count, int chunkSize, TaskRegistry registry, bool ordered, CancellationToken cancellationToken) => source switch
    {
        IEnumerable<T> list when count >= 0 => new ListSource(new ListChunkSource<T>(list, (int)count, chunkSize, registry, ordered), registry, ordered),
        IAsyncEnumerable<T> sequence => new SequenceSource(sequence.GetAsyncEnumerator(cancellationToken), chunkSize, registry, ordered),
        _ => new SequenceSource(new SyncEnumeratorAdapter(((IEnumerable<T>)source).GetEnumerator()), chunkSize, registry, ordered),
    };

    /// <summary>
    /// Claims the next chunk; <see cref="AsyncChunk{T}.None"/> when none is left. Worker. <paramref name="scratch"/>
    /// is the worker's own buffer (grown as needed) for sources that must be copied.
    /// </summary>
    internal abstract ValueTask<AsyncChunk<T>> TryClaimAsync(StrongBox<T[]?> scratch, CancellationToken cancellationToken);

    /// <summary>Disposes the user's enumerator, if one was opened. Consumer, once, after the workers were joined.</summary>
    internal virtual ValueTask DisposeEnumeratorAsync() => default;

    /// <summary>The next chunk number in ordered mode: the registry's (may wait for a window slot).</summary>
    protected ValueTask<long> ClaimOrderedAsync(CancellationToken cancellationToken) => _registry.ClaimAsync(cancellationToken);

    /// <summary>Whether chunk numbers are registry task numbers.</summary>
    protected bool IsOrdered { get; }

    /// <summary>Whether the run stopped: no chunk numbered later is needed (see <see cref="ChunkSource{T}"/>). Worker.</summary>
    protected bool IsStopped(CancellationToken cancellationToken) => _registry.IsStopped || cancellationToken.IsCancellationRequested;

    /// <summary>Arrays and lists: the number, then a slice, with no lock.</summary>
    private sealed class ListSource(ListChunkSource<T> list, TaskRegistry registry, bool ordered) : AsyncChunkSource<T>(registry, ordered)
    {
        internal override long KnownChunkCount => list.KnownChunkCount;

        internal override async ValueTask<AsyncChunk<T>> TryClaimAsync(StrongBox<T[]?> scratch, CancellationToken cancellationToken)
        {
            long number = IsOrdered ? await ClaimOrderedAsync(cancellationToken).ConfigureAwait(false) : list.NextUnorderedChunkNumber();
            return list.TrySlice(number, ref scratch.Value, out T[]? items, out int offset, out int count, out Exception? error, cancellationToken)
                ? new AsyncChunk<T>(number, items, offset, count, error)
                : AsyncChunk<T>.None;
        }
    }

    /// <summary>Other sequences: one worker at a time reads the shared enumerator into its scratch buffer.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable", Justification = "Disposed in DisposeEnumeratorAsync, once, after the workers were joined.")]
    private sealed class SequenceSource(IAsyncEnumerator<T> enumerator, int chunkSize, TaskRegistry registry, bool ordered) : AsyncChunkSource<T>(registry, ordered)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);

        // Guarded by _gate: plain accesses, only the worker holding it reads or writes them.
        private bool _ended;
        private long _claims;
        private long _nextUnordered;

        internal override long KnownChunkCount => long.MaxValue;

        internal override async ValueTask<AsyncChunk<T>> TryClaimAsync(StrongBox<T[]?> scratch, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_ended)
                {
                    return AsyncChunk<T>.None;
                }

                int size = chunkSize > 0 ? chunkSize : ChunkSizing.Growing(_claims);
                _claims++;
                T[] buffer = ChunkSource<T>.EnsureScratch(ref scratch.Value, size);
                int read = 0;
                Exception? error = null;
                try
                {
                    while (read < size)
                    {
                        if (read % ChunkSource<T>.StopCheckInterval == 0 && IsStopped(cancellationToken))
                        {
                            _ended = true; // the run stopped: this chunk would be numbered above the stop; read no more
                            return AsyncChunk<T>.None;
                        }

                        if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                        {
                            break;
                        }

                        T item = enumerator.Current; // read before counting: a throwing Current must not count a slot
                        buffer[read++] = item;
                    }

                    _ended = read < size;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    error = ex;
                    _ended = true;
                }

                if (read == 0 && error is null)
                {
                    return AsyncChunk<T>.None;
                }

                // Numbered under the gate, so chunk numbers follow source order.
                long number = IsOrdered ? await ClaimOrderedAsync(cancellationToken).ConfigureAwait(false) : _nextUnordered++;
                if (number < 0)
                {
                    _ended = true; // the run stopped: nothing more is needed
                    return AsyncChunk<T>.None;
                }

                return new AsyncChunk<T>(number, buffer, 0, read, error);
            }
            finally
            {
                _gate.Release();
            }
        }

        internal override async ValueTask DisposeEnumeratorAsync()
        {
            try
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                _gate.Dispose(); // even when the user's DisposeAsync throws
            }
        }
    }

    /// <summary>Presents a synchronous enumerator to <see cref="SequenceSource"/>.</summary>
    private sealed class SyncEnumeratorAdapter(IEnumerator<T> inner) : IAsyncEnumerator<T>
    {
        public T Current => inner.Current;

        public ValueTask<bool> MoveNextAsync() => new(inner.MoveNext());

        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return default;
        }
    }
}
