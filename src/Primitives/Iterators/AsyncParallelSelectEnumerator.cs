using System.Runtime.CompilerServices;
using Primitives.RingBuffers;

namespace Primitives.Iterators;

/// <summary>
/// The asynchronous enumerator of <c>ParallelSelectAsync</c>: a <see cref="ParallelSelectRun{TResult}"/> whose
/// workers are async loops and whose consumer awaits instead of blocking. See the base class for the design.
/// </summary>
internal sealed class AsyncParallelSelectEnumerator<T, TResult> : ParallelSelectRun<TResult>, IAsyncEnumerator<TResult>
{
    private readonly object _sourceSequence; // IEnumerable<T> or IAsyncEnumerable<T>
    private readonly Func<T, CancellationToken, ValueTask<TResult>> _selector;
    private readonly CancellationToken _enumeratorToken;
    private AsyncChunkSource<T>? _source; // set before the workers start; read-only afterwards

    internal AsyncParallelSelectEnumerator(object source, Func<T, CancellationToken, ValueTask<TResult>> selector, ParallelSelectOptions options, CancellationToken enumeratorToken)
        : base(options)
    {
        _sourceSequence = source;
        _selector = selector;
        _enumeratorToken = enumeratorToken;
    }

    /// <inheritdoc/>
    public ValueTask<bool> MoveNextAsync() => TryTakeFromBatch() ? new ValueTask<bool>(true) : MoveNextSlowAsync();

    private async ValueTask<bool> MoveNextSlowAsync()
    {
        if (State != RunState.Running)
        {
            if (State == RunState.Finished || !await StartAsync().ConfigureAwait(false))
            {
                return false;
            }
        }

        try
        {
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
                    await ShutdownAsync(stop: false).ConfigureAwait(false);
                    return false;
                }
            }
        }
        catch (Exception ex)
        {
            await ShutdownAsync(stop: true).ConfigureAwait(false);
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

    /// <summary>Builds the pipeline and spawns the workers. Consumer, on the first MoveNextAsync.</summary>
    private async ValueTask<bool> StartAsync()
    {
        long count = _sourceSequence is IEnumerable<T> sequence ? ChunkSizing.TryGetCount(sequence) : -1;
        int chunkSize = Initialize(count, _enumeratorToken);
        _source = AsyncChunkSource<T>.Create(_sourceSequence, chunkSize, Options.Unordered ? null : Registry, WorkerToken);
        if (StartWorkers(_source.KnownChunkCount, (scope, worker) => scope.SpawnAsync(_ => RunWorkerAsync(worker))))
        {
            return true;
        }

        await ShutdownAsync(stop: false).ConfigureAwait(false);
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

                    if (!await RunUnorderedChunkAsync(worker, ring, results, chunk, token).ConfigureAwait(false))
                    {
                        return;
                    }

                    continue;
                }

                PublishChunk(chunk.Number, chunk.Count, worker);
                results ??= new TResult[WorkerBatchSize];
                Exception? failure = chunk.SourceError;
                int pending = 0;
                try
                {
                    for (int i = 0; i < chunk.Count; i++)
                    {
                        if (pending == 0 && IsAbandoned(chunk.Number))
                        {
                            return; // a lower chunk stopped the run: this one is not needed (checked once a batch)
                        }

                        TResult result = await _selector(chunk.Items![chunk.Offset + i], token).ConfigureAwait(false);
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
                    Registry.TryStop(chunk.Number, failure); // the consumer yields what is in the ring, then rethrows this
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The consumer stopped the run (dispose, failure or cancellation): exit quietly.
        }
        finally
        {
            OnWorkerExit(worker);
        }
    }

    /// <summary>Unordered mode: compute the chunk, then claim its place in the output. False: the worker exits.</summary>
    private async ValueTask<bool> RunUnorderedChunkAsync(int worker, SpscRingBuffer<TResult> ring, TResult[] results, AsyncChunk<T> chunk, CancellationToken token)
    {
        Exception? failure = chunk.SourceError;
        int done = 0;
        try
        {
            for (; done < chunk.Count; done++)
            {
                if (Registry.IsStopped)
                {
                    return false;
                }

                results[done] = await _selector(chunk.Items![chunk.Offset + done], token).ConfigureAwait(false);
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

        PublishChunk(slot, done, worker);
        for (int written = 0; written < done; written += ring.Capacity)
        {
            await FlushAsync(ring, results, written, Math.Min(ring.Capacity, done - written), token).ConfigureAwait(false);
        }

        if (failure is not null)
        {
            Registry.TryStop(slot, failure); // this chunk's results before the failure go out first
            return false;
        }

        return true;
    }

    /// <summary>Stops (if asked) and joins every worker, then disposes the source. Consumer; idempotent.</summary>
    private async ValueTask ShutdownAsync(bool stop)
    {
        if (!BeginShutdown(stop))
        {
            return;
        }

        try
        {
            if (Scope is not null)
            {
                await Scope.JoinAsync().ConfigureAwait(false); // every worker has returned when this completes
            }
        }
        finally
        {
            if (_source is not null)
            {
                await _source.DisposeEnumeratorAsync().ConfigureAwait(false);
            }

            EndShutdown();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ShutdownAsync(stop: true);
}
