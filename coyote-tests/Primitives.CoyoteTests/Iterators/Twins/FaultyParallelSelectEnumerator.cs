using System.Collections;
using System.Numerics;
using System.Runtime.ExceptionServices;
using Primitives.ForkJoin;
using Primitives.Iterators;
using Primitives.Registry;
using Primitives.RingBuffers;

namespace Primitives.CoyoteTests.Iterators.Twins;

/// <summary>
/// Seeded-bug twin of the ordered synchronous <c>ParallelSelect</c>: the algorithm of
/// src/Primitives/Iterators/ParallelSelectRun.cs and ParallelSelectEnumerator.cs (itercoyote @ 26e7630), merged
/// into one class, without the unordered and async modes and the per-worker selector state, with one switchable
/// fault (<see cref="IteratorFault"/>). It runs on the REAL <see cref="SpscRingBuffer{T}"/>,
/// <see cref="TaskRegistry"/>, <see cref="ForkJoinScope"/> and the library's own (internal) chunk sources, so a
/// fault here is a fault in the iterator's use of them. With <see cref="IteratorFault.None"/> it behaves like the
/// original; keep it in sync when the original changes. See the original for the design note and the orderings.
/// </summary>
internal sealed class FaultyParallelSelectEnumerator<T, TResult> : IEnumerator<TResult>
{
    private const int BatchSize = 64;
    private const int GrowingChunkEstimate = 64;

    private readonly IEnumerable<T> _sourceEnumerable;
    private readonly Func<T, TResult> _selector;
    private readonly ParallelSelectOptions _options;
    private readonly IteratorFault _fault;

    // Set before any worker exists; read-only afterwards.
    private CancellationTokenSource? _cancellation;
    private TaskRegistry? _registry;
    private ChunkSource<T>? _source;
    private ForkJoinScope? _scope;
    private SpscRingBuffer<TResult>[] _rings = [];
    private int[] _chunkLengths = [];
    private int _chunkMask;
    private long _knownChunkCount;

    /// <summary>Workers still running; the last one to exit closes the registry.</summary>
    private int _activeWorkers;

    // Consumer-owned.
    private State _state;
    private TResult[] _batch = [];
    private int _batchIndex;
    private int _batchCount;
    private long _chunk = -1;
    private int _remainingInChunk;
    private SpscRingBuffer<TResult>? _chunkRing;

    internal FaultyParallelSelectEnumerator(IEnumerable<T> source, Func<T, TResult> selector, ParallelSelectOptions options, IteratorFault fault)
    {
        _sourceEnumerable = source;
        _selector = selector;
        _options = options;
        _fault = fault;
    }

    private enum State
    {
        NotStarted,
        Running,
        Finished,
    }

    public TResult Current { get; private set; } = default!;

    object? IEnumerator.Current => Current;

    private int ConsumerBatchSize => Math.Min(BatchSize, _options.BufferSize);

    private int WorkerBatchSize => _fault == IteratorFault.UncappedWorkerBatch ? BatchSize : ConsumerBatchSize;

    public bool MoveNext()
    {
        if (_batchIndex < _batchCount)
        {
            Current = _batch[_batchIndex++];
            return true;
        }

        return MoveNextSlow();
    }

    public void Dispose() => Shutdown(stop: true);

    public void Reset() => throw new NotSupportedException();

    private bool MoveNextSlow()
    {
        if (_state != State.Running)
        {
            if (_state == State.Finished || !Start())
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
                    if (!ring.WaitToRead(_cancellation!.Token))
                    {
                        ThrowStopped();
                    }
                }
                else if (chunk == -1)
                {
                    return true;
                }
                else if (chunk == long.MaxValue || !AwaitOwner(chunk))
                {
                    Shutdown(stop: false);
                    return false;
                }
            }
        }
        catch
        {
            Shutdown(stop: true);
            throw;
        }
    }

    private bool Start()
    {
        // Initialize
        _state = State.Running;
        _cancellation = _fault == IteratorFault.UnlinkedCancellation
            ? new CancellationTokenSource() // FAULT: the caller's token is never observed
            : CancellationTokenSource.CreateLinkedTokenSource(_options.CancellationToken);
        _cancellation.Token.ThrowIfCancellationRequested();
        int chunkSize = ChunkSizing.Choose(ChunkSizing.TryGetCount(_sourceEnumerable), _options.ChunkSize, _options.MaxDegreeOfParallelism);
        int typicalChunk = chunkSize > 0 ? chunkSize : GrowingChunkEstimate;
        int window = (int)Math.Min(1 << 20, (long)_options.MaxDegreeOfParallelism * (Math.Max(1, _options.BufferSize / typicalChunk) + 2));
        _registry = new TaskRegistry(window);
        _chunkLengths = new int[(int)BitOperations.RoundUpToPowerOf2((uint)window)];
        _chunkMask = _chunkLengths.Length - 1;
        _source = ChunkSource<T>.Create(_sourceEnumerable, chunkSize, _registry);

        // StartWorkers
        _knownChunkCount = _source.KnownChunkCount;
        if (_knownChunkCount == 0)
        {
            return Shutdown(stop: false);
        }

        int degree = (int)Math.Min(_options.MaxDegreeOfParallelism, _knownChunkCount);
        _batch = new TResult[ConsumerBatchSize];
        _rings = new SpscRingBuffer<TResult>[degree];
        for (int i = 0; i < degree; i++)
        {
            _rings[i] = new SpscRingBuffer<TResult>(_options.BufferSize);
        }

        _activeWorkers = degree; // plain: no worker exists yet; the spawns below publish it
        _scope = ForkJoinScope.Open(degree);
        for (int i = 0; i < degree; i++)
        {
            int worker = i;
            _scope.Spawn(_ => RunWorker(worker));
        }

        return true;
    }

    private SpscRingBuffer<TResult>? TryRefill(out long chunkToWaitFor)
    {
        chunkToWaitFor = -1;
        if (_remainingInChunk <= 0) // the original tests == 0; <= keeps ReadPastChunkEnd's overdraft from throwing
        {
            if (_chunk >= 0)
            {
                _registry!.Release(_chunk);
            }

            long next = ++_chunk;
            if (next >= _knownChunkCount)
            {
                chunkToWaitFor = long.MaxValue;
                return null;
            }

            if (_registry!.StoppedAt < next && _registry.Error is not null)
            {
                ThrowStopped();
            }

            chunkToWaitFor = next;
            return null;
        }

        int wanted = _fault == IteratorFault.ReadPastChunkEnd ? _batch.Length : Math.Min(_remainingInChunk, _batch.Length);
        int read = _chunkRing!.TryReadBatch(_batch.AsSpan(0, wanted));
        if (read == 0)
        {
            return _chunkRing;
        }

        _remainingInChunk -= read;
        _batchCount = read;
        _batchIndex = 1;
        Current = _batch[0];
        return null;
    }

    private bool AwaitOwner(long chunk)
    {
        if (_registry!.WaitForOwner(chunk, out int owner, _cancellation!.Token))
        {
            _chunkRing = _rings[owner];
            _remainingInChunk = Volatile.Read(ref _chunkLengths[_chunk & _chunkMask]); // acquire: pairs with the worker's Volatile.Write in PublishChunk
            return true;
        }

        if (_registry.Error is not null)
        {
            ThrowStopped();
        }

        _cancellation.Token.ThrowIfCancellationRequested();
        return false;
    }

    private void ThrowStopped()
    {
        if (_registry!.Error is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        _cancellation!.Token.ThrowIfCancellationRequested();
        throw new InvalidOperationException("A parallel select worker stopped without recording why.");
    }

    private void PublishChunk(long chunk, int length, int worker)
    {
        if (_fault == IteratorFault.PublishOwnerBeforeLength)
        {
            _registry!.Publish(chunk, worker); // FAULT: the consumer may see the owner before the length
            Volatile.Write(ref _chunkLengths[chunk & _chunkMask], length);
            return;
        }

        Volatile.Write(ref _chunkLengths[chunk & _chunkMask], length); // release: pairs with the consumer's Volatile.Read in AwaitOwner
        _registry!.Publish(chunk, worker); // release: the consumer's WaitForOwner acquires it
    }

    private void RunWorker(int worker)
    {
        SpscRingBuffer<TResult> ring = _rings[worker];
        CancellationToken token = _cancellation!.Token;
        T[]? scratch = null;
        TResult[]? results = null;
        try
        {
            while (_source!.TryClaim(ref scratch, out long chunk, out ReadOnlySpan<T> items, out Exception? sourceError, token))
            {
                PublishChunk(chunk, items.Length, worker);
                results ??= new TResult[WorkerBatchSize];
                Exception? failure = sourceError;
                int pending = 0;
                try
                {
                    for (int i = 0; i < items.Length; i++)
                    {
                        if (pending == 0 && _registry!.StoppedAt < chunk)
                        {
                            return;
                        }

                        if (_fault == IteratorFault.CountFailingSlot)
                        {
                            results[pending++] = _selector(items[i]); // FAULT: the slot is counted before the selector throws
                        }
                        else
                        {
                            TResult result = _selector(items[i]);
                            results[pending++] = result;
                        }

                        if (pending == results.Length)
                        {
                            Flush(ring, results, token);
                            pending = 0;
                        }
                    }
                }
                catch (Exception ex) when (!IsOwnCancellation(ex))
                {
                    failure = ex;
                }

                Flush(ring, results.AsSpan(0, pending), token);
                if (failure is not null)
                {
                    long stopAt = _fault == IteratorFault.StopAtPreviousChunk ? Math.Max(0, chunk - 1) : chunk; // FAULT when n - 1
                    _registry!.TryStop(stopAt, failure);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The consumer stopped the run: exit quietly.
        }
        finally
        {
            ring.Complete();
            if (Interlocked.Decrement(ref _activeWorkers) == 0) // pairs with the other workers' decrements: exactly one sees zero
            {
                _registry!.Close();
            }
        }
    }

    private static void Flush(SpscRingBuffer<TResult> ring, Span<TResult> results, CancellationToken token)
    {
        // The original writes one batch (never more than the capacity); the uncapped fault needs pieces.
        for (int start = 0; start < results.Length; start += ring.Capacity)
        {
            Span<TResult> piece = results.Slice(start, Math.Min(ring.Capacity, results.Length - start));
            int written = ring.TryWriteBatch(piece);
            if (written < piece.Length)
            {
                ring.WaitForFreeSlots(Math.Min(ring.Capacity, Math.Max(piece.Length - written, ring.Capacity / 2)), token); // half the ring, as the original
                ring.WriteBatch(piece[written..], token);
            }
        }
    }

    private bool IsOwnCancellation(Exception ex) =>
        ex is OperationCanceledException oce && oce.CancellationToken == _cancellation!.Token && _cancellation.IsCancellationRequested;

    private bool Shutdown(bool stop)
    {
        if (_state == State.Finished)
        {
            return false;
        }

        _state = State.Finished;
        _batchIndex = _batchCount = 0;
        if (stop)
        {
            _registry?.TryStop(0, null);
            if (_fault != IteratorFault.NoCancelOnShutdown)
            {
                _cancellation?.Cancel(); // FAULT when skipped: a worker parked on a full ring is never woken
            }
        }

        if (_fault == IteratorFault.DisposeSourceBeforeJoin)
        {
            _source?.DisposeEnumerator(); // FAULT: workers may still be reading it
        }

        try
        {
            _scope?.Join();
        }
        finally
        {
            if (_fault != IteratorFault.DisposeSourceBeforeJoin)
            {
                _source?.DisposeEnumerator();
            }

            _cancellation?.Dispose();
        }

        return false;
    }
}
