using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Primitives.ForkJoin;
using Primitives.Internal;
using Primitives.Registry;
using Primitives.RingBuffers;

namespace Primitives.Iterators;

/// <summary>
/// One run of a parallel select: the workers' rings, the registry, the scope that owns the workers, and the
/// consumer's cursor. The synchronous and asynchronous enumerators derive from it and add only their waiting.
/// </summary>
/// <remarks>
/// Design note: docs/parallel-select.md ("How a result travels", "Who owns what", "Why order holds", "Why memory is
/// bounded, and why nothing deadlocks", "Fail-fast", "Shutdown", "Unordered mode"). Members marked "consumer" belong
/// to the enumerating thread, members marked "worker" run on workers.
/// </remarks>
internal abstract class ParallelSelectRun<TResult>
{
    /// <summary>Most results the consumer takes from a ring at once, and a worker publishes at once.</summary>
    private const int BatchSize = 64;

    /// <summary>The chunk size assumed when sizing the registry window for a growing chunk size.</summary>
    private const int GrowingChunkEstimate = 64;

    // Set before any worker exists; read-only afterwards.
    private CancellationTokenSource? _cancellation;
    private CancellationToken _token; // _cancellation's token, kept: the source is disposed at the end of the run
    private CancellationToken _enumeratorToken;
    private TaskRegistry? _registry;
    private SpscRingBuffer<TResult>[] _rings = [];
    private int[] _chunkLengths = [];
    private int _chunkMask;
    private int _ringCapacity;
    private long _knownChunkCount;
    private List<Exception>? _shutdownErrors; // consumer-owned: what user code threw during shutdown

    /// <summary>Workers still running (not exited, not retired), counting those spawned but not started yet.</summary>
    private int _activeWorkers;

    /// <summary>
    /// Caller-runs: workers spawned that the pool has not started yet. A worker takes one on start (CAS); the consumer,
    /// once it stops claiming, takes all that are left (<see cref="RevokeUnstartedWorkers"/>), and a worker that finds none
    /// returns at once: its start was revoked, and it was counted out of <see cref="_activeWorkers"/>.
    /// </summary>
    private int _unstartedWorkers;

    /// <summary>Set (to 1) by the first worker that retires: the selector is cheap (see "Cheap selectors").</summary>
    private int _workerRetired;

    /// <summary>
    /// Set (to 1, with Interlocked) once no further chunk will be claimed: a worker exited for any reason but retiring (the
    /// source is exhausted, the run stopped, or it failed), or the consumer stopped claiming. The registry is closed
    /// when this is set and no worker is active, by whichever of the two comes second (see <see cref="OnWorkerExit"/>).
    /// </summary>
    private int _noMoreChunks;

    /// <summary>Caller-runs: the owner index of chunks the consumer computes as it yields them (no ring); -1 without caller-runs.</summary>
    private int _directOwner = -1;

    /// <summary>The number of pool workers; with caller-runs, the consumer's own ring follows theirs in <see cref="_rings"/>.</summary>
    private int _workerCount;

    /// <summary>The largest chunk a claim can return: the fixed chunk size, or <see cref="ChunkSizing.MaxAutomatic"/>.</summary>
    private int _maxChunk;

    // Consumer-owned.
    private TResult[] _batch = []; // what TryTakeFromBatch serves: _copyBuffer, or the consumer's own results in place
    private TResult[] _copyBuffer = []; // results copied out of a worker's ring
    private int _batchIndex;
    private int _batchCount;
    private long _chunk = -1;
    private int _remainingInChunk;
    private SpscRingBuffer<TResult>? _chunkRing;

    protected ParallelSelectRun(ParallelSelectOptions options) => Options = options;

    protected ParallelSelectOptions Options { get; }

    /// <summary>The scope that owns the workers; null until they are spawned.</summary>
    protected ForkJoinScope? Scope { get; private set; }

    protected RunState State { get; private set; }

    /// <summary>The registry; set by <see cref="Initialize"/>.</summary>
    protected TaskRegistry Registry => _registry!;

    /// <summary>The token that stops the workers: the user's token, linked, and cancelled on shutdown.</summary>
    protected CancellationToken WorkerToken => _token;

    /// <summary>
    /// Whether the consumer computes chunks too (caller-runs; the synchronous ordered enumerator): then
    /// <see cref="StartWorkers"/> spawns one worker fewer, and the registry window is large enough that the
    /// consumer's claims never wait for window space. Set by <see cref="Initialize"/>.
    /// </summary>
    protected bool CallerRuns { get; private set; }

    /// <summary>The number of the chunk the consumer is on. Consumer.</summary>
    protected long CurrentChunk => _chunk;

    /// <summary>
    /// Caller-runs: the owner index of chunks the consumer computed ahead into its own ring (the ring's index in
    /// <see cref="_rings"/>, after the workers'). Set by <see cref="StartWorkers"/>.
    /// </summary>
    protected int StashOwner => _workerCount;

    /// <summary>Caller-runs: the owner index of the chunk the consumer computes as it yields it. Set by <see cref="StartWorkers"/>.</summary>
    protected int DirectOwner => _directOwner;

    /// <summary>The largest chunk a claim can return. Set by <see cref="Initialize"/>.</summary>
    protected int MaxChunkSize => _maxChunk;

    /// <summary>
    /// Caller-runs: the consumer's own ring, created on first use, of a worker's ring capacity. The consumer is both its
    /// producer (it writes a chunk it computed ahead, whole, only where the whole chunk fits) and its consumer. Consumer.
    /// </summary>
    protected SpscRingBuffer<TResult> ConsumerRing => _rings[_workerCount] ??= new SpscRingBuffer<TResult>(_ringCapacity);

    /// <summary>The current result. Consumer.</summary>
    public TResult Current { get; protected set; } = default!;

    protected enum RunState
    {
        NotStarted,
        Running,
        Finished,
    }

    /// <summary>
    /// Builds the registry and sizes everything. Consumer, on the first move. Returns the chunk size to use
    /// (0: growing) so that the derived class can create its chunk source with the registry.
    /// <paramref name="enumeratorToken"/> is the async enumerator's own token, linked with the options' one.
    /// <paramref name="callerRuns"/>: the consumer will compute chunks too, if the window can be sized for it
    /// (ordered mode only); <see cref="CallerRuns"/> says whether it will.
    /// </summary>
    protected int Initialize(long sourceCount, bool callerRuns, CancellationToken enumeratorToken = default)
    {
        ParallelSelectOptions options = Options;
        options.CancellationToken.ThrowIfCancellationRequested(); // before linking: the exception carries the caller's token
        enumeratorToken.ThrowIfCancellationRequested();
        State = RunState.Running;
        _enumeratorToken = enumeratorToken;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, enumeratorToken);
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorUnlinkedCancellation))
        {
            _cancellation = new CancellationTokenSource(); // SEEDED FAULT: the caller's tokens reach neither workers nor waits
        }
#endif
        _token = _cancellation.Token;
        _token.ThrowIfCancellationRequested();

        int chunkSize = ChunkSizing.Choose(sourceCount, options.ChunkSize, options.MaxDegreeOfParallelism);

        // The window must cover every chunk a worker can hold: a ring's worth plus the one in progress.
        int typicalChunk = chunkSize > 0 ? chunkSize : GrowingChunkEstimate;
        long window = Math.Min(1 << 20, (long)options.MaxDegreeOfParallelism * (Math.Max(1, options.BufferSize / typicalChunk) + 2));
        if (sourceCount >= 0)
        {
            window = Math.Clamp((sourceCount + typicalChunk - 1) / typicalChunk, 1, window); // a short list never needs more slots than chunks
        }

        if (callerRuns && !options.Unordered)
        {
            // Caller-runs: the consumer claims through the registry, so its claim must never wait for window space
            // (only the consumer releases: it would wait for itself). Size the window above every chunk the
            // workers can hold at once (see CallerRunsWindow); a list needs no more than all its chunks plus one
            // claim past the end per claimer.
            int ringCapacity = sourceCount >= 0 ? (int)Math.Clamp(sourceCount, 1, options.BufferSize) : options.BufferSize;
            long needed = CallerRunsWindow(options.MaxDegreeOfParallelism, ringCapacity, chunkSize); // the workers' rings and the consumer's
            if (sourceCount >= 0)
            {
                needed = Math.Min(needed, (sourceCount + chunkSize - 1) / chunkSize + options.MaxDegreeOfParallelism);
            }

            if (needed <= 1 << 20)
            {
                CallerRuns = true;
                window = Math.Max(window, needed);
            }
        }

        _maxChunk = chunkSize > 0 ? chunkSize : ChunkSizing.MaxAutomatic;
        _registry = new TaskRegistry((int)window);
        _chunkLengths = new int[(int)BitOperations.RoundUpToPowerOf2((uint)window)];
        _ringCapacity = sourceCount >= 0 ? (int)Math.Clamp(sourceCount, 1, options.BufferSize) : options.BufferSize; // a ring never holds more than the whole list
        _chunkMask = _chunkLengths.Length - 1;
        return chunkSize;
    }

    /// <summary>
    /// The registry window that lets the consumer claim without ever waiting for window space, with
    /// <paramref name="workers"/> rings (the pool workers' and the consumer's own) that hold
    /// <paramref name="ringCapacity"/> results each.
    /// </summary>
    /// <remarks>
    /// When the consumer claims, it waits for chunk n (released count n) and holds no unpublished chunk of its own.
    /// The claimed, unreleased chunks are then: chunk n; at most one chunk per worker in progress (being claimed,
    /// computed or flushed, or one claim past a list's end); and chunks a worker or the consumer has written
    /// entirely into its ring, whose results the consumer has not read. A chunk has at least one result
    /// (a failed one stops the run, and a claim at or above a stop returns at once), so the flushed chunks of one
    /// worker are at most as many as the fewest consecutive chunk sizes that fill a ring, plus one short last chunk.
    /// Every claimer, the consumer included, then finds at least one free slot; workers never wait either.
    /// </remarks>
    internal static long CallerRunsWindow(int workers, int ringCapacity, int chunkSize)
    {
        long flushed = chunkSize > 0 ? ringCapacity / chunkSize : GrowingChunksWithin(ringCapacity);
        return 2 + ((long)workers * (flushed + 3));
    }

    /// <summary>The most growing chunks (<see cref="ChunkSizing.Growing"/>) whose sizes add up to at most <paramref name="results"/>.</summary>
    private static long GrowingChunksWithin(long results)
    {
        long chunks = 0;
        while (ChunkSizing.Growing(chunks) < ChunkSizing.MaxAutomatic)
        {
            int size = ChunkSizing.Growing(chunks);
            if (size > results)
            {
                return chunks;
            }

            results -= size;
            chunks++;
        }

        return chunks + (results / ChunkSizing.MaxAutomatic);
    }

    /// <summary>
    /// Creates the rings and spawns the workers into a new scope. Consumer. Returns false when there is nothing to
    /// do (an empty list); the caller then shuts the run down.
    /// </summary>
    protected bool StartWorkers(long sourceChunkCount, Action<ForkJoinScope, int> spawn)
    {
        _knownChunkCount = Options.Unordered ? long.MaxValue : sourceChunkCount;
        if (sourceChunkCount == 0)
        {
            return false;
        }

        // No more workers than chunks. With caller-runs the consumer is the last participant: with a degree of 1, or a
        // single chunk, no worker at all.
        int degree = CallerRuns
            ? (int)Math.Min(Options.MaxDegreeOfParallelism - 1, sourceChunkCount - 1)
            : (int)Math.Min(Options.MaxDegreeOfParallelism, sourceChunkCount);
        _copyBuffer = _batch = new TResult[Math.Min(BatchSize, _ringCapacity)];
        _workerCount = degree;
        _directOwner = CallerRuns ? degree + 1 : -1;
        _rings = new SpscRingBuffer<TResult>[CallerRuns ? degree + 1 : degree]; // the consumer's own ring is created on first use
        for (int i = 0; i < degree; i++)
        {
            _rings[i] = new SpscRingBuffer<TResult>(_ringCapacity);
        }

        _activeWorkers = degree; // plain: no worker exists yet; the spawns below publish it
        _unstartedWorkers = CallerRuns ? degree : 0; // plain: as above
        if (degree == 0)
        {
            return true; // caller-runs alone: the consumer computes every chunk
        }

        Scope = ForkJoinScope.Open(degree); // every worker runs at once: they are long-running loops
        for (int i = 0; i < degree; i++)
        {
            spawn(Scope, i);
        }

        return true;
    }

    /// <summary>Takes the next result from the consumer's batch. Consumer; the hot path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected bool TryTakeFromBatch()
    {
        if (_batchIndex < _batchCount)
        {
            Current = _batch[_batchIndex++];
            return true;
        }

        return false;
    }

    /// <summary>
    /// Copies up to <paramref name="destination"/>'s length results from what is left of the consumer's batch, and
    /// moves past them, as that many <see cref="TryTakeFromBatch"/> calls would. Consumer. Returns how many (0 when the
    /// batch is used up).
    /// </summary>
    protected int TakeFromBatch(Span<TResult> destination)
    {
        int count = Math.Min(destination.Length, _batchCount - _batchIndex);
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorChainedBatchPastEnd))
        {
            count = Math.Min(destination.Length, _batch.Length - _batchIndex); // SEEDED FAULT: hands over stale slots past the batch's results
        }
#endif
        if (count <= 0)
        {
            return 0;
        }

        _batch.AsSpan(_batchIndex, count).CopyTo(destination);
        _batchIndex += count;
        Current = destination[count - 1];
        return count;
    }

    /// <summary>
    /// Refills the batch from the current chunk's ring, or finds where to wait. Consumer. Returns the ring to wait
    /// on (current chunk not finished, ring empty), or null with <paramref name="chunkToWaitFor"/> &gt;= 0 when the
    /// next chunk's owner must be awaited, or null with -1 when a result was taken.
    /// </summary>
    protected SpscRingBuffer<TResult>? TryRefill(out long chunkToWaitFor)
    {
        chunkToWaitFor = -1;
        if (_remainingInChunk == 0)
        {
            if (_chunk >= 0)
            {
                _registry!.Release(_chunk); // frees the window slot: workers may claim further ahead
            }

            long next = ++_chunk;
            if (next >= _knownChunkCount)
            {
                _token.ThrowIfCancellationRequested(); // a cancelled run ends with the cancellation, as at the end of a sequence (OnNoMoreChunks), even when every result was computed before
                chunkToWaitFor = long.MaxValue; // the end
                return null;
            }

            if (_registry!.StoppedAt < next && _registry.Error is not null)
            {
                ThrowStopped(); // a failure inside or right after an earlier chunk: nothing from here on is yielded
            }

            chunkToWaitFor = next;
            return null;
        }

        if (_chunkRing is null)
        {
            if (!RefillOwnChunk())
            {
                ThrowStopped(); // the consumer's own chunk ended in a failure it recorded
            }

            return null;
        }

        int wanted = Math.Min(_remainingInChunk, _copyBuffer.Length);
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorReadPastChunkEnd))
        {
            wanted = _copyBuffer.Length; // SEEDED FAULT: takes the owner's next chunk's results as this chunk's
        }
#endif
        int read = _chunkRing.TryReadBatch(_copyBuffer.AsSpan(0, wanted));
        if (read == 0)
        {
            return _chunkRing;
        }

        _remainingInChunk -= read;
        _batch = _copyBuffer;
        _batchCount = read;
        _batchIndex = 1;
        Current = _batch[0];
        return null;
    }

    /// <summary>
    /// Serves the next results of the current chunk when the consumer computed it itself (caller-runs). Consumer.
    /// Returns false when the chunk has no result left although its length says more: it ended in a failure the
    /// consumer recorded in the registry.
    /// </summary>
    protected virtual bool RefillOwnChunk() => false;

    /// <summary>
    /// Counts <paramref name="count"/> (&gt; 0) results of the current chunk as served: the consumer computes them
    /// itself as it yields them (caller-runs). Consumer.
    /// </summary>
    protected void CountOwnResults(int count)
    {
        Debug.Assert(count > 0 && count <= _remainingInChunk, $"serving {count} of {_remainingInChunk} remaining");
        Debug.Assert(_batchIndex == _batchCount, "the consumer computes only once the batch is used up");
        _remainingInChunk -= count;
    }

    /// <summary>Enters chunk <see cref="_chunk"/>, now that its owner is known. Consumer.</summary>
    protected void EnterChunk(int owner)
    {
        _chunkRing = owner == _directOwner ? null : _rings[owner]; // null: the consumer computes it as it yields it (RefillOwnChunk)
        _remainingInChunk = Volatile.Read(ref _chunkLengths[_chunk & _chunkMask]); // acquire: pairs with the worker's Volatile.Write in PublishChunk (the registry's publish/wait orders it too)
    }

    /// <summary>
    /// Called when the registry says the awaited chunk will never be published. Consumer. Throws the recorded
    /// failure or the cancellation, if any; otherwise this is the end of the results.
    /// </summary>
    protected void OnNoMoreChunks()
    {
        if (_registry!.Error is not null)
        {
            ThrowStopped();
        }

        _token.ThrowIfCancellationRequested();
    }

    /// <summary>Throws why a worker ended before finishing the consumer's chunk. Consumer.</summary>
    [DoesNotReturn]
    protected void ThrowStopped()
    {
        if (_registry!.Error is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        _token.ThrowIfCancellationRequested();
        ThrowHelper.ThrowInvalidOperationException("A parallel select worker stopped without recording why.");
    }

    /// <summary>
    /// Records chunk <paramref name="chunk"/>'s length and owner. Worker, before its first result.
    /// <paramref name="failed"/>: the chunk ends in a failure already known (the source threw after its
    /// <paramref name="results"/> items, or, in unordered mode, the selector did). The chunk then counts one result
    /// more than it will ever deliver, so the consumer, having yielded the results before the failure, waits on the
    /// ring until this worker records the stop and exits (completing the ring), and rethrows; it never moves past a
    /// failed chunk, whether or not the stop is recorded yet, and never mistakes it for the end.
    /// </summary>
    protected void PublishChunk(long chunk, int results, bool failed, int worker)
    {
        int length = failed ? results + 1 : results;
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorPublishOwnerBeforeLength))
        {
            _registry!.Publish(chunk, worker); // SEEDED FAULT: the consumer may see the owner before the length
            Volatile.Write(ref _chunkLengths[chunk & _chunkMask], length);
            return;
        }

        if (Fault.Is(FaultId.IteratorFailedChunkWithoutMark))
        {
            length = results; // SEEDED FAULT: a chunk cut short by a source failure looks complete
        }
#endif
        Volatile.Write(ref _chunkLengths[chunk & _chunkMask], length); // release: pairs with the consumer's Volatile.Read in EnterChunk
        _registry!.Publish(chunk, worker); // release: the consumer's WaitForOwner acquires it
    }

    /// <summary>
    /// Records <paramref name="failure"/> at <paramref name="chunk"/>, after the chunk's results before it were
    /// flushed: the lowest failing chunk wins. The worker then exits, which completes its ring. Worker.
    /// </summary>
    protected void RecordFailure(long chunk, Exception failure)
    {
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorStopAtPreviousChunk))
        {
            chunk = Math.Max(0, chunk - 1); // SEEDED FAULT: the consumer may stop before the failing chunk's first results
        }
#endif
        _registry!.TryStop(chunk, failure); // the consumer yields what is in the ring, then rethrows this
    }

    /// <summary>
    /// Whether chunk <paramref name="chunk"/> is no longer needed: a lower chunk stopped the run, or the consumer
    /// is shutting it down. Worker.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected bool IsAbandoned(long chunk) => _registry!.StoppedAt < chunk || _token.IsCancellationRequested;

    /// <summary>
    /// Consumer, in the catch around a move, after shutdown: if <paramref name="error"/> is the run's own
    /// cancellation caused by a caller's token, throws an <see cref="OperationCanceledException"/> for that token
    /// instead, so that <c>catch (OperationCanceledException e) when (e.CancellationToken == token)</c> works as with
    /// PLINQ. Otherwise returns, and the caller rethrows <paramref name="error"/>.
    /// </summary>
    protected void ThrowIfCallerCancelled(Exception error)
    {
        if (error is OperationCanceledException oce && oce.CancellationToken == _token && _token.CanBeCanceled)
        {
            Options.CancellationToken.ThrowIfCancellationRequested();
            _enumeratorToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// How many results a worker collects before publishing them with one release store, and the most the consumer
    /// takes at once. Publishing item by item would bounce the ring's tail between the worker's core and the consumer's on every item
    /// whenever the consumer keeps up.
    /// </summary>
    protected int WorkerBatchSize =>
#if PRIMITIVES_FAULTS
        Fault.Is(FaultId.IteratorUncappedWorkerBatch) ? BatchSize : // SEEDED FAULT: a worker holds more than a ring's worth unpublished
#endif
        Math.Min(BatchSize, _ringCapacity);

    /// <summary>
    /// Writes all of <paramref name="results"/> to the worker's ring, waiting for space as needed, then clears
    /// them. Worker (the ring's producer).
    /// </summary>
    protected static void Flush(SpscRingBuffer<TResult> ring, Span<TResult> results, CancellationToken token)
    {
        int written = ring.TryWriteBatch(results);
        while (written < results.Length)
        {
            // The ring is full: the consumer is the bottleneck. Wait until it has taken half the ring (one wake-up per
            // half ring, not per batch), so this worker does not spin against the consumer for each batch's room.
            // Then write what fits: results longer than the ring (an unordered chunk) go in pieces.
            ring.WaitForFreeSlots(RefillRoom(ring, results.Length - written), token);
            written += ring.TryWriteBatch(results[written..]);
        }

        ClearIfReferences(results);
    }

    /// <summary>The free slots a worker with <paramref name="rest"/> results to write waits for in its full ring: half the ring, or the rest if more.</summary>
    private static int RefillRoom(SpscRingBuffer<TResult> ring, int rest) => Math.Min(ring.Capacity, Math.Max(rest, ring.Capacity / 2));

    /// <summary>The asynchronous <see cref="Flush"/>: <paramref name="count"/> results from <paramref name="offset"/>.</summary>
    protected static ValueTask FlushAsync(SpscRingBuffer<TResult> ring, TResult[] results, int offset, int count, CancellationToken token)
    {
        int written = ring.TryWriteBatch(results.AsSpan(offset, count));
        if (written == count)
        {
            ClearIfReferences(results.AsSpan(offset, count));
            return default;
        }

        return FlushSlowAsync(ring, results, offset, written, count, token);
    }

    private static async ValueTask FlushSlowAsync(SpscRingBuffer<TResult> ring, TResult[] results, int offset, int written, int count, CancellationToken token)
    {
        while (written < count)
        {
            // As in Flush. Only this worker completes its ring, so the wait ends with room or with the token's cancellation.
            await ring.WaitForFreeSlotsAsync(RefillRoom(ring, count - written), token).ConfigureAwait(false);
            written += ring.TryWriteBatch(results.AsSpan(offset + written, count - written));
        }

        ClearIfReferences(results.AsSpan(offset, count));
    }

    private static void ClearIfReferences(Span<TResult> results)
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TResult>())
        {
            results.Clear(); // the ring holds them now: do not keep them alive twice
        }
    }

    /// <summary>The ring worker <paramref name="worker"/> produces into.</summary>
    protected SpscRingBuffer<TResult> RingOf(int worker) => _rings[worker];

    /// <summary>Whether <paramref name="ex"/> is the run's own cancellation rather than a selector failure.</summary>
    protected bool IsOwnCancellation(Exception ex) =>
        ex is OperationCanceledException oce && oce.CancellationToken == _token && _token.IsCancellationRequested;

    /// <summary>
    /// Records a failure that belongs to no item: it escaped a worker outside the selector and the source (which are
    /// caught per chunk), for example an allocation failure. No result after it can be trusted to come, and the chunk
    /// the worker held may never be published, so the run stops at once: the consumer throws <paramref name="error"/>
    /// at its next wait, after the results it has already been handed. Worker. False when the run had already stopped
    /// at 0 (the consumer's shutdown, or another such failure): the caller then lets the exception reach the scope,
    /// whose join reports it at the end of shutdown.
    /// </summary>
    protected bool RecordWorkerFailure(Exception error) => _registry!.TryStop(0, error); // stop 0 wins over every other

    /// <summary>
    /// Completes the worker's ring and closes the registry when no further chunk can come. Worker, on exit.
    /// <paramref name="retiring"/>: the worker leaves because the selector is cheap, not because the source ended or the
    /// run stopped; the consumer may still claim and publish chunks, so it does not close the registry unless the
    /// consumer has stopped claiming (<see cref="OnConsumerStopsClaiming"/>).
    /// </summary>
    protected void OnWorkerExit(int worker, bool retiring = false)
    {
        _rings[worker].Complete(); // release: the consumer's WaitToRead sees it after the worker's last result
        if (retiring)
        {
            Volatile.Write(ref _workerRetired, 1); // pairs with the consumer's Volatile.Read in ComputesAloneForACheapSelector; before the decrement below
        }
        else
        {
            Interlocked.Exchange(ref _noMoreChunks, 1); // full fence before the decrement; pairs with the reads below and in OnConsumerStopsClaiming
        }

        bool last = Interlocked.Decrement(ref _activeWorkers) == 0; // full fence; pairs with the other workers' decrements (exactly one sees zero) and with OnConsumerStopsClaiming's read
        bool close = last && Volatile.Read(ref _noMoreChunks) != 0; // pairs with the Interlocked.Exchange above and in OnConsumerStopsClaiming
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.IteratorRetiringWorkerClosesRegistry))
        {
            close = last; // SEEDED FAULT: the last worker to retire closes the registry while the consumer still claims
        }
#endif
        if (close)
        {
            _registry!.Close(); // no further chunk will be published
        }
    }

    /// <summary>
    /// Caller-runs: the consumer will claim no more chunks (the source is exhausted, every chunk is claimed, or the run
    /// stopped). Consumer. If no worker is active (none was spawned, or all have exited or retired), it closes the
    /// registry itself, so that the walk ends at the chunks published so far. Dekker's pattern with a retiring worker's
    /// exit: each side writes with a full fence, then reads the other's; at least one of them closes (a second
    /// <see cref="TaskRegistry.Close"/> does nothing).
    /// </summary>
    protected void OnConsumerStopsClaiming()
    {
        RevokeUnstartedWorkers();
        Interlocked.Exchange(ref _noMoreChunks, 1); // full fence; pairs with the Volatile.Read in OnWorkerExit
        if (Volatile.Read(ref _activeWorkers) == 0) // pairs with the Interlocked.Decrement in OnWorkerExit
        {
            _registry!.Close();
        }
    }

    /// <summary>
    /// Caller-runs, at the start of the worker loop: takes one of the unstarted workers' starts. False when the consumer
    /// revoked it (it stopped claiming first): the worker then returns at once, without touching the run's state.
    /// </summary>
    protected bool TryStartWorker()
    {
        int unstarted = Volatile.Read(ref _unstartedWorkers); // acquire: pairs with the CAS below and the consumer's Exchange
        while (unstarted > 0)
        {
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.IteratorWorkerStartsWithoutCas))
            {
                Volatile.Write(ref _unstartedWorkers, unstarted - 1); // SEEDED FAULT: a start that races the consumer's revocation can both run and be counted out
                return true;
            }
#endif
            int seen = Interlocked.CompareExchange(ref _unstartedWorkers, unstarted - 1, unstarted); // full fence; pairs with the consumer's Exchange in RevokeUnstartedWorkers: exactly one of them takes each start
            if (seen == unstarted)
            {
                return true;
            }

            unstarted = seen;
        }

        return false;
    }

    /// <summary>
    /// Caller-runs, when the consumer stops claiming: the workers the pool has not started yet will find nothing to do,
    /// so their starts are revoked and they are counted out of the active workers now, as if they had retired. Without
    /// this, a pool that lends no thread (every pool thread blocked, and the pool at its maximum) would keep the run from
    /// ending: the registry closes only once no worker is active. Consumer.
    /// </summary>
    private void RevokeUnstartedWorkers()
    {
        int revoked = Interlocked.Exchange(ref _unstartedWorkers, 0); // full fence; pairs with TryStartWorker's CAS: a start it takes is never run
        if (revoked != 0)
        {
            Interlocked.Add(ref _activeWorkers, -revoked); // full fence; pairs with the workers' decrements in OnWorkerExit (the caller then sets the mark and reads the count)
        }
    }

    /// <summary>Workers counted as running (tests: 0 once the run has shut down; each worker is counted out exactly once).</summary>
    internal int ActiveWorkerCount => Volatile.Read(ref _activeWorkers); // acquire: pairs with the decrements

    /// <summary>Whether some worker is still running (not exited, not retired). A snapshot; once false, it stays false.</summary>
    protected bool HasActiveWorkers => Volatile.Read(ref _activeWorkers) != 0; // pairs with the Interlocked.Decrement in OnWorkerExit

    /// <summary>
    /// Whether a worker retired because the selector is cheap, and none is running any more: the consumer computes
    /// alone, and may compute its direct chunk in larger batches. Consumer.
    /// </summary>
    protected bool ComputesAloneForACheapSelector => Volatile.Read(ref _workerRetired) != 0 && !HasActiveWorkers; // pairs with the Volatile.Write in OnWorkerExit

    /// <summary>
    /// First half of shutdown: marks the run finished and, when <paramref name="stop"/>, stops the workers.
    /// Consumer. Returns false if the run had already finished. Never throws: an exception from a callback that user
    /// code registered on the workers' token is kept (<see cref="RecordShutdownError"/>) so that shutdown still ends.
    /// </summary>
    protected bool BeginShutdown(bool stop)
    {
        if (State == RunState.Finished)
        {
            return false;
        }

        State = RunState.Finished;
        _batchIndex = _batchCount = 0;
        if (stop)
        {
            _registry?.TryStop(0, null); // wakes claimers; workers abandon their chunks
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.IteratorNoCancelOnShutdown))
            {
                return true; // SEEDED FAULT: a worker parked on a full ring is never woken, and the join hangs
            }
#endif
            try
            {
                _cancellation?.Cancel(); // wakes workers parked on full rings; runs user callbacks on the workers' token
            }
            catch (AggregateException callbackErrors)
            {
#if PRIMITIVES_FAULTS
                if (Fault.Is(FaultId.IteratorCallbackErrorAbortsShutdown))
                {
                    throw; // SEEDED FAULT: shutdown stops half way
                }
#endif
                foreach (Exception error in callbackErrors.InnerExceptions)
                {
                    RecordShutdownError(error);
                }
            }
        }

        return true;
    }

    /// <summary>Keeps an exception that user code threw during shutdown, for <see cref="EndShutdown"/>. Consumer.</summary>
    protected void RecordShutdownError(Exception error) => (_shutdownErrors ??= []).Add(error);

    /// <summary>
    /// Last half of shutdown, after the workers were joined and the source disposed: releases the run's token source
    /// (and with it the registration on the caller's token). Consumer. Returns what user code threw during shutdown
    /// (null if nothing; the exception itself if one; an <see cref="AggregateException"/> if several), for the caller
    /// to throw when the enumeration has no failure of its own to report.
    /// </summary>
    protected Exception? EndShutdown()
    {
        Debug.Assert(Scope is null || Volatile.Read(ref _activeWorkers) == 0, $"workers still active after join: {_activeWorkers}");
        _cancellation?.Dispose();
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TResult>())
        {
            Array.Clear(_copyBuffer);
            Array.Clear(_batch);
            Current = default!;
        }

        List<Exception>? errors = _shutdownErrors;
        _shutdownErrors = null;
        return errors is null ? null : errors.Count == 1 ? errors[0] : new AggregateException(errors);
    }

    /// <summary>Throws <paramref name="error"/> (from <see cref="EndShutdown"/>) with its original stack trace, if any.</summary>
    protected static void ThrowIfAny(Exception? error)
    {
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }
}
