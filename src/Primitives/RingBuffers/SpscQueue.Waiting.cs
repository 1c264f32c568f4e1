using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.RingBuffers;

// The consumer's waits and spans of SpscQueue<T>: the ring's protocol with one gate, since the producer of an
// unbounded queue never waits. Design: docs/ring-buffer.md ("Waking: no lost wake-up", "Design of the queue").
public sealed partial class SpscQueue<T>
{
    private const string DrainedMessage = "The queue has been completed and every item has been read.";

    /// <summary>The consumer's wait condition for n items: the items, or completed.</summary>
    private static readonly Func<(SpscQueue<T> Queue, int Needed), bool> s_canRead = static s => s.Queue.HasItemsOrIsCompleted(s.Needed);

    /// <summary>Completes at once: an unbounded queue always has room. Present for the same shape as
    /// <see cref="SpscRingBuffer{T}.WaitToWriteAsync(CancellationToken)"/>.</summary>
    /// <param name="cancellationToken">A token that is already cancelled cancels the task.</param>
    /// <returns>True; false once the queue has been completed.</returns>
    /// <exception cref="OperationCanceledException">The token was already cancelled (the task is cancelled).</exception>
    /// <remarks>Thread safety: the producer only.</remarks>
    public ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<bool>(cancellationToken) : new ValueTask<bool>(!IsCompleted);

    /// <summary>Waits until the queue holds an item, or is completed and drained: spins briefly, then parks.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when an item can be read; false when the queue has been completed and every item has been read.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public bool WaitToRead(CancellationToken cancellationToken = default) => WaitToRead(1, cancellationToken);

    /// <summary>Waits until at least <paramref name="items"/> items can be read, or the queue is completed: spins
    /// briefly, then parks; woken once the items are there, not once per write.</summary>
    /// <param name="items">The items to wait for: at least 1.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when at least <paramref name="items"/> items can be read, or when the queue has been completed
    /// and some (possibly fewer) items remain; false when the queue has been completed and every item has been read.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="items"/> is less than 1.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public bool WaitToRead(int items, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        cancellationToken.ThrowIfCancellationRequested();
        if (!HasItemsOrIsCompleted(items))
        {
            WaitForData(items, cancellationToken);
        }

        return HasItem();
    }

    /// <summary>Completes when the queue holds an item, or is completed and drained, without blocking a thread.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when an item can be read; false when the queue has been completed and every item has been read.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first (the task is cancelled).</exception>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => WaitToReadAsync(1, cancellationToken);

    /// <summary>The asynchronous <see cref="WaitToRead(int, CancellationToken)"/>.</summary>
    /// <param name="items">The items to wait for: at least 1.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>As <see cref="WaitToRead(int, CancellationToken)"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="items"/> is less than 1.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first (the task is cancelled).</exception>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public ValueTask<bool> WaitToReadAsync(int items, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        SetDataNeeded(items);
        return WaitGate.SpinUntil(s_canRead, (this, items), _indices.DataSpin)
            ? new ValueTask<bool>(HasItem())
            : WaitToReadAsyncSlow(items, cancellationToken);
    }

    /// <summary>Reads the oldest item, blocking while the queue is empty: spins briefly, then parks.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The item read.</returns>
    /// <exception cref="InvalidOperationException">The queue has been completed and every item has been read.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before an item could be read; nothing is removed.</exception>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public T Read(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return TryRead(out T? item) ? item : ReadSlow(cancellationToken);
    }

    /// <summary>Reads the oldest item, waiting asynchronously while the queue is empty.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task whose result is the item read.</returns>
    /// <exception cref="InvalidOperationException">The queue has been completed and every item has been read (the task faults).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before an item could be read (the task is cancelled); nothing is removed.</exception>
    /// <remarks>Thread safety: the consumer only; do not start another consumer operation before the task completes.</remarks>
    public ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        SetDataNeeded(1);
        return TryRead(out T? item) || (WaitGate.SpinUntil(s_canRead, (this, 1), _indices.DataSpin) && TryRead(out item))
            ? new ValueTask<T>(item)
            : ReadAsyncSlow(cancellationToken);
    }

    /// <summary>
    /// Returns the items from the next read position up to the end of the current segment (or to the last item
    /// written), to be read in place and then freed with <see cref="AdvanceRead"/>. Empty when the queue is empty.
    /// Never blocks.
    /// </summary>
    /// <returns>The readable items, oldest first.</returns>
    /// <remarks>The same protocol and rules as <see cref="SpscRingBuffer{T}.GetReadSpan"/>, with the segment's end in
    /// place of the wrap point: after advancing, call again for the items beyond it. Thread safety: the consumer only.</remarks>
    public ReadOnlySpan<T> GetReadSpan()
    {
        int length = GrantRead(out int index);
        return new ReadOnlySpan<T>(_headSegment.Slots, index, length); // plain: consumer-private
    }

    /// <summary>The <see cref="ReadOnlyMemory{T}"/> form of <see cref="GetReadSpan"/>, for a consumer that reads the
    /// items across an <c>await</c>. Same protocol and rules.</summary>
    /// <returns>The readable items up to the end of the current segment; empty when the queue is empty.</returns>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public ReadOnlyMemory<T> GetReadMemory()
    {
        int length = GrantRead(out int index);
        return new ReadOnlyMemory<T>(_headSegment.Slots, index, length); // plain: consumer-private
    }

    /// <summary>Frees the first <paramref name="count"/> items of the outstanding read span (clearing their slots when
    /// <typeparamref name="T"/> holds references) with one release store, and ends the span.</summary>
    /// <param name="count">How many items were consumed: 0 to the span's length.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or exceeds the span's length.</exception>
    /// <exception cref="InvalidOperationException">No read span is outstanding (none was handed out, it was already
    /// advanced, or another read came after it).</exception>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public void AdvanceRead(int count)
    {
        long head = _indices.Head; // plain: only the consumer (this thread) writes Head
        SpscSpanRecord.CheckAdvance(_indices.ReadStart, _indices.ReadEnd, head, count, SpscSpanRecord.NoReadSpanMessage); // plain: the span record is consumer-private

        _indices.ReadStart = -1; // plain: consumer-private; the span is spent
        if (count == 0)
        {
            return;
        }

        int index = _indices.HeadIndex; // plain: consumer-private; GrantRead left the segment if it was drained
        SpscSlots.ClearIfReferences(_headSegment.Slots.AsSpan(index, count)); // plain: consumer-private
        _indices.HeadIndex = index + count; // plain: consumer-private
        Volatile.Write(ref _indices.Head, head + count); // release: the caller's slot loads and the clearing above happen first; pairs with the acquire loads in Count and NotifyData
    }

    /// <summary>Consumer: records and returns the length of the readable run in the current segment, leaving a
    /// drained segment first when an item lies beyond it.</summary>
    private int GrantRead(out int index)
    {
        long head = _indices.Head; // plain: only the consumer (this thread) writes Head
        long available = RefreshTail(head); // a span is worth one acquire: it shows every item published so far
        index = _indices.HeadIndex; // plain: consumer-private
        if (available != 0 && index == _headSegment.Length) // plain: consumer-private
        {
            NextSlot(out index); // leaves the drained segment
        }

        int length = (int)Math.Min(available, _headSegment.Length - index); // plain: consumer-private
        _indices.ReadStart = head; // plain: consumer-private
        _indices.ReadEnd = head + length;
        return length;
    }

    /// <summary>
    /// Producer, after releasing Tail up to <paramref name="tail"/>: wakes the consumer if it is parked and the items
    /// it waits for are there (see SpscWakeUp).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NotifyData(long tail)
    {
        if (_dataAvailable.HasWaiters && SpscWakeUp.IsReady(tail, ref _indices.Head, ref _indices.DataNeeded))
        {
            _dataAvailable.NotifyAll();
        }
    }

    /// <summary>Consumer, before any wait: how many items the wait needs, for <see cref="NotifyData"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetDataNeeded(int needed) => SpscWakeUp.SetNeeded(ref _indices.DataNeeded, needed);

    /// <summary>Consumer: parks until <paramref name="needed"/> items are there, or the queue is completed.</summary>
    private void WaitForData(int needed, CancellationToken cancellationToken)
    {
        SetDataNeeded(needed);
        _dataAvailable.Wait(s_canRead, (this, needed), cancellationToken, _indices.DataSpin); // plain: consumer-private
    }

    /// <summary>Consumer's wait condition: <paramref name="needed"/> items are there, or the queue is completed.</summary>
    private bool HasItemsOrIsCompleted(int needed) =>
        _indices.CachedTail - _indices.Head >= needed // plain: both are the consumer's own
        || RefreshTail(_indices.Head) >= needed // acquire of Tail, kept in the cache
        || IsCompleted;

    /// <summary>Consumer: whether an item is available. Read after <see cref="IsCompleted"/> it is final ("Completion"
    /// in docs/ring-buffer.md); a re-read Tail stays cached for the read that follows.</summary>
    private bool HasItem()
    {
        long head = _indices.Head; // plain: only the consumer (this thread) writes Head
        return _indices.CachedTail != head || RefreshTail(head) != 0; // plain: CachedTail is consumer-private; RefreshTail acquires Tail
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private T ReadSlow(CancellationToken cancellationToken)
    {
        WaitForData(1, cancellationToken);
        if (TryRead(out T? item))
        {
            return item;
        }

        Debug.Assert(IsCompleted, "the wait ended with no item, so the queue must be completed");
        return ThrowHelper.ThrowInvalidOperationException<T>(DrainedMessage);
    }

    private async ValueTask<bool> WaitToReadAsyncSlow(int items, CancellationToken cancellationToken)
    {
        await _dataAvailable.WaitAsync(s_canRead, (this, items), cancellationToken).ConfigureAwait(false);
        return HasItem();
    }

    private async ValueTask<T> ReadAsyncSlow(CancellationToken cancellationToken)
    {
        await _dataAvailable.WaitAsync(s_canRead, (this, 1), cancellationToken).ConfigureAwait(false);
        if (TryRead(out T? item))
        {
            return item;
        }

        Debug.Assert(IsCompleted, "the wait ended with no item, so the queue must be completed");
        throw new InvalidOperationException(DrainedMessage);
    }
}
