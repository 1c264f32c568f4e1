using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.CoyoteTests.Internal.Twins;
using Primitives.Internal;
using Primitives.RingBuffers;

namespace Primitives.CoyoteTests.RingBuffers.Twins;

/// <summary>
/// Seeded-bug twin of <see cref="SpscRingBuffer{T}"/>: the same code, copied from
/// src/Primitives/RingBuffers/SpscRingBuffer.cs and SpscRingBuffer.Waiting.cs (main @ bf00532), with
/// XML docs dropped, on top of <see cref="FaultyWaitGate"/>, and with one switchable fault
/// (<see cref="RingFault"/> in the ring, or <see cref="GateFault"/> in its two gates). With both set to
/// None it behaves like the original. Keep it in sync when the original changes (docs/coyote.md); the
/// design note is in the original. Lines marked SEEDED FAULT are the additions.
/// </summary>
internal sealed class FaultySpscRingBuffer<T> : ISpscRing<T>
{
    private const string CompletedMessage = "The ring buffer has been completed; no more items can be written.";
    private const string DrainedMessage = "The ring buffer has been completed and every item has been read.";

    private readonly RingFault _fault;
    private readonly T[] _buffer;
    private readonly int _mask;
    private readonly int _capacity;
    private readonly FaultyWaitGate _dataAvailable;
    private readonly FaultyWaitGate _spaceAvailable;
    private int _completed;
    private int _spaceNeeded = 1;
    private SpscRingIndices _indices; // mutable struct: do not make this readonly

    public FaultySpscRingBuffer(int capacity, RingFault fault = RingFault.None, GateFault gateFault = GateFault.None)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)capacity);
        _buffer = new T[size + (2 * SlotPadding)];
        _mask = size - 1;
        _capacity = capacity;
        _fault = fault;
        _dataAvailable = new FaultyWaitGate(gateFault);
        _spaceAvailable = new FaultyWaitGate(gateFault);
    }

    private static readonly Func<FaultySpscRingBuffer<T>, bool> s_canWrite = static r => r.HasSpaceOrIsCompleted(1);

    private static readonly Func<FaultySpscRingBuffer<T>, bool> s_canRead = static r => r.HasItemOrIsCompleted();

    private static int SlotPadding => (SpscRingIndices.BlockSize + Unsafe.SizeOf<T>() - 1) / Unsafe.SizeOf<T>();

    public bool IsCompleted => Volatile.Read(ref _completed) != 0; // acquire: pairs with the Interlocked.Exchange in TryComplete

    // ---- SpscRingBuffer.cs ----

    public bool TryWrite(T item)
    {
        ThrowIfCompleted();
        return TryEnqueue(item);
    }

    public int TryWriteBatch(ReadOnlySpan<T> items)
    {
        ThrowIfCompleted();
        return EnqueueBatch(items, minimum: 1);
    }

    public void Complete() => TryComplete();

    public bool TryRead([MaybeNullWhen(false)] out T item)
    {
        long head = _indices.Head; // plain: only the consumer writes Head
        if (head == _indices.CachedTail && RefreshTail(head) == 0)
        {
            item = default;
            return false;
        }

        ref T slot = ref SlotAt(head);
        if (_fault == RingFault.ReleaseHeadBeforeLoad)
        {
            Volatile.Write(ref _indices.Head, head + 1); // SEEDED FAULT: frees the slot before loading it
            item = SlotAt(head);
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                SlotAt(head) = default!;
            }

            NotifySpace(head + 1);
            return true;
        }

        item = slot;
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            slot = default!;
        }

        Volatile.Write(ref _indices.Head, head + 1); // release: pairs with the producer's acquire of Head in RefreshHead
        NotifySpace(head + 1);
        return true;
    }

    public bool TryPeek([MaybeNullWhen(false)] out T item)
    {
        long head = _indices.Head; // plain: only the consumer writes Head
        if (head == _indices.CachedTail && RefreshTail(head) == 0)
        {
            item = default;
            return false;
        }

        item = SlotAt(head);
        return true;
    }

    public int TryReadBatch(Span<T> destination)
    {
        long head = _indices.Head; // plain: only the consumer writes Head
        long available = _indices.CachedTail - head;
        if (available < destination.Length)
        {
            available = RefreshTail(head);
        }

        int count = (int)Math.Min(available, destination.Length);
        if (count == 0)
        {
            return 0;
        }

        int first = Math.Min(count, _mask + 1 - ((int)head & _mask));
        Span<T> run = MemoryMarshal.CreateSpan(ref SlotAt(head), first);
        run.CopyTo(destination);
        ClearIfReferences(run);
        if (first < count)
        {
            run = MemoryMarshal.CreateSpan(ref SlotAt(head + first), count - first);
            run.CopyTo(destination[first..]);
            ClearIfReferences(run);
        }

        Volatile.Write(ref _indices.Head, head + count); // release: pairs with the producer's acquire of Head in RefreshHead
        NotifySpace(head + count);
        return count;
    }

    private bool TryComplete()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) // full fence: pairs with the acquire loads of _completed
        {
            return false;
        }

        if (_fault != RingFault.NoWakeOnComplete) // SEEDED FAULT (when on): the consumer's gate is not woken
        {
            _dataAvailable.NotifyAll();
        }

        _spaceAvailable.NotifyAll();
        return true;
    }

    private bool TryEnqueue(T item)
    {
        long tail = _indices.Tail; // plain: only the producer writes Tail
        if (tail - _indices.CachedHead == _capacity && RefreshHead(tail) == 0)
        {
            return false;
        }

        if (_fault == RingFault.PublishBeforeStore)
        {
            Volatile.Write(ref _indices.Tail, tail + 1); // SEEDED FAULT: publishes the slot before storing it
            SlotAt(tail) = item;
        }
        else
        {
            SlotAt(tail) = item;
            Volatile.Write(ref _indices.Tail, tail + 1); // release: pairs with the consumer's acquire of Tail
        }

        _dataAvailable.NotifyIfWaiting();
        return true;
    }

    private int EnqueueBatch(ReadOnlySpan<T> items, int minimum)
    {
        Debug.Assert(minimum >= 1 && minimum <= Math.Max(1, items.Length), $"minimum {minimum} out of range for {items.Length} items");
        long tail = _indices.Tail; // plain: only the producer writes Tail
        long free = _capacity - (tail - _indices.CachedHead);
        if (free < items.Length)
        {
            free = RefreshHead(tail);
        }

        int count = (int)Math.Min(free, items.Length);
        if (count < minimum)
        {
            return 0;
        }

        if (_fault == RingFault.BatchPublishBeforeCopy)
        {
            Volatile.Write(ref _indices.Tail, tail + count); // SEEDED FAULT: publishes the batch before copying it
        }

        int first = Math.Min(count, _mask + 1 - ((int)tail & _mask));
        items[..first].CopyTo(MemoryMarshal.CreateSpan(ref SlotAt(tail), first));
        if (first < count)
        {
            items[first..count].CopyTo(MemoryMarshal.CreateSpan(ref SlotAt(tail + first), count - first));
        }

        if (_fault != RingFault.BatchPublishBeforeCopy)
        {
            Volatile.Write(ref _indices.Tail, tail + count); // release: pairs with the consumer's acquire of Tail
        }

        _dataAvailable.NotifyIfWaiting();
        return count;
    }

    private long RefreshHead(long tail)
    {
        long head = _fault == RingFault.NeverRefreshCachedHead
            ? _indices.CachedHead // SEEDED FAULT: the cache is never refreshed
            : Volatile.Read(ref _indices.Head); // acquire: pairs with the consumer's release of Head
        Debug.Assert(head <= tail && tail - head <= _capacity, $"Head {head} and Tail {tail} break 0 <= Tail - Head <= {_capacity}");
        _indices.CachedHead = head;
        return _capacity - (tail - head);
    }

    private long RefreshTail(long head)
    {
        long tail = Volatile.Read(ref _indices.Tail); // acquire: pairs with the producer's release of Tail
        Debug.Assert(head <= tail && tail - head <= _capacity, $"Head {head} and Tail {tail} break 0 <= Tail - Head <= {_capacity}");
        _indices.CachedTail = tail;
        return tail - head;
    }

    private ref T SlotAt(long sequence) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buffer), SlotPadding + ((int)sequence & _mask));

    private static void ClearIfReferences(Span<T> slots)
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            slots.Clear();
        }
    }

    private void ThrowIfCompleted()
    {
        if (Volatile.Read(ref _completed) != 0) // acquire: pairs with the Interlocked.Exchange in TryComplete
        {
            ThrowHelper.ThrowInvalidOperationException(CompletedMessage);
        }
    }

    // ---- SpscRingBuffer.Waiting.cs ----

    public void Write(T item, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryWrite(item))
        {
            WriteSlow(item, cancellationToken);
        }
    }

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

    public bool WaitToWrite(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        WaitForSpace(1, cancellationToken);
        return !IsCompleted;
    }

    public ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        return SpinBeforeParking(s_canWrite) ? new ValueTask<bool>(!IsCompleted) : WaitToWriteAsyncSlow(cancellationToken);
    }

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

        return TryEnqueue(item) || (SpinBeforeParking(s_canWrite) && !IsCompleted && TryEnqueue(item))
            ? default
            : WriteAsyncSlow(item, cancellationToken);
    }

    public bool WaitToRead(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _dataAvailable.Wait(s_canRead, this, cancellationToken);
        return ItemResult();
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        return SpinBeforeParking(s_canRead) ? new ValueTask<bool>(ItemResult()) : WaitToReadAsyncSlow(cancellationToken);
    }

    public T Read(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return TryRead(out T? item) ? item : ReadSlow(cancellationToken);
    }

    public ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        return TryRead(out T? item) || (SpinBeforeParking(s_canRead) && TryRead(out item))
            ? new ValueTask<T>(item)
            : ReadAsyncSlow(cancellationToken);
    }

    private void WaitForSpace(int needed, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _spaceNeeded, needed); // release: read by the consumer in NotifySpace after it sees this producer announced
        _spaceAvailable.Wait(static s => s.Ring.HasSpaceOrIsCompleted(s.Needed), (Ring: this, Needed: needed), cancellationToken);
    }

    private ValueTask WaitForSpaceAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _spaceNeeded, 1); // release: see WaitForSpace
        return _spaceAvailable.WaitAsync(s_canWrite, this, cancellationToken);
    }

    private void NotifySpace(long head)
    {
        if (_spaceAvailable.HasWaiters
            && HasEnoughSpace(_capacity - (Volatile.Read(ref _indices.Tail) - head), Volatile.Read(ref _spaceNeeded))) // acquire Tail and _spaceNeeded
        {
            _spaceAvailable.NotifyAll();
        }
    }

    /// <summary>NotifySpace's comparison: <c>free &gt;= needed</c> in the original.</summary>
    private bool HasEnoughSpace(long free, int needed) => _fault == RingFault.NotifySpaceOffByOne
        ? free > needed // SEEDED FAULT: a producer waiting for exactly the free space is never woken
        : free >= needed;

    private bool HasSpaceOrIsCompleted(int needed) =>
        _capacity - (_indices.Tail - Volatile.Read(ref _indices.Head)) >= needed // acquire Head: pairs with the consumer's release
        || IsCompleted;

    private bool HasItemOrIsCompleted() => HasItem() || IsCompleted;

    private bool HasItem() =>
        _indices.CachedTail != _indices.Head
        || Volatile.Read(ref _indices.Tail) != _indices.Head; // acquire: pairs with the producer's release of Tail

    /// <summary>What WaitToRead reports after its wait: <see cref="HasItem"/> in the original.</summary>
    private bool ItemResult() => _fault == RingFault.CompletionBeforeItems
        ? !IsCompleted // SEEDED FAULT: "completed" wins over items still in the ring
        : HasItem();

    private bool SpinBeforeParking(Func<FaultySpscRingBuffer<T>, bool> isReady) => FaultyWaitGate.SpinUntil(isReady, this);

    private void WriteSlow(T item, CancellationToken cancellationToken)
    {
        do
        {
            WaitForSpace(1, cancellationToken);
        }
        while (!TryWrite(item));
    }

    private T ReadSlow(CancellationToken cancellationToken)
    {
        _dataAvailable.Wait(s_canRead, this, cancellationToken);
        if (TryRead(out T? item))
        {
            return item;
        }

        Debug.Assert(IsCompleted, "the wait ended with no item, so the ring must be completed");
        return ThrowHelper.ThrowInvalidOperationException<T>(DrainedMessage);
    }

    private async ValueTask<bool> WaitToWriteAsyncSlow(CancellationToken cancellationToken)
    {
        await WaitForSpaceAsync(cancellationToken).ConfigureAwait(false);
        return !IsCompleted;
    }

    private async ValueTask WriteAsyncSlow(T item, CancellationToken cancellationToken)
    {
        do
        {
            await WaitForSpaceAsync(cancellationToken).ConfigureAwait(false);
        }
        while (!TryWrite(item));
    }

    private async ValueTask<bool> WaitToReadAsyncSlow(CancellationToken cancellationToken)
    {
        await _dataAvailable.WaitAsync(s_canRead, this, cancellationToken).ConfigureAwait(false);
        return ItemResult();
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
