using System.Runtime.CompilerServices;
using Primitives.Internal;
using Primitives.RingBuffers;

namespace Primitives.Iterators;

/// <summary>
/// The asynchronous enumerator of <c>ParallelSelectAsync</c>: a <see cref="ParallelSelectRun{TResult}"/> whose
/// workers are async loops and whose consumer awaits instead of blocking. Design: docs/parallel-select.md ("Async").
/// </summary>
internal sealed class AsyncParallelSelectEnumerator<T, TResult, TSelector> : ParallelSelectRun<TResult>, IAsyncEnumerator<TResult>
    where TSelector : struct, IAsyncItemSelector<T, TResult>
{
    private readonly object _sourceSequence; // IEnumerable<T> or IAsyncEnumerable<T>
    private readonly TSelector _selector;
    private TSelector[] _workerSelectors = []; // one copy per worker loop, element w owned by worker w; filled before the workers are spawned
    private readonly CancellationToken _enumeratorToken;
    private AsyncChunkSource<T>? _source; // set before the workers start; read-only afterwards
    private bool _moving; // plain: consumer-owned; a MoveNextAsync is pending (each call happens-after the completion of the one before it, which cleared it; an overlapping call sees it set)

    internal AsyncParallelSelectEnumerator(object source, TSelector selector, ParallelSelectOptions options, CancellationToken enumeratorToken)
        : base(options)
    {
        _sourceSequence = source;
        _selector = selector;
        _enumeratorToken = enumeratorToken;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">An earlier MoveNextAsync of this enumerator has not completed.</exception>
    public ValueTask<bool> MoveNextAsync()
    {
        if (_moving)
        {
            ThrowHelper.ThrowInvalidOperationException("A MoveNextAsync of this enumerator is still in progress: await it before calling MoveNextAsync again.");
        }

        return TryTakeFromBatch() ? new ValueTask<bool>(true) : MoveNextSlowAsync();
    }

    private async ValueTask<bool> MoveNextSlowAsync()
    {
        if (State == RunState.Finished)
        {
            return false;
        }

        _moving = true;
        try
        {
            return await MoveNextCoreAsync().ConfigureAwait(false);
        }
        finally
        {
            _moving = false;
        }
    }

    private async ValueTask<bool> MoveNextCoreAsync()
    {
        try
        {
            if (State == RunState.NotStarted && !await StartAsync().ConfigureAwait(false))
            {
                return false; // nothing to do; StartAsync shut the run down
            }

            while (true)
            {
                SpscRingBuffer<TResult>? ring = TryRefill(out long chunk);
                if (ring is not null)
                {
                    if (!await ring.WaitToReadAsync(WorkerToken).ConfigureAwait(false))
                    {
                        ThrowStopped(); // the owner completed its ring before finishing this chunk
                    }
                }
                else if (chunk == -1)
                {
                    return true;
                }
                else if (chunk == long.MaxValue || !await AwaitOwnerAsync(chunk).ConfigureAwait(false))
                {
                    ThrowIfAny(await ShutdownAsync(stop: false).ConfigureAwait(false)); // the end; a throwing DisposeAsync still surfaces
                    return false;
                }
            }
        }
        catch (Exception ex)
        {
            await ShutdownAsync(stop: true).ConfigureAwait(false); // completes whatever user code throws in it; the failure that ended the run wins
            ThrowIfCallerCancelled(ex);
            throw;
        }
    }

    /// <summary>Waits for <paramref name="chunk"/>'s owner; false at the end of the results. Consumer.</summary>
    private async ValueTask<bool> AwaitOwnerAsync(long chunk)
    {
        int owner = await Registry.WaitForOwnerAsync(chunk, WorkerToken).ConfigureAwait(false);
        if (owner >= 0)
        {
            EnterChunk(owner);
            return true;
        }

        OnNoMoreChunks();
        return false;
    }

    /// <summary>
    /// Builds the pipeline and spawns the workers. Consumer, on the first MoveNextAsync, inside its try: whatever user
    /// code throws here (a list's Count, the source's GetEnumerator) shuts the run down like any failure.
    /// </summary>
    private async ValueTask<bool> StartAsync()
    {
        long count = _sourceSequence is IEnumerable<T> sequence ? ChunkSizing.TryGetCount(sequence) : -1;
        int chunkSize = Initialize(count, callerRuns: false, _enumeratorToken);
        _source = AsyncChunkSource<T>.Create(_sourceSequence, count, chunkSize, Registry, ordered: !Options.Unordered, WorkerToken);
        _workerSelectors = new TSelector[Math.Min(Options.MaxDegreeOfParallelism, _source.KnownChunkCount)]; // one per worker (no more workers than chunks); plain: no worker exists yet; the spawns publish it
        Array.Fill(_workerSelectors, _selector);
        if (StartWorkers(_source.KnownChunkCount, (scope, worker) => scope.SpawnAsync(_ => RunWorkerAsync(worker))))
        {
            return true;
        }

        ThrowIfAny(await ShutdownAsync(stop: false).ConfigureAwait(false));
        return false;
    }

    /// <summary>The worker loop. Worker <paramref name="worker"/>; the only producer of its ring.</summary>
    private async Task RunWorkerAsync(int worker)
    {
        await Task.Yield(); // never run the first selector on the spawning (consumer) thread
        SpscRingBuffer<TResult> ring = RingOf(worker);
        CancellationToken token = WorkerToken;
        var scratch = new StrongBox<T[]?>();
        TResult[]? results = null;
        bool initialized = false;
        try
        {
            while (true)
            {
                AsyncChunk<T> chunk = await _source!.TryClaimAsync(scratch, token).ConfigureAwait(false);
                if (chunk.Number < 0)
                {
                    return;
                }

                if (Options.Unordered)
                {
                    if (results is null || results.Length < chunk.Count)
                    {
                        results = new TResult[Math.Max(chunk.Count, WorkerBatchSize)];
                    }

                    if (!await RunUnorderedChunkAsync(worker, ring, results, chunk, !initialized, token).ConfigureAwait(false))
                    {
                        return;
                    }

                    initialized = true; // tried: a throwing initializer fails that chunk, and the worker exits
                    continue;
                }

                PublishChunk(chunk.Number, chunk.Count, failed: chunk.SourceError is not null, worker);
                results ??= new TResult[WorkerBatchSize];
                Exception? failure = chunk.SourceError;
                int pending = 0;
                try
                {
                    if (!initialized)
                    {
                        initialized = true;
                        _workerSelectors[worker].InitializeForWorker(); // the user's localInit: a failure fails this chunk at its first item
                    }

                    for (int i = 0; i < chunk.Count; i++)
                    {
                        if (pending == 0 && IsAbandoned(chunk.Number))
                        {
                            return; // a lower chunk stopped the run: this one is not needed (checked once a batch)
                        }

                        TResult result = await _workerSelectors[worker].SelectAsync(chunk.Items![chunk.Offset + i], token).ConfigureAwait(false);
                        results[pending++] = result; // counted only once the selector returned
                        if (pending == results.Length)
                        {
                            await FlushAsync(ring, results, 0, pending, token).ConfigureAwait(false);
                            pending = 0;
                        }
                    }
                }
                catch (Exception ex) when (!IsOwnCancellation(ex))
                {
                    failure = ex; // a selector failure comes before the source's, which follows the chunk's items
                }

                await FlushAsync(ring, results, 0, pending, token).ConfigureAwait(false); // the chunk's results, up to any failure

                if (failure is not null)
                {
                    RecordFailure(chunk.Number, failure);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The consumer stopped the run (dispose, failure or cancellation): exit quietly.
        }
        catch (Exception ex) when (RecordWorkerFailure(ex))
        {
            // Outside any item (an allocation, a bug): the chunk it held may be unpublished; the consumer throws it.
        }
        finally
        {
            OnWorkerExit(worker);
        }
    }

    /// <summary>Unordered mode: compute the chunk, then claim its place in the output. False: the worker exits.</summary>
    private async ValueTask<bool> RunUnorderedChunkAsync(int worker, SpscRingBuffer<TResult> ring, TResult[] results, AsyncChunk<T> chunk, bool initialize, CancellationToken token)
    {
        Exception? failure = chunk.SourceError;
        int done = 0;
        try
        {
            if (initialize)
            {
                _workerSelectors[worker].InitializeForWorker(); // the user's localInit: a failure fails this chunk at its first item
            }

            for (; done < chunk.Count; done++)
            {
                if (Registry.IsStopped)
                {
                    return false;
                }

                results[done] = await _workerSelectors[worker].SelectAsync(chunk.Items![chunk.Offset + done], token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (!IsOwnCancellation(ex))
        {
            failure = ex;
        }

        long slot = await Registry.ClaimAsync(token).ConfigureAwait(false);
        if (slot < 0)
        {
            return false;
        }

        PublishChunk(slot, done, failed: failure is not null, worker);
        await FlushAsync(ring, results, 0, done, token).ConfigureAwait(false);
        if (failure is not null)
        {
            RecordFailure(slot, failure); // this chunk's results before the failure go out first
            return false;
        }

        return true;
    }

    /// <summary>
    /// Stops (if asked) and joins every worker, then disposes the source, then releases the run's token source.
    /// Consumer; idempotent. Always runs to the end, whatever user code throws on the way (a callback on the workers'
    /// token, the source's DisposeAsync), and returns that exception (see <see cref="ParallelSelectRun{TResult}.EndShutdown"/>).
    /// </summary>
    private async ValueTask<Exception?> ShutdownAsync(bool stop)
    {
        if (!BeginShutdown(stop))
        {
            return null;
        }

#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorDisposeSourceBeforeJoin))
        {
            await DisposeSourceAsync().ConfigureAwait(false); // SEEDED FAULT: workers may still be reading the source
        }
#endif
        try
        {
            if (Scope is not null)
            {
                await Scope.JoinAsync().ConfigureAwait(false); // every worker has returned when this completes
            }
        }
        catch (Exception ex)
        {
            RecordShutdownError(ex); // a worker failed outside its chunks; every worker has still returned
        }

#if PRIMITIVES_FAULTS
        if (!Fault.Is(FaultId.IteratorDisposeSourceBeforeJoin))
#endif
        await DisposeSourceAsync().ConfigureAwait(false);
        return EndShutdown();
    }

    /// <summary>Disposes the user's enumerator, once, keeping its exception. Consumer, after the join.</summary>
    private async ValueTask DisposeSourceAsync()
    {
        try
        {
            if (_source is not null)
            {
                await _source.DisposeEnumeratorAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            RecordShutdownError(ex);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">A MoveNextAsync of this enumerator has not completed.</exception>
    public ValueTask DisposeAsync()
    {
        if (_moving)
        {
            ThrowHelper.ThrowInvalidOperationException("A MoveNextAsync of this enumerator is still in progress: await it before disposing the enumerator (cancel the token to end it early).");
        }

        return DisposeCoreAsync();
    }

    private async ValueTask DisposeCoreAsync() => ThrowIfAny(await ShutdownAsync(stop: true).ConfigureAwait(false));
}
