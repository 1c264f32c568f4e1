using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Primitives.ForkJoin;
#if PRIMITIVES_FAULTS
using Primitives.Internal;
#endif
using Primitives.RingBuffers;

namespace Primitives.Iterators;

/// <summary>
/// The synchronous enumerator of <c>ParallelSelect</c>: a <see cref="ParallelSelectRun{TResult}"/> whose workers
/// and consumer block (spin, then park) when they must wait. Design: docs/parallel-select.md.
/// </summary>
/// <remarks>
/// Caller-runs (ordered mode: the consumer computes where it would wait, directly or into its own ring) and cheap
/// selectors (workers retire): docs/parallel-select.md, "Caller-runs: who computes what".
/// </remarks>
internal sealed class ParallelSelectEnumerator<T, TResult, TSelector> : ParallelSelectRun<TResult>, IEnumerator<TResult>, IBatchEnumerator<TResult>
    where TSelector : struct, IItemSelector<T, TResult>
{
    /// <summary>The most results of its direct chunk the consumer computes at once when it computes alone for a cheap selector.</summary>
    private const int CheapBatchSize = 512;

    private readonly IEnumerable<T> _sourceEnumerable;
    private readonly TSelector _selector;
    private ChunkSource<T>? _source; // set before the workers start; read-only afterwards

    // Caller-runs: consumer-owned (plain accesses; only the enumerating thread touches them).
    private TSelector _consumerSelector; // the consumer's own copy, initialized on its first chunk
    private bool _consumerInitialized;
    private T[]? _consumerScratch; // the consumer's copy of a chunk of a list or sequence
    private TResult[] _own = []; // the consumer's results for a chunk computed ahead, before they go to its ring
    private long _ownChunk = -1; // the direct chunk still being computed; -1 when none (the consumer may claim)
    private ArraySegment<T> _ownItems; // direct chunk: its items
    private int _ownNext; // direct chunk: the first item not yet in a window
    private Exception? _ownSourceError; // direct chunk: the source's exception after its items
    private T[]? _windowItems; // the current window's items: the source array, or the consumer's scratch (a direct chunk, or a stretch read on)
    private int _windowNext; // the next item of the current window, an index into _windowItems
    private bool _tookOver; // the consumer alone reads the rest of the source, a stretch at a time (see TryClaimOwnChunk)
    private int _stretch = 1; // taken over: the size of the last stretch read
    private Exception? _stretchError; // taken over: the source's exception after the current stretch's items; thrown once they are yielded
    private int _ownLeft = 1; // 1 + the items of the current window MoveNext still computes itself; 0 while the selector runs in such a move, and after it threw (see MoveOwn)
    private Exception? _deferredFailure; // what a move in ReadBatch threw after it had copied results: thrown by the next move
    private bool _sourceExhausted; // the consumer claims no more: the source is exhausted, every chunk is claimed, or the run stopped
    private bool _readInBatches; // a chain's first stage: its next stage reads it through ReadBatch, and only so (plain: that stage's claimers call it one at a time, under its source lock; Dispose reads it after that stage's join)
    private Exception? _pendingEndError; // what the end's shutdown threw while read in batches: Dispose throws it (plain: written under the next stage's source lock, read by its consumer after its join, which orders both)

    internal ParallelSelectEnumerator(IEnumerable<T> source, TSelector selector, ParallelSelectOptions options)
        : base(options)
    {
        _sourceEnumerable = source;
        _selector = selector;
    }

    object? System.Collections.IEnumerator.Current => Current;

    /// <inheritdoc/>
    /// <remarks>The hot path: the next item the consumer computes itself (its direct chunk, or the source it reads alone)
    /// in one pass, as a sequential <c>Select</c> does; or the next result of a batch taken from a ring. Small enough to
    /// be inlined into the caller's loop where the JIT devirtualizes the call.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MoveNext()
    {
        int left = _ownLeft;
        return left > 1 ? MoveOwn(left) : TryTakeFromBatch() || MoveNextSlow();
    }

    /// <summary>
    /// Computes the next item of the current window (of the direct chunk, or of a stretch of a source the consumer took
    /// over). Consumer, with <paramref name="left"/> = <see cref="_ownLeft"/> &gt; 1. No exception handler (it would keep
    /// MoveNext from being inlined into the caller's loop): <see cref="_ownLeft"/> is 0 while the selector runs, so a
    /// throw that leaves it there tells the next move, and <see cref="Dispose"/>, that this move failed
    /// (<see cref="OnEscapedFailure"/>); workers that may still run are stopped and joined then (why: docs/parallel-select.md,
    /// "The consumer alone: one pass per item").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool MoveOwn(int left)
    {
        _ownLeft = 0; // the failure mark, until the selector returned
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorCountFailingSlot))
        {
            _ownLeft = left - 1; // SEEDED FAULT: a throwing selector leaves no mark, and the next move goes on past the failure
        }
#endif
        Current = _consumerSelector.Select(_windowItems![_windowNext++]);
        _ownLeft = left - 1;
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>What the run's own shutdown throws at the end (the source's Dispose, a callback) is not thrown here but by
    /// <see cref="Dispose"/>: the next stage disposes this one after its own join, whether it read to the end or stopped
    /// early, so the exception reaches its user either way, as a sequential chain's disposal would throw it.</remarks>
    public int ReadBatch(Span<TResult> destination)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }

        _readInBatches = true;
        if (!MoveNext())
        {
            return 0;
        }

        destination[0] = Current;
        return 1 + (_ownLeft > 1 ? MoveOwnInto(destination[1..]) : TakeFromBatch(destination[1..]));
    }

    /// <summary>
    /// <see cref="ReadBatch"/> after its first result, inside a window: computes the window's next items straight into
    /// <paramref name="destination"/>, in one tight loop. A selector failure is deferred to the next move: this call has
    /// handed over results. Consumer.
    /// </summary>
    private int MoveOwnInto(Span<TResult> destination)
    {
        int copied = 0;
        try
        {
            (int start, int left) = (_windowNext, _ownLeft);
            _ownLeft = 0; // the failure mark, as in MoveOwn
            SelectInto(_consumerSelector, _windowItems.AsSpan(start, Math.Min(destination.Length, left - 1)), destination, ref copied);
            (_windowNext, _ownLeft) = (start + copied, left - copied);
        }
        catch (Exception ex)
        {
            (_deferredFailure, _ownLeft) = (ex, 0);
        }

        if (copied > 0)
        {
            Current = destination[copied - 1];
        }

        return copied;
    }

    /// <summary>
    /// The selector threw out of an earlier move (<see cref="MoveOwn"/>), and that exception went to the caller as it
    /// was (or was deferred by <see cref="MoveOwnInto"/>: thrown now). Shuts the run down; what its shutdown throws is
    /// dropped, the failure that ended the run wins (a chain's first stage keeps it: <see cref="KeepForChainedDisposal"/>).
    /// The results end there. Consumer.
    /// </summary>
    private bool OnEscapedFailure()
    {
        Exception? deferred = _deferredFailure;
        _deferredFailure = null;
        KeepForChainedDisposal(Shutdown(stop: true));
        _ownLeft = 1;
        if (deferred is not null)
        {
            ThrowIfCallerCancelled(deferred);
            ExceptionDispatchInfo.Throw(deferred);
        }

        return false;
    }

    private bool MoveNextSlow()
    {
        if (_ownLeft == 0)
        {
            return OnEscapedFailure();
        }

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
                if (_tookOver)
                {
                    return ReadOn();
                }

                SpscRingBuffer<TResult>? ring = TryRefill(out long chunk);
                if (ring is not null)
                {
                    if (TryClaimOwnChunk(awaitingOwner: false) != OwnClaim.None)
                    {
                        continue; // computed a later chunk instead of waiting; look at the ring again
                    }

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
                    return EndOfResults();
                }
            }
        }
        catch (Exception ex)
        {
            KeepForChainedDisposal(Shutdown(stop: true)); // completes whatever user code throws in it; the failure that ended the run wins
            ThrowIfCallerCancelled(ex);
            throw;
        }
    }

    /// <summary>
    /// The consumer took the source over: reads its next stretch, and opens a window on it, or ends the results, or
    /// throws what the source threw after the last stretch. Consumer, in MoveNextSlow's try.
    /// </summary>
    private bool ReadOn()
    {
        if (_stretchError is { } error)
        {
            _stretchError = null;
            ExceptionDispatchInfo.Throw(error); // every item before it was yielded
        }

        WorkerToken.ThrowIfCancellationRequested();
        _stretch = Math.Min(CheapBatchSize, _stretch * 2); // from 2 on: the first results come soon, as with growing chunks
        bool read = _source!.TryReadOn(ref _consumerScratch, _stretch, out ArraySegment<T> items, out _stretchError, WorkerToken);
        WorkerToken.ThrowIfCancellationRequested(); // also after the read: items read after a cancellation (the source may have waited for it) are not yielded
        if (!read)
        {
            return EndOfResults();
        }

        if (items.Count == 0)
        {
            return ReadOn(); // the source threw before any item of this stretch: throws it
        }

        InitializeConsumerSelector(); // once, before the first item (not for a source that had ended)
        (_windowItems, _windowNext) = (items.Array, items.Offset);
        return MoveOwn(items.Count + 1);
    }

    /// <summary>
    /// After a failure ended the run: what its shutdown threw (the source's Dispose, a callback) is dropped, the failure
    /// wins, unless this is a chain's first stage. There the failure goes to the next stage as a source failure after the
    /// items read before it, and the caller may break before reaching it; so the shutdown's exception is kept for
    /// <see cref="Dispose"/>, which the next stage calls after its join, and whose own shutdown then drops it or throws
    /// it, as a sequential chain's disposal would. Consumer.
    /// </summary>
    private void KeepForChainedDisposal(Exception? shutdownError)
    {
        if (_readInBatches)
        {
            _pendingEndError ??= shutdownError;
        }
    }

    /// <summary>The end of the results: shuts the run down; a source whose Dispose throws still ends with its exception. Consumer, in MoveNextSlow's try.</summary>
    private bool EndOfResults()
    {
        Exception? endError = Shutdown(stop: false);
        if (endError is not null && _readInBatches)
        {
            _pendingEndError = endError; // read by a chain's next stage: thrown by Dispose (see ReadBatch)
            return false;
        }

        ThrowIfAny(endError);
        return false;
    }

    /// <summary>
    /// Enters <paramref name="chunk"/>: its owner's, or computed by the consumer itself when it can claim it; false at
    /// the end of the results. Consumer.
    /// </summary>
    private bool AwaitOwner(long chunk)
    {
        while (true)
        {
            if (Registry.TryGetOwner(chunk, out int owner))
            {
                EnterChunk(owner);
                return true;
            }

            OwnClaim claim = TryClaimOwnChunk(awaitingOwner: true);
            if (claim is OwnClaim.Direct or OwnClaim.TookOver)
            {
                return true;
            }

            if (claim == OwnClaim.None)
            {
                break; // nothing the consumer can compute now: wait
            }
        }

        if (Registry.WaitForOwner(chunk, out int waitedOwner, WorkerToken))
        {
            EnterChunk(waitedOwner);
            return true;
        }

        OnNoMoreChunks();
        return false;
    }

    /// <summary>What <see cref="TryClaimOwnChunk"/> did.</summary>
    private enum OwnClaim
    {
        /// <summary>Nothing: no caller-runs, no room in the consumer's ring, nothing left to claim, or a worker holds the source.</summary>
        None,

        /// <summary>Claimed the chunk the consumer needs, and entered it: its results are computed as they are yielded.</summary>
        Direct,

        /// <summary>Claimed a later chunk and computed it into the consumer's ring (or gave it up because the run stopped below it).</summary>
        Stashed,

        /// <summary>Took the source over: the consumer alone reads the rest of it, a stretch at a time, without claims.</summary>
        TookOver,
    }

    /// <summary>
    /// Caller-runs: instead of waiting for the current chunk, claims the next chunk number and computes that chunk.
    /// Consumer.
    /// </summary>
    /// <param name="awaitingOwner">True when the consumer waits for chunk <see cref="ParallelSelectRun{TResult}.CurrentChunk"/>'s
    /// owner (it may claim that very chunk); false when it waits in the middle of the chunk for its owner's ring.</param>
    private OwnClaim TryClaimOwnChunk(bool awaitingOwner)
    {
        if (!CallerRuns || _ownChunk >= 0 || _sourceExhausted)
        {
            return OwnClaim.None;
        }

        if (Registry.IsStopped || Registry.ClaimedCount >= _source!.KnownChunkCount)
        {
            StopClaiming();
            return OwnClaim.None;
        }

        // A later chunk must fit whole in the consumer's ring: it cannot wait for room there, it is the ring's reader.
        // (Awaiting the owner of the chunk it needs with no worker running, none spawned or all exited or retired, the
        // claim is that chunk if it is still unpublished: every chunk a worker claimed was published before it left,
        // and the consumer publishes its own claims at once. The consumer's miss in AwaitOwner does not say that: a
        // worker may have published the chunk since, and retired; so it looks again, after finding no worker running.
        // In the middle of a chunk, whose worker may have retired since the consumer found its ring empty, the claim
        // is a later chunk, which must fit.)
        bool needsRoom = HasActiveWorkers || !awaitingOwner;
        bool lookAgain = !needsRoom;
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorStashIntoFullRing))
        {
            needsRoom = HasActiveWorkers; // SEEDED FAULT: once the workers retired, a later chunk is written into a full ring and its results are lost
        }

        if (Fault.Is(FaultId.IteratorDirectClaimWithoutSecondLook))
        {
            lookAgain = false; // SEEDED FAULT: a chunk published since the consumer's miss, by a worker that then retired, makes the claim a later chunk, written into a full ring
        }
#endif
        if (lookAgain && Registry.TryGetOwner(CurrentChunk, out _)) // after HasActiveWorkers' acquire: sees every publish of a worker that left
        {
            return OwnClaim.None; // published since the miss: the caller waits for it, and finds it at once
        }

        if (needsRoom && ConsumerRing.Capacity - ConsumerRing.Count < MaxChunkSize)
        {
            return OwnClaim.None;
        }

        // No worker runs, and none can start again (HasActiveWorkers stays false once false); every claimed chunk is
        // published, and the one the consumer needs is not: no chunk is in flight. The consumer takes the rest of the
        // source over: it reads it a stretch at a time, with no claim (no registry slot, no lock), and computes each
        // result in MoveNext.
        bool takeOver = lookAgain;
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorTakeOverWhileWorkersRun))
        {
            takeOver = awaitingOwner; // SEEDED FAULT: the consumer takes the source over while a worker may still hold a claimed, unpublished chunk
        }
#endif
        if (takeOver)
        {
            // Read after HasActiveWorkers (an acquire that sees every worker's exit): a worker that failed outside any
            // chunk stopped the run before it exited, leaving its chunk unpublished. The consumer then waits, and finds
            // the stop with that worker's exception.
            bool stopped = Registry.IsStopped;
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.IteratorTakeOverAfterAStop))
            {
                stopped = false; // SEEDED FAULT: a worker that failed outside any chunk and exited is not seen: the consumer reads the rest itself and ends normally
            }
#endif
            _tookOver = !stopped && _source.TryTakeOver(CurrentChunk);
            StopClaiming(); // it reads on alone, or the source has ended, or the run stopped
            return _tookOver ? OwnClaim.TookOver : OwnClaim.None;
        }

        if (!_source.TryClaim(ref _consumerScratch, consumer: true, out long chunk, out ArraySegment<T> items, out Exception? sourceError, WorkerToken))
        {
            if (chunk != ChunkSource<T>.Busy)
            {
                StopClaiming(); // the source is exhausted, or the run stopped
            }

            return OwnClaim.None;
        }

        bool direct = awaitingOwner && chunk == CurrentChunk; // otherwise a worker claimed the chunk the consumer needs first
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorConsumerTakesClaimAsNeeded))
        {
            direct = awaitingOwner; // SEEDED FAULT: a later chunk is yielded as the one awaited, when a worker claimed that one first
        }
#endif
        if (direct)
        {
            // The chunk the consumer needs: publish it (the registry must know it before Release), then compute it
            // item by item as it is yielded, a window at a time (RefillOwnChunk).
            (_ownChunk, _ownItems, _ownNext, _ownSourceError) = (chunk, items, 0, sourceError);
            PublishChunk(chunk, items.Count, failed: sourceError is not null, DirectOwner);
            EnterChunk(DirectOwner);
            return OwnClaim.Direct;
        }

        // A later chunk: compute it whole into the stash, write it into the consumer's ring (it fits: checked above),
        // then publish it, with the failed-chunk mark if it failed.
        EnsureOwnCapacity(items.Count);
        Exception? failure = sourceError;
        int done = 0;
        try
        {
            InitializeConsumerSelector();
            ReadOnlySpan<T> span = items;
            while (done < span.Length)
            {
                if (IsAbandoned(chunk))
                {
                    return OwnClaim.Stashed; // a lower chunk stopped the run, or it is shutting down: this one is not needed (checked once a batch)
                }

                SelectInto(_consumerSelector, span[..Math.Min(span.Length, done + WorkerBatchSize)], _own, ref done);
            }
        }
        catch (Exception ex) when (!IsOwnCancellation(ex))
        {
            failure = ex; // a selector failure comes before the source's, which follows the chunk's items
        }

        SpscRingBuffer<TResult> ring = ConsumerRing;
        int written = ring.TryWriteBatch(_own.AsSpan(0, done));
        Debug.Assert(written == done, $"the consumer's ring took {written} of {done} results");
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TResult>())
        {
            Array.Clear(_own, 0, done); // the ring holds them now
        }

        PublishChunk(chunk, done, failed: failure is not null, StashOwner);
        if (failure is not null)
        {
            RecordFailure(chunk, failure); // the consumer reaches this chunk, yields its results, then throws the lowest failure
            ring.Complete(); // so that, having read them, it finds the ring ended instead of waiting on itself
        }

        return OwnClaim.Stashed;
    }

    /// <summary>
    /// The consumer will claim no more chunks; with no worker running (none spawned, or all exited or retired), it closes
    /// the registry: the number of chunks is then final, and the walk ends there. Consumer.
    /// </summary>
    private void StopClaiming()
    {
        _sourceExhausted = true;
        OnConsumerStopsClaiming();
    }

    /// <inheritdoc/>
    protected override bool RefillOwnChunk()
    {
        // The consumer entered this chunk because the registry named it as the owner: it claimed and published it as
        // the chunk it needed, and computes it until its end or its failure.
        Debug.Assert(_ownChunk < 0 || _ownChunk == CurrentChunk, $"own chunk {_ownChunk} entered as chunk {CurrentChunk}");
        if (_ownChunk < 0)
        {
            return false; // ended in a failure: only the failed-chunk mark is left
        }

        if (_ownNext == _ownItems.Count)
        {
            // Every item was yielded, and the source threw after them (the chunk's length counts the failed-chunk mark).
            _ownChunk = -1;
            RecordFailure(CurrentChunk, _ownSourceError!); // thrown now that the results before it are yielded
            return false;
        }

        // Open the next window: MoveNext computes its items one at a time, as they are yielded (MoveOwn). Of a worker's
        // batch size; larger once the workers retired for a cheap selector, which spares the consumer a return here
        // every few items. Between two windows the consumer looks at the token.
        WorkerToken.ThrowIfCancellationRequested();
        InitializeConsumerSelector();
        int count = Math.Min(ComputesAloneForACheapSelector ? CheapBatchSize : WorkerBatchSize, _ownItems.Count - _ownNext);
        (_windowItems, _windowNext) = (_ownItems.Array, _ownItems.Offset + _ownNext);
        _ownNext += count;
        if (_ownNext == _ownItems.Count && _ownSourceError is null)
        {
            _ownChunk = -1; // the last window: claims resume once it is yielded (only MoveNextSlow claims, and only past a window)
        }

        CountOwnResults(count);
        return MoveOwn(count + 1); // the window's first result; a throw reaches MoveNextSlow's handler, which shuts the run down
    }

    /// <summary>Runs the user's per-worker initializer for the consumer, once. Consumer.</summary>
    private void InitializeConsumerSelector()
    {
        if (!_consumerInitialized)
        {
            _consumerInitialized = true;
            _consumerSelector = _selector;
            _consumerSelector.InitializeForWorker();
        }
    }

    /// <summary>Makes <see cref="_own"/> hold at least <paramref name="results"/> results. Consumer, between batches.</summary>
    private void EnsureOwnCapacity(int results)
    {
        if (_own.Length < results)
        {
            _own = new TResult[Math.Max(results, WorkerBatchSize)];
        }
    }

    /// <summary>
    /// Builds the pipeline and spawns the workers. Consumer, on the first MoveNext, inside its try: whatever user code
    /// throws here (a list's Count, the source's GetEnumerator) shuts the run down like any failure.
    /// </summary>
    private bool Start()
    {
        long count = ChunkSizing.TryGetCount(_sourceEnumerable);
        int chunkSize = Initialize(count, callerRuns: true);
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
        if (CallerRuns && !TryStartWorker())
        {
            return; // revoked: the consumer stopped claiming before the pool started this worker, and counted it out
        }

        SpscRingBuffer<TResult> ring = RingOf(worker);
        CancellationToken token = WorkerToken;
        TSelector selector = _selector;
        bool initialized = false;
        T[]? scratch = null;
        TResult[]? results = null;
        // Only where the consumer can take over the work, and its own ring can take a whole chunk. (Otherwise, while a
        // worker runs, the consumer claims no chunk: it waits for a worker to claim the one it needs, and a worker that
        // retired instead would leave it waiting. With room for a chunk, the consumer's ring is empty whenever the chunk
        // it needs is unclaimed, since it holds only chunks claimed after that one, so it claims it.)
        var cost = new SelectorCost(CallerRuns && ring.Capacity >= MaxChunkSize ? Options : null);
        bool retire = false;
        bool retiring = false;
        try
        {
            while (_source!.TryClaim(ref scratch, consumer: false, out long chunk, out ArraySegment<T> segment, out Exception? sourceError, token))
            {
                ReadOnlySpan<T> items = segment;
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

                    for (int next = 0; next < items.Length;)
                    {
                        if (IsAbandoned(chunk))
                        {
                            return; // a lower chunk stopped the run: this one is not needed (checked once a batch)
                        }

                        cost.Start();
                        int batch = Math.Min(results.Length, items.Length - next); // pending is 0: only the chunk's last batch can be short
                        SelectInto(selector, items.Slice(next, batch), results, ref pending); // a throw leaves the failing item out of pending
                        retire |= cost.Stop(pending);
                        next += batch;
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

                if (retire)
                {
                    retiring = true;
                    return; // a cheap selector: handing its results over costs more than computing them; the consumer computes the rest
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
            OnWorkerExit(worker, retiring);
        }
    }

    /// <summary>
    /// Runs the selector on <paramref name="items"/> from index <paramref name="done"/> on, into the same indices of
    /// <paramref name="results"/>, and counts each result in <paramref name="done"/> once the selector returned: when the
    /// selector throws, <paramref name="done"/> is the index of the failing item. Worker, or the consumer. No exception
    /// handler here, and not inlined into the caller's: a counter live into a handler is kept on the stack and reloaded
    /// every item (a store-to-load forwarding on the loop's critical path), which a cheap selector would pay for. The
    /// selector comes by value (its methods are read-only once initialized): a copy that no store can alias lets the
    /// JIT test a devirtualized delegate once, outside the loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SelectInto(TSelector selector, ReadOnlySpan<T> items, Span<TResult> results, ref int done)
    {
        results = results[..items.Length];
        for (int i = done; i < items.Length; i++)
        {
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.IteratorCountFailingSlot))
            {
                done = i + 1; // SEEDED FAULT: a throwing selector still counts its slot, and a stale result goes out
            }
#endif
            results[i] = selector.Select(items[i]);
            done = i + 1; // counted only once the selector returned: a throw leaves it out
        }
    }

    /// <summary>
    /// A worker's measurement of the selector's cost per item: the time from the start of a batch to its flush (so waits
    /// for ring space do not count), divided by its results; the cheapest batch of a sample counts (a batch that was
    /// preempted or interrupted only looks dearer). A sample that finds the selector dear is taken again later, after
    /// twice as many untimed results each time, up to a pause of <see cref="MaxPauseItems"/>: the code it timed may not
    /// have been optimized yet (the worker loop and the selector's call tier up for the whole process, over its first
    /// runs), and a verdict taken once per run would keep a cheap selector on the workers for the rest of that run. No
    /// clock is read between samples. Inactive (never measures, never says "cheap") without options: only where the consumer can take
    /// over the work. Worker-owned (a local of the worker loop).
    /// </summary>
    private struct SelectorCost(ParallelSelectOptions? options)
    {
        /// <summary>The longest pause between two samples: the last sample follows it.</summary>
        private const int MaxPauseItems = 1 << 16;

        private readonly double _cheapNanoseconds = options?.CheapSelectorNanoseconds ?? 0;
        private readonly int _sampleItems = options?.CostSampleItems ?? 0;
        private readonly bool _active = options is not null;
        private int _pause = options?.CostWarmUpItems ?? 0; // results left before the next sample starts
        private int _nextPause = Math.Max(1, options?.CostWarmUpItems ?? 0) * 2;
        private long _started;
        private long _items;
        private double _cheapestTicksPerItem = double.MaxValue;

        /// <summary>A batch starts.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Start()
        {
            if (_active && _pause <= 0)
            {
                _started = Stopwatch.GetTimestamp();
            }
        }

        /// <summary>The batch started last ends with <paramref name="items"/> results. True once a sample found the selector cheap.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Stop(int items) => _active && items > 0 && Add(items);

        private bool Add(int items)
        {
            if (_pause > 0)
            {
                _pause -= items; // not timed: the first results of each run come from unoptimized code, and samples are spaced out
                return false;
            }

            long elapsed = Stopwatch.GetTimestamp() - _started;
            _cheapestTicksPerItem = Math.Min(_cheapestTicksPerItem, (double)elapsed / items);
            _items += items;
            if (_items < _sampleItems)
            {
                return false;
            }

            if (_cheapestTicksPerItem * (1e9 / Stopwatch.Frequency) < _cheapNanoseconds)
            {
                return true; // cheap: the caller retires once its chunk is done
            }

            // Dear: sample again later, until the pause would pass MaxPauseItems; then dear for the rest of the run (a
            // selector whose cost varies along the sequence would otherwise retire the workers in its first cheap stretch).
            (_items, _cheapestTicksPerItem) = (0, double.MaxValue);
            (_pause, _nextPause) = _nextPause <= MaxPauseItems ? (_nextPause, _nextPause * 2) : (int.MaxValue, _nextPause);
            return false;
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
        (_windowItems, _tookOver, _stretchError) = (null, false, null);
        _ownLeft = Math.Min(_ownLeft, 1); // MoveNext computes nothing more (0, a move that threw, stays for Dispose and MoveNextSlow)
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
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TResult>())
        {
            Array.Clear(_own);
        }

        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>() && _consumerScratch is not null)
        {
            Array.Clear(_consumerScratch);
        }

        _ownItems = default;
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
    public void Dispose()
    {
        bool failed = _ownLeft == 0 && !_readInBatches; // a move threw, and its exception went to the caller (see MoveOwn): it wins over what shutdown throws
        Exception? error = Shutdown(stop: true) ?? _pendingEndError;
        (_pendingEndError, _deferredFailure) = (null, null);
        if (failed)
        {
            _ownLeft = 1;
            return;
        }

        ThrowIfAny(error);
    }

    /// <inheritdoc/>
    public void Reset() => throw new NotSupportedException();
}
