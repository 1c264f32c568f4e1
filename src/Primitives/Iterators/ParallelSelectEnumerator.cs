using Primitives.ForkJoin;
#if PRIMITIVES_FAULTS
using Primitives.Internal;
#endif
using Primitives.RingBuffers;

namespace Primitives.Iterators;

/// <summary>
/// The synchronous enumerator of <c>ParallelSelect</c>: a <see cref="ParallelSelectRun{TResult}"/> whose workers
/// and consumer block (spin, then park) when they must wait. See the base class for the design.
/// </summary>
internal sealed class ParallelSelectEnumerator<T, TResult, TSelector> : ParallelSelectRun<TResult>, IEnumerator<TResult>
    where TSelector : struct, IItemSelector<T, TResult>
{
    private readonly IEnumerable<T> _sourceEnumerable;
    private readonly TSelector _selector;
    private ChunkSource<T>? _source; // set before the workers start; read-only afterwards

    internal ParallelSelectEnumerator(IEnumerable<T> source, TSelector selector, ParallelSelectOptions options)
        : base(options)
    {
        _sourceEnumerable = source;
        _selector = selector;
    }

    object? System.Collections.IEnumerator.Current => Current;

    /// <inheritdoc/>
    public bool MoveNext() => TryTakeFromBatch() || MoveNextSlow();

    private bool MoveNextSlow()
    {
        if (State == RunState.Finished)
        {
            return false;
        }

        try
        {
            if (State == RunState.NotStarted && !Start())
            {
                return false; // nothing to do; Start shut the run down
            }

            while (true)
            {
                SpscRingBuffer<TResult>? ring = TryRefill(out long chunk);
                if (ring is not null)
                {
                    if (!ring.WaitToRead(WorkerToken))
                    {
                        ThrowStopped(); // the owner completed its ring before finishing this chunk
                    }
                }
                else if (chunk == -1)
                {
                    return true;
                }
                else if (chunk == long.MaxValue || !AwaitOwner(chunk))
                {
                    ThrowIfAny(Shutdown(stop: false)); // the end; a source whose Dispose throws still ends with its exception
                    return false;
                }
            }
        }
        catch (Exception ex)
        {
            Shutdown(stop: true); // completes whatever user code throws in it; the failure that ended the run wins
            ThrowIfCallerCancelled(ex);
            throw;
        }
    }

    /// <summary>Waits for <paramref name="chunk"/>'s owner; false at the end of the results. Consumer.</summary>
    private bool AwaitOwner(long chunk)
    {
        if (Registry.WaitForOwner(chunk, out int owner, WorkerToken))
        {
            EnterChunk(owner);
            return true;
        }

        OnNoMoreChunks();
        return false;
    }

    /// <summary>
    /// Builds the pipeline and spawns the workers. Consumer, on the first MoveNext, inside its try: whatever user code
    /// throws here (a list's Count, the source's GetEnumerator) shuts the run down like any failure.
    /// </summary>
    private bool Start()
    {
        long count = ChunkSizing.TryGetCount(_sourceEnumerable);
        int chunkSize = Initialize(count);
        _source = ChunkSource<T>.Create(_sourceEnumerable, count, chunkSize, Registry, ordered: !Options.Unordered);
        if (StartWorkers(_source.KnownChunkCount, (scope, worker) => scope.Spawn(_ => RunWorker(worker))))
        {
            return true;
        }

        ThrowIfAny(Shutdown(stop: false));
        return false;
    }

    /// <summary>The worker loop. Worker <paramref name="worker"/>; the only producer of its ring.</summary>
    private void RunWorker(int worker)
    {
        SpscRingBuffer<TResult> ring = RingOf(worker);
        CancellationToken token = WorkerToken;
        TSelector selector = _selector;
        bool initialized = false;
        T[]? scratch = null;
        TResult[]? results = null;
        try
        {
            while (_source!.TryClaim(ref scratch, out long chunk, out ReadOnlySpan<T> items, out Exception? sourceError, token))
            {
                if (Options.Unordered)
                {
                    if (!RunUnorderedChunk(worker, ring, ref selector, ref initialized, ref results, items, sourceError, token))
                    {
                        return;
                    }

                    continue;
                }

                PublishChunk(chunk, items.Length, failed: sourceError is not null, worker);
                results ??= new TResult[WorkerBatchSize];
                Exception? failure = sourceError;
                int pending = 0;
                try
                {
                    if (!initialized)
                    {
                        initialized = true;
                        selector.InitializeForWorker();
                    }

                    for (int i = 0; i < items.Length; i++)
                    {
                        if (pending == 0 && IsAbandoned(chunk))
                        {
                            return; // a lower chunk stopped the run: this one is not needed (checked once a batch)
                        }

                        int slot = pending;
#if PRIMITIVES_FAULTS
                        if (Fault.Is(FaultId.IteratorCountFailingSlot))
                        {
                            pending++; // SEEDED FAULT: a throwing selector still counts its slot, and a stale result goes out
                        }
#endif
                        results[slot] = selector.Select(items[i]);
                        pending = slot + 1; // counted only once the selector returned: a throw leaves it out
                        if (pending == results.Length)
                        {
                            Flush(ring, results, token);
                            pending = 0;
                        }
                    }
                }
                catch (Exception ex) when (!IsOwnCancellation(ex))
                {
                    failure = ex; // a selector failure comes before the source's, which follows the chunk's items
                }

                Flush(ring, results.AsSpan(0, pending), token); // the chunk's results, up to any failure
                if (failure is not null)
                {
                    RecordFailure(chunk, failure);
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
    private bool RunUnorderedChunk(int worker, SpscRingBuffer<TResult> ring, ref TSelector selector, ref bool initialized, ref TResult[]? results, ReadOnlySpan<T> items, Exception? sourceError, CancellationToken token)
    {
        if (results is null || results.Length < items.Length)
        {
            results = new TResult[Math.Max(items.Length, WorkerBatchSize)];
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
                if (Registry.IsStopped)
                {
                    return false;
                }

                results[done] = selector.Select(items[done]);
            }
        }
        catch (Exception ex) when (!IsOwnCancellation(ex))
        {
            failure = ex;
        }

        long slot = Registry.Claim(token);
        if (slot < 0)
        {
            return false;
        }

        PublishChunk(slot, done, failed: failure is not null, worker);
        Flush(ring, results.AsSpan(0, done), token);
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
    /// token, the source's Dispose), and returns that exception (see <see cref="ParallelSelectRun{TResult}.EndShutdown"/>).
    /// </summary>
    private Exception? Shutdown(bool stop)
    {
        if (!BeginShutdown(stop))
        {
            return null;
        }

#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorDisposeSourceBeforeJoin))
        {
            DisposeSource(); // SEEDED FAULT: workers may still be reading the source
        }
#endif
        try
        {
            Scope?.Join(); // every worker has returned when this returns
        }
        catch (Exception ex)
        {
            RecordShutdownError(ex); // a worker failed outside its chunks; every worker has still returned
        }

#if PRIMITIVES_FAULTS
        if (!Fault.Is(FaultId.IteratorDisposeSourceBeforeJoin))
#endif
        DisposeSource();
        return EndShutdown();
    }

    /// <summary>Disposes the user's enumerator, once, keeping its exception. Consumer, after the join.</summary>
    private void DisposeSource()
    {
        try
        {
            _source?.DisposeEnumerator();
        }
        catch (Exception ex)
        {
            RecordShutdownError(ex);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => ThrowIfAny(Shutdown(stop: true));

    /// <inheritdoc/>
    public void Reset() => throw new NotSupportedException();
}
