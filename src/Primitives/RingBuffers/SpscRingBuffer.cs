using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.RingBuffers;

// Design note: docs/ring-buffer.md ("Algorithm", "Why each ordering is enough", "Waking: no lost wake-up",
// "Capacity rounding", "Memory layout"). Each Volatile/Interlocked access below names the access it pairs with.

/// <summary>
/// A bounded first-in first-out queue for exactly one producer and one consumer. Non-blocking
/// operations are lock-free and wait-free; blocking and asynchronous waits spin briefly, then park.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <remarks>
/// <para><b>Thread safety.</b> One producer and one consumer may use the ring concurrently. Producer
/// members (<see cref="TryWrite"/>, <see cref="TryWriteBatch"/>, <see cref="Write"/>,
/// <see cref="WriteBatch"/>, <see cref="WaitToWrite(CancellationToken)"/>, <see cref="WaitToWriteAsync(CancellationToken)"/>,
/// <see cref="WriteAsync"/>, <see cref="GetWriteSpan"/>, <see cref="GetWriteMemory"/>, <see cref="AdvanceWrite"/>,
/// <see cref="Complete"/>) must be called by one logical producer at a time;
/// consumer members (<see cref="TryRead"/>, <see cref="TryPeek"/>, <see cref="TryReadBatch"/>,
/// <see cref="WaitToRead(CancellationToken)"/>, <see cref="WaitToReadAsync(CancellationToken)"/>, <see cref="Read"/>, <see cref="ReadAsync"/>,
/// <see cref="GetReadSpan"/>, <see cref="GetReadMemory"/>, <see cref="AdvanceRead"/>) by one logical consumer at a time. "Logical" allows successive calls from different threads when
/// each call happens-after the previous one (an await continuation, a thread hand-off through a lock or
/// a task). <see cref="Capacity"/>, <see cref="Count"/>, <see cref="IsEmpty"/> and
/// <see cref="IsCompleted"/> may be read from any thread. Using two producers or two consumers at once
/// corrupts the ring silently.</para>
/// <para><b>Capacity.</b> Any positive capacity up to <see cref="MaxCapacity"/>. The ring is full at
/// exactly <see cref="Capacity"/> items; internally the slot array is rounded up to a power of two.</para>
/// <para><b>Completion.</b> The producer calls <see cref="Complete"/> after its last write. The consumer
/// still receives every item written before it, then observes completion: <see cref="WaitToRead(CancellationToken)"/>
/// returns false, <see cref="Read"/> throws <see cref="InvalidOperationException"/>, and blocked or
/// waiting consumers are released. Writing after completion throws
/// <see cref="InvalidOperationException"/>.</para>
/// <para><b>Zero-copy spans.</b> <see cref="GetWriteSpan"/>/<see cref="AdvanceWrite"/> let the producer fill
/// free slots in place and <see cref="GetReadSpan"/>/<see cref="AdvanceRead"/> let the consumer read items in
/// place; see <see cref="GetWriteSpan"/> for the protocol and how it relates to
/// <see cref="System.Buffers.IBufferWriter{T}"/>.</para>
/// <para><b>Progress.</b> <see cref="TryWrite"/>, <see cref="TryRead"/> and the batch methods finish in
/// a bounded number of steps with no lock and no interlocked instruction; only when the other side is
/// parked does the publishing call take a short lock to wake it. Dequeued slots are cleared when
/// <typeparamref name="T"/> holds references, so the ring never keeps a consumed object alive.</para>
/// <para>The design (algorithm, field owners, invariants, memory orderings, waking): docs/ring-buffer.md in the
/// repository.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
[DebuggerTypeProxy(typeof(SpscBufferDebugView<>))]
public sealed partial class SpscRingBuffer<T> : ISpscBuffer<T>, ISpscSnapshot<T>
{
    /// <summary>The largest capacity a ring can have (2^30 items).</summary>
    public const int MaxCapacity = 1 << 30;

    private const string CompletedMessage = "The ring buffer has been completed; no more items can be written.";

    /// <summary>Slots of padding at each end of <see cref="_buffer"/>: at least 128 bytes. A JIT-time constant.</summary>
    private static int SlotPadding => (CacheLine.Size + Unsafe.SizeOf<T>() - 1) / Unsafe.SizeOf<T>();

    private readonly T[] _buffer;
    private readonly int _mask;
    private readonly int _capacity;
    private readonly WaitGate _dataAvailable = new();
    private readonly WaitGate _spaceAvailable = new();
    private int _completed;
    private SpscRingIndices _indices; // mutable struct: do not make this readonly

    /// <summary>Creates a ring that holds at most <paramref name="capacity"/> items.</summary>
    /// <param name="capacity">The maximum number of items in the ring: 1 to <see cref="MaxCapacity"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive or exceeds <see cref="MaxCapacity"/>.</exception>
    public SpscRingBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)capacity);
        _buffer = new T[size + (2 * SlotPadding)];
        _mask = size - 1;
        _capacity = capacity;
        _indices.SpaceNeeded = 1; // plain: the constructor publishes the ring only after it returns
        _indices.DataNeeded = 1;
        _indices.WriteStart = -1; // no span outstanding
        _indices.ReadStart = -1;
    }

    /// <summary>The maximum number of items the ring holds: exactly the capacity it was created with.</summary>
    /// <remarks>Thread safety: any thread.</remarks>
    public int Capacity => _capacity;

    /// <summary>The number of items in the ring: a snapshot, possibly stale by the time it is used.</summary>
    /// <remarks>Thread safety: any thread. From the consumer, a non-zero count stays at least that large
    /// until the consumer reads; from the producer, free space (<c>Capacity - Count</c>) likewise.</remarks>
    public int Count
    {
        get
        {
            long head = Volatile.Read(ref _indices.Head); // acquire: pairs with the consumer's release of Head; read first so that Tail >= head
            long tail = Volatile.Read(ref _indices.Tail); // acquire: pairs with the producer's release of Tail
            return (int)Math.Min(tail - head, _capacity); // both may have moved between the loads: clamp to the invariant
        }
    }

    /// <summary>Whether the ring holds no item: a snapshot (see <see cref="Count"/>).</summary>
    /// <remarks>Thread safety: any thread.</remarks>
    public bool IsEmpty => Count == 0;

    /// <summary>Whether <see cref="Complete"/> has been called. Items may still be waiting to be read.</summary>
    /// <remarks>Thread safety: any thread.</remarks>
    public bool IsCompleted => Volatile.Read(ref _completed) != 0; // acquire: pairs with the Interlocked.Exchange in TryComplete

    /// <summary>Writes <paramref name="item"/> if the ring is not full.</summary>
    /// <param name="item">The item to write.</param>
    /// <returns>True if the item was written; false if the ring was full.</returns>
    /// <exception cref="InvalidOperationException">The ring has been completed.</exception>
    /// <remarks>Thread safety: the producer only.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(T item)
    {
        ThrowIfCompleted();
        return TryEnqueue(item);
    }

    /// <summary>Writes as many of <paramref name="items"/> as fit, in order, publishing them at once.</summary>
    /// <param name="items">The items to write.</param>
    /// <returns>How many items were written (a prefix of <paramref name="items"/>): 0 when the ring is full.</returns>
    /// <exception cref="InvalidOperationException">The ring has been completed.</exception>
    /// <remarks>Thread safety: the producer only.</remarks>
    public int TryWriteBatch(ReadOnlySpan<T> items)
    {
        ThrowIfCompleted();
        return EnqueueBatch(items, minimum: 1);
    }

    /// <summary>Marks the end of the items: no more can be written, and the consumer, once it has read
    /// every item written before, observes completion. Idempotent.</summary>
    /// <remarks>Thread safety: the producer, after its last write. Another thread may call it only when
    /// the call is ordered after the producer's last write; racing a write is a contract violation (the
    /// item may be read or not). Blocked or waiting producers and consumers are released.</remarks>
    public void Complete() => TryComplete();

    /// <summary>Reads the oldest item if there is one.</summary>
    /// <param name="item">The item read, or the default value when the ring is empty.</param>
    /// <returns>True if an item was read; false if the ring was empty.</returns>
    /// <remarks>Thread safety: the consumer only.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead([MaybeNullWhen(false)] out T item)
    {
        long head = _indices.Head; // plain: only the consumer (this thread) writes Head
        if (head == _indices.CachedTail && RefreshTail(head) == 0) // plain: CachedTail is consumer-private
        {
            item = default;
            return false;
        }

        ref T slot = ref SlotAt(head);
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RingReleaseHeadBeforeLoad))
        {
            Volatile.Write(ref _indices.Head, head + 1); // SEEDED FAULT: frees the slot before loading it
            slot = ref SlotAt(head); // (its field loads let the producer run before the load below)
        }
#endif
        item = slot; // plain: the slot is the consumer's between the acquire of Tail and the release below
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            slot = default!; // let the item be collected; ordered before the release below
        }

        Volatile.Write(ref _indices.Head, head + 1); // release: the slot load and clear above happen first; pairs with the producer's acquire of Head in RefreshHead
        NotifySpace(head + 1);
        return true;
    }

    /// <summary>Returns the oldest item without removing it, if there is one.</summary>
    /// <param name="item">The oldest item, or the default value when the ring is empty.</param>
    /// <returns>True if the ring held an item; false if it was empty.</returns>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public bool TryPeek([MaybeNullWhen(false)] out T item)
    {
        long head = _indices.Head; // plain: only the consumer (this thread) writes Head
        if (head == _indices.CachedTail && RefreshTail(head) == 0) // plain: CachedTail is consumer-private
        {
            item = default;
            return false;
        }

        item = SlotAt(head); // plain: the slot stays the consumer's until it releases Head
        return true;
    }

    /// <summary>Reads as many items as are available, up to the length of <paramref name="destination"/>,
    /// in order, freeing their slots at once.</summary>
    /// <param name="destination">Where the items go, from index 0.</param>
    /// <returns>How many items were read: 0 when the ring is empty.</returns>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public int TryReadBatch(Span<T> destination)
    {
        long head = _indices.Head; // plain: only the consumer (this thread) writes Head
        long available = _indices.CachedTail - head; // plain: CachedTail is consumer-private
        if (available < destination.Length)
        {
            available = RefreshTail(head);
        }

        int count = (int)Math.Min(available, destination.Length);
        if (count == 0)
        {
            return 0;
        }

        // Up to two runs of slots: to the end of the array, then from its start (the wrap point).
        int first = Math.Min(count, _mask + 1 - ((int)head & _mask));
        Span<T> run = MemoryMarshal.CreateSpan(ref SlotAt(head), first);
        run.CopyTo(destination);
        SpscSlots.ClearIfReferences(run);
        if (first < count)
        {
            run = MemoryMarshal.CreateSpan(ref SlotAt(head + first), count - first);
            run.CopyTo(destination[first..]);
            SpscSlots.ClearIfReferences(run);
        }

        Volatile.Write(ref _indices.Head, head + count); // release: every slot load and clear above happens first; pairs with the producer's acquire of Head in RefreshHead
        NotifySpace(head + count);
        return count;
    }

    /// <summary>What the debugger shows for the ring: a snapshot of <see cref="Count"/>, <see cref="Capacity"/> and <see cref="IsCompleted"/>.</summary>
    private string DebuggerDisplay => $"Count = {Count}, Capacity = {Capacity}, IsCompleted = {IsCompleted}";

    /// <summary>The readable items, oldest first: a snapshot for the debugger (items the consumer is reading at the
    /// same moment may show as default values). Any thread.</summary>
    T[] ISpscSnapshot<T>.SnapshotItems()
    {
        long head = Volatile.Read(ref _indices.Head); // acquire: pairs with the consumer's release of Head
        long tail = Volatile.Read(ref _indices.Tail); // acquire: pairs with the producer's release of Tail; the slots below are written
        var items = new T[(int)Math.Clamp(tail - head, 0, _capacity)];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = SlotAt(head + i); // plain: a racy view is acceptable for a debugger snapshot
        }

        return items;
    }

    /// <summary>Sets the completion flag and wakes both sides; true if this call set it.</summary>
    internal bool TryComplete()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) // full fence: the producer's earlier Tail releases come first; pairs with the acquire loads of _completed
        {
            return false;
        }

#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RingNoWakeOnComplete))
        {
            _spaceAvailable.NotifyAll(); // SEEDED FAULT: the consumer's gate is not woken
            return true;
        }
#endif
        _dataAvailable.NotifyAll();
        _spaceAvailable.NotifyAll();
        return true;
    }

    /// <inheritdoc/>
    bool ISpscBuffer<T>.TryEnqueue(T item) => TryEnqueue(item);

    /// <summary>Producer: writes one item if there is room; the caller has checked completion.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryEnqueue(T item)
    {
        long tail = _indices.Tail; // plain: only the producer (this thread) writes Tail
        if (tail - _indices.CachedHead == _capacity && RefreshHead(tail) == 0) // plain: CachedHead is producer-private
        {
            return false;
        }

#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RingPublishBeforeStore))
        {
            Volatile.Write(ref _indices.Tail, tail + 1); // SEEDED FAULT: publishes the slot before storing the item
        }
#endif
        SlotAt(tail) = item; // plain: the slot is the producer's until the release below
        Volatile.Write(ref _indices.Tail, tail + 1); // release: the slot store above happens first; pairs with the consumer's acquire of Tail in RefreshTail and the wait conditions
        NotifyData(tail + 1);
        return true;
    }

    /// <summary>Producer: writes the longest prefix of <paramref name="items"/> that fits, or nothing if
    /// fewer than <paramref name="minimum"/> fit; the caller has checked completion.</summary>
    private int EnqueueBatch(ReadOnlySpan<T> items, int minimum)
    {
        Debug.Assert(minimum >= 1 && minimum <= Math.Max(1, items.Length), $"minimum {minimum} out of range for {items.Length} items");
        long tail = _indices.Tail; // plain: only the producer (this thread) writes Tail
        long free = _capacity - (tail - _indices.CachedHead); // plain: CachedHead is producer-private
        if (free < items.Length)
        {
            free = RefreshHead(tail);
        }

        int count = (int)Math.Min(free, items.Length);
        if (count < minimum)
        {
            return 0;
        }

#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RingBatchPublishBeforeCopy))
        {
            Volatile.Write(ref _indices.Tail, tail + count); // SEEDED FAULT: publishes the batch before copying it
        }
#endif
        int first = Math.Min(count, _mask + 1 - ((int)tail & _mask));
        items[..first].CopyTo(MemoryMarshal.CreateSpan(ref SlotAt(tail), first));
        if (first < count)
        {
            items[first..count].CopyTo(MemoryMarshal.CreateSpan(ref SlotAt(tail + first), count - first));
        }

        Volatile.Write(ref _indices.Tail, tail + count); // release: every slot store above happens first; pairs with the consumer's acquire of Tail in RefreshTail
        NotifyData(tail + count);
        return count;
    }

    /// <summary>Producer: re-reads Head into the cache (the cache said full); returns the free slots.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long RefreshHead(long tail)
    {
        long head = Volatile.Read(ref _indices.Head); // acquire: pairs with the consumer's release of Head; its slot loads and clears are done
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RingNeverRefreshCachedHead))
        {
            head = _indices.CachedHead; // SEEDED FAULT: the cache is never refreshed
        }
#endif
        Debug.Assert(head <= tail && tail - head <= _capacity, $"Head {head} and Tail {tail} break 0 <= Tail - Head <= {_capacity}: a second producer or consumer?");
        _indices.CachedHead = head; // plain: producer-private
        long free = _capacity - (tail - head);
        SpscWakeUp.Learn(ref _indices.SpaceSpin, free);
        return free;
    }

    /// <summary>Consumer: re-reads Tail into the cache (the cache said empty); returns the available items.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long RefreshTail(long head)
    {
        long tail = Volatile.Read(ref _indices.Tail); // acquire: pairs with the producer's release of Tail; its slot stores are visible
        Debug.Assert(head <= tail && tail - head <= _capacity, $"Head {head} and Tail {tail} break 0 <= Tail - Head <= {_capacity}: a second producer or consumer?");
        _indices.CachedTail = tail; // plain: consumer-private
        SpscWakeUp.Learn(ref _indices.DataSpin, tail - head);
        return tail - head;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref T SlotAt(long sequence) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buffer), SlotPadding + ((int)sequence & _mask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfCompleted()
    {
        if (Volatile.Read(ref _completed) != 0) // acquire: pairs with the Interlocked.Exchange in TryComplete
        {
            ThrowHelper.ThrowInvalidOperationException(CompletedMessage);
        }
    }
}
