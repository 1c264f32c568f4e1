using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.RingBuffers;

// The zero-copy members of SpscRingBuffer<T>, and the waits for n free slots or n items that go with them.
// Design: docs/ring-buffer.md ("Spans", "Why each ordering is enough").
public sealed partial class SpscRingBuffer<T>
{
    /// <summary>
    /// Returns the free slots from the next write position up to the wrap point of the slot array, to be filled in
    /// place and then published with <see cref="AdvanceWrite"/>. Empty when the ring is full. Never blocks.
    /// </summary>
    /// <param name="sizeHint">How many slots the caller wants (0: any). It only decides whether the producer
    /// re-reads the consumer's position when its cached view shows fewer free slots; the span returned may be
    /// shorter (the ring is fuller, or the wrap point comes first) or longer.</param>
    /// <returns>The free slots, in order. Their contents are unspecified (default values, or earlier items for
    /// types without references).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sizeHint"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The ring has been completed.</exception>
    /// <remarks>
    /// <para>The protocol is that of <see cref="System.Buffers.IBufferWriter{T}"/>'s <c>GetSpan</c>/<c>Advance</c>:
    /// ask for a span, write a prefix of it, advance by the number written, and ask again; a span is good for one
    /// <see cref="AdvanceWrite"/>. The ring does not implement that interface because it cannot keep its promise:
    /// a bounded ring never grows, so it returns an empty span when full (wait with
    /// <see cref="WaitToWrite(int, CancellationToken)"/>), and it returns only the run up to the wrap point, which
    /// may be shorter than <paramref name="sizeHint"/> even when more slots are free in total. In that case write
    /// the run, advance, and call again: the next span starts at the beginning of the slot array.</para>
    /// <para>Misuse: advancing by more than the span's length throws <see cref="ArgumentOutOfRangeException"/>;
    /// advancing with no span outstanding, twice for one span, or after another write (which discards the span)
    /// throws <see cref="InvalidOperationException"/>, in every build. A span kept and written after
    /// <see cref="AdvanceWrite"/> cannot be detected: it aliases slots that now belong to the consumer, and writing
    /// through it corrupts items in flight. <see cref="Complete"/> discards an outstanding span: its slots are
    /// never published and a later <see cref="AdvanceWrite"/> throws.</para>
    /// <para>Thread safety: the producer only.</para>
    /// </remarks>
    public Span<T> GetWriteSpan(int sizeHint = 0)
    {
        int length = GrantWrite(sizeHint, out long tail);
        return MemoryMarshal.CreateSpan(ref SlotAt(tail), length);
    }

    /// <summary>The <see cref="Memory{T}"/> form of <see cref="GetWriteSpan"/>, for a producer that fills the slots
    /// across an <c>await</c>. Same protocol and rules.</summary>
    /// <param name="sizeHint">As for <see cref="GetWriteSpan"/>.</param>
    /// <returns>The free slots up to the wrap point; empty when the ring is full.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sizeHint"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The ring has been completed.</exception>
    /// <remarks>Thread safety: the producer only.</remarks>
    public Memory<T> GetWriteMemory(int sizeHint = 0)
    {
        int length = GrantWrite(sizeHint, out long tail);
        return new Memory<T>(_buffer, SlotIndex(tail), length);
    }

    /// <summary>Publishes the first <paramref name="count"/> slots of the outstanding write span to the consumer,
    /// with one release store, and ends the span.</summary>
    /// <param name="count">How many slots were written: 0 to the span's length.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or exceeds the span's length.</exception>
    /// <exception cref="InvalidOperationException">No write span is outstanding (none was handed out, it was
    /// already advanced, or another write came after it), or the ring has been completed.</exception>
    /// <remarks>Thread safety: the producer only.</remarks>
    public void AdvanceWrite(int count)
    {
        long tail = _indices.Tail; // plain: only the producer (this thread) writes Tail
        SpscSpanRecord.CheckAdvance(_indices.WriteStart, _indices.WriteEnd, tail, count, SpscSpanRecord.NoWriteSpanMessage); // plain: the span record is producer-private

        ThrowIfCompleted();
        _indices.WriteStart = -1; // plain: producer-private; the span is spent
        if (count == 0)
        {
            return;
        }

        Volatile.Write(ref _indices.Tail, tail + count); // release: the caller's slot stores into the span happen first; pairs with the consumer's acquire of Tail in RefreshTail
        NotifyData(tail + count);
    }

    /// <summary>
    /// Returns the items from the next read position up to the wrap point of the slot array (or to the last item
    /// written), to be read in place and then freed with <see cref="AdvanceRead"/>. Empty when the ring is empty.
    /// Never blocks.
    /// </summary>
    /// <returns>The readable items, oldest first.</returns>
    /// <remarks>
    /// <para>The items may continue past the wrap point: after advancing, call again to get the rest. To wait for
    /// items use <see cref="WaitToRead(int, CancellationToken)"/> or its asynchronous form. The span is a view of
    /// the ring's slots: read it before <see cref="AdvanceRead"/>. Afterwards its slots belong to the producer
    /// again; they are cleared when <typeparamref name="T"/> holds references and may be overwritten at any
    /// moment, so a span kept past <see cref="AdvanceRead"/> shows default values or newer items (not detected).
    /// Advancing by more than the span's length throws <see cref="ArgumentOutOfRangeException"/>; advancing with
    /// no span outstanding, twice for one span, or after another read (which discards the span) throws
    /// <see cref="InvalidOperationException"/>, in every build.</para>
    /// <para>Completion does not end an outstanding read span: items written before <see cref="Complete"/> can
    /// still be read and advanced.</para>
    /// <para>Thread safety: the consumer only.</para>
    /// </remarks>
    public ReadOnlySpan<T> GetReadSpan()
    {
        int length = GrantRead(out long head);
        return MemoryMarshal.CreateReadOnlySpan(ref SlotAt(head), length);
    }

    /// <summary>The <see cref="ReadOnlyMemory{T}"/> form of <see cref="GetReadSpan"/>, for a consumer that reads the
    /// items across an <c>await</c>. Same protocol and rules.</summary>
    /// <returns>The readable items up to the wrap point; empty when the ring is empty.</returns>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public ReadOnlyMemory<T> GetReadMemory()
    {
        int length = GrantRead(out long head);
        return new ReadOnlyMemory<T>(_buffer, SlotIndex(head), length);
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

#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RingAdvanceReadClearsAfterRelease))
        {
            Volatile.Write(ref _indices.Head, head + count); // SEEDED FAULT: frees the slots and wakes the producer, then clears them: the clear may wipe the producer's new items
            NotifySpace(head + count);
            SpscSlots.ClearIfReferences(MemoryMarshal.CreateSpan(ref SlotAt(head), count));
            return;
        }
#endif
        SpscSlots.ClearIfReferences(MemoryMarshal.CreateSpan(ref SlotAt(head), count)); // one run: a span never crosses the wrap point
        Volatile.Write(ref _indices.Head, head + count); // release: the caller's slot loads and the clearing above happen first; pairs with the producer's acquire of Head in RefreshHead
        NotifySpace(head + count);
    }

    /// <summary>Waits until at least <paramref name="freeSlots"/> slots are free, or the ring is completed: spins
    /// briefly, then parks. A producer that waits for many slots at once is woken once they are free, not once per
    /// read.</summary>
    /// <param name="freeSlots">The free slots to wait for: 1 to <see cref="Capacity"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when at least <paramref name="freeSlots"/> slots are free; false when the ring has been completed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="freeSlots"/> is not between 1 and <see cref="Capacity"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    /// <remarks>The free slots may lie on both sides of the wrap point, so <see cref="GetWriteSpan"/> may then return
    /// fewer of them: write those, advance, and ask again for the rest. Thread safety: the producer only.</remarks>
    public bool WaitToWrite(int freeSlots, CancellationToken cancellationToken = default)
    {
        ThrowIfOutOfRange(freeSlots, nameof(freeSlots));
        return WaitForFreeSlots(freeSlots, cancellationToken);
    }

    /// <summary>The asynchronous <see cref="WaitToWrite(int, CancellationToken)"/>: completes when at least
    /// <paramref name="freeSlots"/> slots are free, or the ring is completed, without blocking a thread.</summary>
    /// <param name="freeSlots">The free slots to wait for: 1 to <see cref="Capacity"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when at least <paramref name="freeSlots"/> slots are free; false when the ring has been completed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="freeSlots"/> is not between 1 and <see cref="Capacity"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first (the task is cancelled).</exception>
    /// <remarks>Thread safety: the producer only.</remarks>
    public ValueTask<bool> WaitToWriteAsync(int freeSlots, CancellationToken cancellationToken = default)
    {
        ThrowIfOutOfRange(freeSlots, nameof(freeSlots));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        return WaitGate.SpinUntil(s_canWriteMany, (this, freeSlots), _indices.SpaceSpin)
            ? new ValueTask<bool>(!IsCompleted)
            : WaitToWriteAsyncSlow(freeSlots, cancellationToken);
    }

    /// <summary>Waits until at least <paramref name="items"/> items can be read, or the ring is completed: spins
    /// briefly, then parks. A consumer that waits for many items at once is woken once they are there, not once per
    /// write.</summary>
    /// <param name="items">The items to wait for: 1 to <see cref="Capacity"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when at least <paramref name="items"/> items can be read, or when the ring has been completed
    /// and some (possibly fewer) items remain; false when the ring has been completed and every item has been read.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="items"/> is not between 1 and <see cref="Capacity"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    /// <remarks>The items may lie on both sides of the wrap point, so <see cref="GetReadSpan"/> may then return fewer
    /// of them: read those, advance, and ask again for the rest. Thread safety: the consumer only.</remarks>
    public bool WaitToRead(int items, CancellationToken cancellationToken = default)
    {
        ThrowIfOutOfRange(items, nameof(items));
        cancellationToken.ThrowIfCancellationRequested();
        if (!HasItemsOrIsCompleted(items))
        {
            WaitForData(items, cancellationToken);
        }

        return HasItem();
    }

    /// <summary>The asynchronous <see cref="WaitToRead(int, CancellationToken)"/>: completes when at least
    /// <paramref name="items"/> items can be read, or the ring is completed, without blocking a thread.</summary>
    /// <param name="items">The items to wait for: 1 to <see cref="Capacity"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>As <see cref="WaitToRead(int, CancellationToken)"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="items"/> is not between 1 and <see cref="Capacity"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first (the task is cancelled).</exception>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public ValueTask<bool> WaitToReadAsync(int items, CancellationToken cancellationToken = default)
    {
        ThrowIfOutOfRange(items, nameof(items));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        SetDataNeeded(items);
        return WaitGate.SpinUntil(s_canReadMany, (this, items), _indices.DataSpin)
            ? new ValueTask<bool>(HasItem())
            : WaitToReadAsyncSlow(items, cancellationToken);
    }

    /// <summary>Producer: records and returns the length of the free run at Tail (up to the wrap point).</summary>
    private int GrantWrite(int sizeHint, out long tail)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        ThrowIfCompleted();
        tail = _indices.Tail; // plain: only the producer (this thread) writes Tail
        long free = _capacity - (tail - _indices.CachedHead); // plain: CachedHead is producer-private
        if (free < Math.Max(1, sizeHint))
        {
            free = RefreshHead(tail);
        }

#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RingWriteSpanPastFreeSpace))
        {
            free = _mask + 1; // SEEDED FAULT: hands out slots to the wrap point whether they are free or still hold unread items
        }
#endif
        int length = (int)Math.Min(free, RunToWrap(tail));
        _indices.WriteStart = tail; // plain: producer-private
        _indices.WriteEnd = tail + length;
        return length;
    }

    /// <summary>Consumer: records and returns the length of the readable run at Head (up to the wrap point).</summary>
    private int GrantRead(out long head)
    {
        head = _indices.Head; // plain: only the consumer (this thread) writes Head
        int run = RunToWrap(head);
        long available = _indices.CachedTail - head; // plain: CachedTail is consumer-private
        if (available < run)
        {
            available = RefreshTail(head); // the cache may lag: look for the items it does not show yet
        }

        int length = (int)Math.Min(available, run);
        _indices.ReadStart = head; // plain: consumer-private
        _indices.ReadEnd = head + length;
        return length;
    }

    /// <summary>Slots from <paramref name="sequence"/>'s slot to the end of the slot array.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int RunToWrap(long sequence) => _mask + 1 - ((int)sequence & _mask);

    /// <summary>The array index of <paramref name="sequence"/>'s slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotIndex(long sequence) => SlotPadding + ((int)sequence & _mask);
}
