using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Primitives.ForkJoin;
using Primitives.Internal;
using Primitives.Registry;
using Primitives.RingBuffers;

namespace Primitives.Iterators;

/// <summary>
/// One run of a parallel select: the workers, their rings, the registry, and the consumer's cursor.
/// </summary>
/// <remarks>
/// <para><b>How a result travels.</b> A worker claims chunk <c>n</c> from the <see cref="ChunkSource{T}"/>; in
/// ordered mode <c>n</c> is a task number of the <see cref="TaskRegistry"/>. It records the chunk's length in
/// <c>_chunkLengths</c>, publishes "n is owned by worker w", runs the selector on each item and writes each result
/// into its own <see cref="SpscRingBuffer{T}"/> (it is that ring's only producer). The consumer (the thread that
/// calls <see cref="MoveNext"/>; the rings' only consumer) walks n = 0, 1, 2, ...: it waits for n's owner, reads
/// exactly n's length of results from that owner's ring, then releases n in the registry, which lets workers
/// claim further ahead. In unordered mode a worker computes a whole chunk first and only then claims a registry
/// number for it, so the registry numbers chunks in completion order and the same consumer walk yields them in
/// that order.</para>
/// <para><b>Why order holds.</b> A worker processes its chunks in increasing order and its ring is FIFO, so the
/// front of worker w's ring always belongs to w's lowest unconsumed chunk. When the consumer reaches chunk n it has
/// consumed every chunk below n, so the front of n's owner's ring is chunk n's first result.</para>
/// <para><b>Why memory is bounded and nothing deadlocks.</b> Each ring holds at most <c>BufferSize</c> results; a
/// worker whose ring is full parks until the consumer reads. The consumer only ever waits for chunk n, which is the
/// lowest unconsumed chunk: its owner is never blocked by the registry window (n is below it), and its ring can
/// only hold results of chunks &gt;= n, the first of which the consumer is about to read.</para>
/// <para><b>Fail-fast.</b> A selector exception on chunk n is recorded with <see cref="TaskRegistry.TryStop"/> at
/// n (the lowest stop wins), after which the worker completes its ring. Results of n's earlier items are already
/// in the ring; the consumer yields them, finds the ring completed with the chunk unfinished, and rethrows the
/// recorded exception with its original stack. Workers abandon chunks above the stop and claim no more. A source
/// exception is recorded at the chunk after the items read before it.</para>
/// <para><b>Shutdown.</b> On the end of the source, an exception, cancellation or disposal, the consumer stops the
/// registry (waking waiting claimers), cancels the workers' token (waking workers parked on full rings), joins the
/// <see cref="ForkJoinScope"/> that owns the workers, and only then disposes the source enumerator, once. The last
/// worker to exit closes the registry, so a consumer waiting for a chunk that will never come is released.</para>
/// <para><b>Threads.</b> <see cref="MoveNext"/>, <see cref="Current"/> and <see cref="Dispose"/> belong to the
/// consumer. Fields marked "consumer-owned" are touched only by it (plain accesses). The rest is either set before
/// workers start (published to them by the scope's spawn) and read-only afterwards, or accessed through the ring,
/// the registry, <see cref="Volatile"/> or <see cref="Interlocked"/>.</para>
/// </remarks>
internal sealed class ParallelSelectEnumerator<T, TResult, TSelector> : IEnumerator<TResult>
    where TSelector : struct, IItemSelector<T, TResult>
{
    private const int ConsumerBatchSize = 64;

    /// <summary>The chunk size assumed when sizing the registry window for a growing chunk size.</summary>
    private const int GrowingChunkEstimate = 64;

    private readonly IEnumerable<T> _sourceEnumerable;
    private readonly TSelector _selector;
    private readonly ParallelSelectOptions _options;

    // Set by Start (consumer thread) before any worker is spawned; read-only afterwards.
    private CancellationTokenSource? _cancellation;
    private ChunkSource<T>? _source;
    private TaskRegistry? _registry;
    private SpscRingBuffer<TResult>[] _rings = [];
    private int[] _chunkLengths = [];
    private int _chunkMask;
    private long _knownChunkCount;
    private ForkJoinScope? _scope;

    /// <summary>Workers still running; the last one to exit closes the registry.</summary>
    private int _activeWorkers;

    // Consumer-owned.
    private State _state;
    private TResult[] _batch = [];
    private int _batchIndex;
    private int _batchCount;
    private TResult _current = default!;
    private long _chunk = -1;
    private int _remainingInChunk;
    private SpscRingBuffer<TResult>? _chunkRing;

    internal ParallelSelectEnumerator(IEnumerable<T> source, TSelector selector, ParallelSelectOptions options)
    {
        _sourceEnumerable = source;
        _selector = selector;
        _options = options;
    }

    private enum State
    {
        NotStarted,
        Running,
        Finished,
    }

    /// <inheritdoc/>
    public TResult Current => _current;

    object? System.Collections.IEnumerator.Current => _current;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MoveNext()
    {
        if (_batchIndex < _batchCount)
        {
            _current = _batch[_batchIndex++];
            return true;
        }

        return MoveNextSlow();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool MoveNextSlow()
    {
        if (_state != State.Running)
        {
            if (_state == State.Finished)
            {
                return false;
            }

            Start();
            if (_state == State.Finished)
            {
                return false;
            }
        }

        try
        {
            while (true)
            {
                if (_remainingInChunk == 0 && !TryAdvanceToNextChunk())
                {
                    Shutdown(stop: false);
                    return false;
                }

                int wanted = Math.Min(_remainingInChunk, _batch.Length);
                int read = _chunkRing!.TryReadBatch(_batch.AsSpan(0, wanted));
                if (read > 0)
                {
                    _remainingInChunk -= read;
                    _batchCount = read;
                    _batchIndex = 1;
                    _current = _batch[0];
                    return true;
                }

                if (!_chunkRing.WaitToRead(_cancellation!.Token))
                {
                    // The owner completed its ring before finishing this chunk: it failed or was stopped.
                    ThrowStopped();
                }
            }
        }
        catch
        {
            Shutdown(stop: true);
            throw;
        }
    }

    /// <summary>Moves the cursor to the next chunk; false at the end of the results. Consumer thread.</summary>
    private bool TryAdvanceToNextChunk()
    {
        TaskRegistry registry = _registry!;
        while (true)
        {
            if (_chunk >= 0)
            {
                registry.Release(_chunk);
            }

            long next = ++_chunk;
            if (next >= _knownChunkCount)
            {
                return false;
            }

            if (registry.StoppedAt < next && registry.Error is not null)
            {
                ThrowStopped(); // a failure inside or right after an earlier chunk: nothing from here on is yielded
            }

            if (!registry.WaitForOwner(next, out int owner, _cancellation!.Token))
            {
                // No chunk n will ever be published: either the source ended (the registry was closed) or the
                // iteration stopped at or below n.
                if (registry.Error is not null)
                {
                    ThrowStopped();
                }

                _cancellation.Token.ThrowIfCancellationRequested();
                return false;
            }

            _chunkRing = _rings[owner];
            _remainingInChunk = Volatile.Read(ref _chunkLengths[next & _chunkMask]); // acquire: pairs with the worker's Volatile.Write before Publish; the registry's publish/wait already orders it
            if (_remainingInChunk > 0)
            {
                return true;
            }
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowStopped()
    {
        if (_registry!.Error is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        _cancellation!.Token.ThrowIfCancellationRequested();
        ThrowHelper.ThrowInvalidOperationException("A parallel select worker stopped without recording why.");
    }

    /// <summary>Builds the pipeline and spawns the workers. Consumer thread, on the first MoveNext.</summary>
    private void Start()
    {
        ParallelSelectOptions options = _options;
        _state = State.Running;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        options.CancellationToken.ThrowIfCancellationRequested();

        int degree = options.MaxDegreeOfParallelism;
        int bufferSize = options.BufferSize;
        long count = ChunkSource<T>.TryGetCount(_sourceEnumerable);
        int chunkSize = ChunkSource<T>.ChooseChunkSize(count, options.ChunkSize, degree);

        // The registry's window must cover every chunk a worker can hold: a ring's worth plus the one in progress.
        int typicalChunk = chunkSize > 0 ? chunkSize : GrowingChunkEstimate;
        int window = (int)Math.Min(1 << 20, (long)degree * (Math.Max(1, bufferSize / typicalChunk) + 2));
        _registry = new TaskRegistry(window);
        _chunkLengths = new int[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)window)];
        _chunkMask = _chunkLengths.Length - 1;

        _source = ChunkSource<T>.Create(_sourceEnumerable, chunkSize, options.Unordered ? null : _registry);
        _knownChunkCount = options.Unordered ? long.MaxValue : _source.KnownChunkCount;
        if (_source.KnownChunkCount == 0)
        {
            Shutdown(stop: false);
            return;
        }

        degree = (int)Math.Min(degree, _source.KnownChunkCount); // no more workers than chunks
        _batch = new TResult[Math.Min(ConsumerBatchSize, bufferSize)];
        _rings = new SpscRingBuffer<TResult>[degree];
        for (int i = 0; i < degree; i++)
        {
            _rings[i] = new SpscRingBuffer<TResult>(bufferSize);
        }

        _activeWorkers = degree; // plain: no worker exists yet; the spawns below publish it
        _scope = ForkJoinScope.Open();
        for (int i = 0; i < degree; i++)
        {
            int worker = i;
            _scope.Spawn(_ => RunWorker(worker));
        }
    }

    /// <summary>The worker loop. Worker <paramref name="worker"/>'s thread; the only producer of its ring.</summary>
    private void RunWorker(int worker)
    {
        SpscRingBuffer<TResult> ring = _rings[worker];
        CancellationToken token = _cancellation!.Token;
        TaskRegistry registry = _registry!;
        TSelector selector = _selector;
        bool initialized = false;
        T[]? scratch = null;
        TResult[]? results = null;
        try
        {
            while (_source!.TryClaim(ref scratch, out long chunk, out ReadOnlySpan<T> items, out Exception? sourceError, token))
            {
                Exception? failure = null;
                int done = 0;
                if (!_options.Unordered)
                {
                    Volatile.Write(ref _chunkLengths[chunk & _chunkMask], items.Length); // release: pairs with the consumer's Volatile.Read after WaitForOwner
                    registry.Publish(chunk, worker); // release: the consumer's WaitForOwner acquires it
                    try
                    {
                        if (!initialized)
                        {
                            initialized = true;
                            selector.InitializeForWorker();
                        }

                        for (; done < items.Length; done++)
                        {
                            if (registry.StoppedAt < chunk)
                            {
                                return; // a lower chunk stopped the iteration: this chunk is not needed
                            }

                            TResult result = selector.Select(items[done]);
                            if (!ring.TryWrite(result))
                            {
                                ring.Write(result, token);
                            }
                        }
                    }
                    catch (Exception ex) when (!IsOurCancellation(ex, token))
                    {
                        failure = ex;
                    }

                    if (failure is not null)
                    {
                        registry.TryStop(chunk, failure); // the consumer finds the ring completed mid-chunk and rethrows this
                        return;
                    }

                    if (sourceError is not null)
                    {
                        registry.TryStop(chunk, sourceError); // the source failed after this chunk's items: the consumer yields them, then rethrows
                        return;
                    }
                }
                else if (!RunUnorderedChunk(worker, ring, registry, ref selector, ref initialized, ref results, items, sourceError, token))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The consumer stopped (dispose, failure or cancellation): exit quietly.
        }
        finally
        {
            ring.Complete(); // release: the consumer's WaitToRead observes it after the last result
            if (Interlocked.Decrement(ref _activeWorkers) == 0) // pairs with the other workers' decrements: exactly one sees zero
            {
                registry.Close(); // no further chunk will be published
            }
        }
    }

    /// <summary>Unordered mode: compute the chunk, then claim its place in the output. False when the worker should exit.</summary>
    private bool RunUnorderedChunk(int worker, SpscRingBuffer<TResult> ring, TaskRegistry registry, ref TSelector selector, ref bool initialized, ref TResult[]? results, ReadOnlySpan<T> items, Exception? sourceError, CancellationToken token)
    {
        if (results is null || results.Length < items.Length)
        {
            results = new TResult[Math.Max(items.Length, 1)];
        }

        Exception? failure = sourceError;
        int done = 0;
        try
        {
            if (!initialized)
            {
                initialized = true;
                selector.InitializeForWorker();
            }

            for (; done < items.Length; done++)
            {
                if (registry.IsStopped)
                {
                    return false;
                }

                results[done] = selector.Select(items[done]);
            }
        }
        catch (Exception ex) when (!IsOurCancellation(ex, token))
        {
            failure = ex;
        }

        long slot = registry.Claim(token);
        if (slot < 0)
        {
            return false;
        }

        Volatile.Write(ref _chunkLengths[slot & _chunkMask], done); // release: pairs with the consumer's Volatile.Read after WaitForOwner
        registry.Publish(slot, worker); // release: the consumer's WaitForOwner acquires it
        ring.WriteBatch(results.AsSpan(0, done), token);
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TResult>())
        {
            Array.Clear(results, 0, done); // do not keep yielded results alive
        }

        if (failure is not null)
        {
            registry.TryStop(slot, failure); // this chunk's results before the failure go out first
            return false;
        }

        return true;
    }

    private static bool IsOurCancellation(Exception ex, CancellationToken token) =>
        ex is OperationCanceledException oce && oce.CancellationToken == token && token.IsCancellationRequested;

    /// <summary>Stops (if asked) and joins every worker, then disposes the source. Consumer thread; idempotent.</summary>
    private void Shutdown(bool stop)
    {
        if (_state == State.Finished)
        {
            return;
        }

        _state = State.Finished;
        _batchIndex = _batchCount = 0;
        try
        {
            if (stop)
            {
                _registry?.TryStop(0, null); // wakes claimers; workers abandon their chunks
                _cancellation?.Cancel(); // wakes workers parked on full rings
            }

            _scope?.Join(); // every worker has returned when this returns
        }
        finally
        {
            _source?.DisposeEnumerator();
            _cancellation?.Dispose();
            if (RuntimeHelpers.IsReferenceOrContainsReferences<TResult>())
            {
                Array.Clear(_batch);
                _current = default!;
            }
        }

        Debug.Assert(_scope is null || Volatile.Read(ref _activeWorkers) == 0, $"workers still active after join: {_activeWorkers}");
    }

    /// <inheritdoc/>
    public void Dispose() => Shutdown(stop: true);

    /// <inheritdoc/>
    public void Reset() => throw new NotSupportedException();
}
