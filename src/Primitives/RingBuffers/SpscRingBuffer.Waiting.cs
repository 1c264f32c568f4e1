using System.Diagnostics;
using System.Runtime.CompilerServices;
using Primitives.Internal;

namespace Primitives.RingBuffers;

// The blocking and asynchronous members of SpscRingBuffer<T>.
// Design: docs/ring-buffer.md ("Waking: no lost wake-up", the spin before an async wait included).
public sealed partial class SpscRingBuffer<T>
{
    private const string DrainedMessage = "The ring buffer has been completed and every item has been read.";

    /// <summary>The producer's wait condition for one item: room for one, or completed.</summary>
    private static readonly Func<SpscRingBuffer<T>, bool> s_canWrite = static r => r.HasSpaceOrIsCompleted(1);

    /// <summary>The consumer's wait condition for one item: an item, or completed.</summary>
    private static readonly Func<SpscRingBuffer<T>, bool> s_canRead = static r => r.HasItemOrIsCompleted();

    /// <summary>The producer's wait condition for n free slots: the slots, or completed.</summary>
    private static readonly Func<(SpscRingBuffer<T> Ring, int Needed), bool> s_canWriteMany = static s => s.Ring.HasSpaceOrIsCompleted(s.Needed);

    /// <summary>The consumer's wait condition for n items: the items, or completed.</summary>
    private static readonly Func<(SpscRingBuffer<T> Ring, int Needed), bool> s_canReadMany = static s => s.Ring.HasItemsOrIsCompleted(s.Needed);

    /// <summary>Writes <paramref name="item"/>, blocking while the ring is full: spins briefly, then parks.</summary>
    /// <param name="item">The item to write.</param>
    /// <param name="cancellationToken">Cancels the wait; the item is then not written.</param>
    /// <exception cref="InvalidOperationException">The ring has been completed (before or during the wait); the item is not written.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before the item could be written.</exception>
    /// <remarks>Thread safety: the producer only.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(T item, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryWrite(item))
        {
            WriteSlow(item, cancellationToken);
        }
    }

    /// <summary>Writes all of <paramref name="items"/> at once, blocking until there is room for all of
    /// them: spins briefly, then parks. The items are published together with one release store.</summary>
    /// <param name="items">The items to write; at most <see cref="Capacity"/> of them.</param>
    /// <param name="cancellationToken">Cancels the wait; none of the items is then written.</param>
    /// <exception cref="ArgumentException"><paramref name="items"/> holds more than <see cref="Capacity"/>
    /// items (split larger input, or loop over <see cref="TryWriteBatch"/> and <see cref="WaitToWrite(CancellationToken)"/>).</exception>
    /// <exception cref="InvalidOperationException">The ring has been completed (before or during the wait); none is written.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before the items could be written; none is written.</exception>
    /// <remarks>All or nothing: the batch is written whole or not at all. Thread safety: the producer only.</remarks>
    public void WriteBatch(ReadOnlySpan<T> items, CancellationToken cancellationToken = default)
    {
        if (items.Length > _capacity)
        {
            ThrowHelper.ThrowArgumentException($"The batch holds {items.Length} items, more than the capacity {_capacity}.", nameof(items));
        }

        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfCompleted();
        while (items.Length != 0 && EnqueueBatch(items, minimum: items.Length) == 0)
        {
            WaitForSpace(items.Length, cancellationToken);
            ThrowIfCompleted();
        }
    }

    /// <summary>Waits until the ring has room for an item, or is completed: spins briefly, then parks.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when an item can be written; false when the ring has been completed.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    /// <remarks>Thread safety: the producer only (the room it reports stays until the producer writes).</remarks>
    public bool WaitToWrite(CancellationToken cancellationToken = default) => WaitForFreeSlots(1, cancellationToken);

    /// <summary>
    /// Waits until at least <paramref name="freeSlots"/> slots are free, or the ring is completed: spins briefly,
    /// then parks. A producer that waits for a large part of the ring at once is woken once per refill, not once
    /// per read. Producer only.
    /// </summary>
    /// <returns>True when the slots are free; false when the ring has been completed.</returns>
    internal bool WaitForFreeSlots(int freeSlots, CancellationToken cancellationToken)
    {
        Debug.Assert(freeSlots > 0 && freeSlots <= _capacity, "1 to Capacity slots");
        cancellationToken.ThrowIfCancellationRequested();
        WaitForSpace(freeSlots, cancellationToken);
        return !IsCompleted;
    }

    /// <summary>
    /// The asynchronous <see cref="WaitForFreeSlots"/>: completes when at least <paramref name="freeSlots"/> slots are
    /// free, or the ring is completed. It does not spin first: its caller waits for a large part of the ring, which
    /// the consumer takes a while to free. Producer only.
    /// </summary>
    internal ValueTask WaitForFreeSlotsAsync(int freeSlots, CancellationToken cancellationToken)
    {
        Debug.Assert(freeSlots > 0 && freeSlots <= _capacity, "1 to Capacity slots");
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return WaitForSpaceAsync(freeSlots, cancellationToken);
    }

    /// <summary>Completes when the ring has room for an item, or is completed, without blocking a thread.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when an item can be written; false when the ring has been completed.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first (the task is cancelled).</exception>
    /// <remarks>Thread safety: the producer only.</remarks>
    public ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        return SpinBeforeParking(s_canWrite, _indices.SpaceSpin) ? new ValueTask<bool>(!IsCompleted) : WaitToWriteAsyncSlow(1, cancellationToken);
    }

    /// <summary>Writes <paramref name="item"/>, waiting asynchronously while the ring is full.</summary>
    /// <param name="item">The item to write.</param>
    /// <param name="cancellationToken">Cancels the wait; the item is then not written.</param>
    /// <returns>A task that completes when the item has been written.</returns>
    /// <exception cref="InvalidOperationException">The ring has been completed (the task faults); the item is not written.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before the item could be written (the task is cancelled).</exception>
    /// <remarks>Thread safety: the producer only; do not start another producer operation before the task completes.</remarks>
    public ValueTask WriteAsync(T item, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (IsCompleted)
        {
            return ValueTask.FromException(new InvalidOperationException(CompletedMessage));
        }

        // After the spin, a completed ring goes to the slow path, whose TryWrite faults the task.
        return TryEnqueue(item) || (SpinBeforeParking(s_canWrite, _indices.SpaceSpin) && !IsCompleted && TryEnqueue(item))
            ? default
            : WriteAsyncSlow(item, cancellationToken);
    }

    /// <summary>Waits until the ring holds an item, or is completed and drained: spins briefly, then parks.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when an item can be read; false when the ring has been completed and every item has been read.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    /// <remarks>Thread safety: the consumer only (the item it reports stays until the consumer reads).</remarks>
    public bool WaitToRead(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!HasItem())
        {
            WaitForData(1, cancellationToken);
        }

        return HasItem();
    }

    /// <summary>Completes when the ring holds an item, or is completed and drained, without blocking a thread.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when an item can be read; false when the ring has been completed and every item has been read.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first (the task is cancelled).</exception>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        SetDataNeeded(1);
        return SpinBeforeParking(s_canRead, _indices.DataSpin) ? new ValueTask<bool>(HasItem()) : WaitToReadAsyncSlow(1, cancellationToken);
    }

    /// <summary>Reads the oldest item, blocking while the ring is empty: spins briefly, then parks.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The item read.</returns>
    /// <exception cref="InvalidOperationException">The ring has been completed and every item has been read.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before an item could be read; nothing is removed.</exception>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public T Read(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return TryRead(out T? item) ? item : ReadSlow(cancellationToken);
    }

    /// <summary>Reads the oldest item, waiting asynchronously while the ring is empty.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task whose result is the item read.</returns>
    /// <exception cref="InvalidOperationException">The ring has been completed and every item has been read (the task faults).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before an item could be read (the task is cancelled); nothing is removed.</exception>
    /// <remarks>Thread safety: the consumer only; do not start another consumer operation before the task completes.</remarks>
    public ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        // After the spin, a completed and drained ring goes to the slow path, which faults the task.
        SetDataNeeded(1);
        return TryRead(out T? item) || (SpinBeforeParking(s_canRead, _indices.DataSpin) && TryRead(out item))
            ? new ValueTask<T>(item)
            : ReadAsyncSlow(cancellationToken);
    }

    /// <summary>Producer: parks until <paramref name="needed"/> slots are free, or the ring is completed.</summary>
    private void WaitForSpace(int needed, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _indices.SpaceNeeded, needed); // release: read by the consumer in NotifySpace after it sees this producer announced (the gate's announce follows this store)
        _spaceAvailable.Wait(s_canWriteMany, (this, needed), cancellationToken, _indices.SpaceSpin); // plain: producer-private
    }

    /// <summary>Producer: the asynchronous wait until <paramref name="needed"/> slots are free, or the ring is completed.</summary>
    private ValueTask WaitForSpaceAsync(int needed, CancellationToken cancellationToken)
    {
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RingAsyncSpaceNeededAfterAnnounce))
        {
            ValueTask parked = _spaceAvailable.WaitAsync(s_canWriteMany, (this, needed), cancellationToken);
            Volatile.Write(ref _indices.SpaceNeeded, needed); // SEEDED FAULT: stored after the gate announced the wait and re-checked
            return parked;
        }
#endif
        Volatile.Write(ref _indices.SpaceNeeded, needed); // release: see WaitForSpace
        return _spaceAvailable.WaitAsync(s_canWriteMany, (this, needed), cancellationToken);
    }

    /// <summary>
    /// Consumer, after releasing Head up to <paramref name="head"/>: wakes the producer if it is parked and the
    /// space it waits for is now free. No wake-up is lost: the producer stores SpaceNeeded before it announces
    /// itself and re-checks the space after (WaitGate's handshake); free space only grows through this
    /// thread's reads, each followed by this check, and an empty ring has every slot free.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NotifySpace(long head)
    {
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RingNotifySpaceOffByOne))
        {
            head--; // SEEDED FAULT: one slot less counted free: wakes only when the free space exceeds the need (> for >=)
        }
#endif
        if (_spaceAvailable.HasWaiters && SpscWakeUp.IsReady(_capacity + head, ref _indices.Tail, ref _indices.SpaceNeeded)) // free slots: capacity - (Tail - head)
        {
            _spaceAvailable.NotifyAll();
        }
    }

    /// <summary>
    /// Producer, after releasing Tail up to <paramref name="tail"/>: wakes the consumer if it is parked and the
    /// items it waits for are now there. No wake-up is lost, by the argument of <see cref="NotifySpace"/> with the
    /// roles swapped: the consumer stores DataNeeded before it announces itself and re-checks after; the items
    /// only grow through this thread's writes, each followed by this check.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NotifyData(long tail)
    {
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RingNotifyDataOffByOne))
        {
            tail--; // SEEDED FAULT: one item less counted: wakes only when the items exceed the need (> for >=)
        }
#endif
        if (_dataAvailable.HasWaiters && SpscWakeUp.IsReady(tail, ref _indices.Head, ref _indices.DataNeeded))
        {
            _dataAvailable.NotifyAll();
        }
    }

    /// <summary>Consumer, before any wait: how many items the wait needs, for <see cref="NotifyData"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetDataNeeded(int needed) => SpscWakeUp.SetNeeded(ref _indices.DataNeeded, needed);

    /// <summary>Consumer: parks until <paramref name="needed"/> items are there, or the ring is completed.</summary>
    private void WaitForData(int needed, CancellationToken cancellationToken)
    {
        SetDataNeeded(needed);
        if (needed == 1)
        {
            _dataAvailable.Wait(s_canRead, this, cancellationToken, _indices.DataSpin); // plain: consumer-private
        }
        else
        {
            _dataAvailable.Wait(s_canReadMany, (this, needed), cancellationToken, _indices.DataSpin); // plain: consumer-private
        }
    }

    /// <summary>Consumer's wait condition: <paramref name="needed"/> items are there, or the ring is completed.</summary>
    private bool HasItemsOrIsCompleted(int needed) =>
        _indices.CachedTail - _indices.Head >= needed // plain: both are the consumer's own
        || RefreshTail(_indices.Head) >= needed // acquire of Tail, kept in the cache
        || IsCompleted;

    private void ThrowIfOutOfRange(int count, string paramName)
    {
        if (count < 1 || count > _capacity)
        {
            ThrowHelper.ThrowArgumentOutOfRangeException(paramName, count, $"Must be between 1 and the capacity {_capacity}.");
        }
    }

    /// <summary>Producer's wait condition: <paramref name="needed"/> slots are free, or the ring is completed.</summary>
    private bool HasSpaceOrIsCompleted(int needed) =>
        _capacity - (_indices.Tail - Volatile.Read(ref _indices.Head)) >= needed // plain Tail: the producer's own; acquire Head: pairs with the consumer's release in TryRead/TryReadBatch
        || IsCompleted;

    /// <summary>Consumer's wait condition: an item is available, or the ring is completed.</summary>
    private bool HasItemOrIsCompleted() => HasItem() || IsCompleted;

    /// <summary>Consumer: whether an item is available. Read after <see cref="IsCompleted"/> it is final:
    /// the acquire of Tail then sees the producer's last release ("Completion" in docs/ring-buffer.md). It goes through
    /// the consumer's cache: when that shows nothing, the Tail it re-reads stays cached for the TryRead that
    /// follows, so a wait that ends costs one load of the producer's line, not three.</summary>
    private bool HasItem()
    {
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RingCompletionBeforeItems) && IsCompleted)
        {
            return false; // SEEDED FAULT: once completed, WaitToRead/WaitToReadAsync report the end while items remain
        }
#endif
        long head = _indices.Head; // plain: only the consumer (this thread) writes Head
        return _indices.CachedTail != head || RefreshTail(head) != 0; // plain: CachedTail is consumer-private; RefreshTail acquires Tail
    }

    /// <summary>
    /// The spin phase of an asynchronous wait: WaitGate's bounded spin, run on the synchronous fast path so that a
    /// wait that ends during the spin allocates nothing; WaitGate.WaitAsync then parks without spinning again.
    /// </summary>
    private bool SpinBeforeParking(Func<SpscRingBuffer<T>, bool> isReady, SpinPolicy policy) => WaitGate.SpinUntil(isReady, this, policy);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WriteSlow(T item, CancellationToken cancellationToken)
    {
        do
        {
            WaitForSpace(1, cancellationToken);
        }
        while (!TryWrite(item)); // throws once completed; only the consumer frees space, so this loops at most on completion races
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private T ReadSlow(CancellationToken cancellationToken)
    {
        WaitForData(1, cancellationToken);
        if (TryRead(out T? item))
        {
            return item;
        }

        Debug.Assert(IsCompleted, "the wait ended with no item, so the ring must be completed");
        return ThrowHelper.ThrowInvalidOperationException<T>(DrainedMessage);
    }

    private async ValueTask<bool> WaitToWriteAsyncSlow(int freeSlots, CancellationToken cancellationToken)
    {
        await WaitForSpaceAsync(freeSlots, cancellationToken).ConfigureAwait(false);
        return !IsCompleted;
    }

    private async ValueTask WriteAsyncSlow(T item, CancellationToken cancellationToken)
    {
        do
        {
            await WaitForSpaceAsync(1, cancellationToken).ConfigureAwait(false);
        }
        while (!TryWrite(item)); // throws (faulting the task) once completed
    }

    private async ValueTask<bool> WaitToReadAsyncSlow(int items, CancellationToken cancellationToken)
    {
        await _dataAvailable.WaitAsync(s_canReadMany, (this, items), cancellationToken).ConfigureAwait(false);
        return HasItem();
    }

    private async ValueTask<T> ReadAsyncSlow(CancellationToken cancellationToken)
    {
        await _dataAvailable.WaitAsync(s_canRead, this, cancellationToken).ConfigureAwait(false);
        if (TryRead(out T? item))
        {
            return item;
        }

        Debug.Assert(IsCompleted, "the wait ended with no item, so the ring must be completed");
        throw new InvalidOperationException(DrainedMessage);
    }
}
