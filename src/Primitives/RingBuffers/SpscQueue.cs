using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.RingBuffers;

// Design note: docs/ring-buffer.md ("The unbounded queue: SpscQueue<T>", "Design of the queue"; waking as in
// "Waking: no lost wake-up"). Each Volatile/Interlocked access below names the access it pairs with.

/// <summary>
/// An unbounded first-in first-out queue for exactly one producer and one consumer: the counterpart of
/// <see cref="System.Threading.Channels.Channel.CreateUnbounded{T}(System.Threading.Channels.UnboundedChannelOptions)"/>
/// with <c>SingleReader</c> and <c>SingleWriter</c>. Writes never block and never fail (until completion); reads are
/// lock-free and wait-free; blocking and asynchronous waits for data spin briefly, then park.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <remarks>
/// <para><b>Thread safety.</b> As for <see cref="SpscRingBuffer{T}"/>: producer members (<see cref="TryWrite"/>,
/// <see cref="Write"/>, <see cref="WriteBatch"/>, <see cref="WaitToWriteAsync"/>, <see cref="Complete"/>) by one
/// logical producer at a time; consumer members (<see cref="TryRead"/>, <see cref="TryPeek"/>,
/// <see cref="TryReadBatch"/>, the <c>WaitToRead</c>, <c>Read</c> and span members) by one logical consumer at a time;
/// <see cref="Count"/>, <see cref="IsEmpty"/> and <see cref="IsCompleted"/> from any thread.</para>
/// <para><b>Memory.</b> Items live in linked array segments that grow from 32 slots up to about 64 KiB each. A drained
/// segment is reused for the next items; a drained queue keeps its current segment and at most one spare, so a burst
/// does not pin its memory. Consumed slots are cleared when <typeparamref name="T"/> holds references.</para>
/// <para><b>Completion</b> and <b>spans</b> behave as in <see cref="SpscRingBuffer{T}"/>; a read span ends at a segment
/// boundary, so call <see cref="GetReadSpan"/> again after advancing to see the items beyond it.</para>
/// <para>The design: docs/ring-buffer.md ("The unbounded queue") in the repository.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
[DebuggerTypeProxy(typeof(SpscBufferDebugView<>))]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "A queue, named like ConcurrentQueue<T>.")]
public sealed partial class SpscQueue<T> : ISpscBuffer<T>, ISpscSnapshot<T>
{
    /// <summary>Slots of the first segment.</summary>
    internal const int MinSegmentLength = 32;

    private const string CompletedMessage = "The queue has been completed; no more items can be written.";

    private readonly int _maxSegmentLength;
    private readonly WaitGate _dataAvailable = new();
    private Segment _tailSegment;
    private Segment _headSegment;
    private Segment? _spare;
    private int _completed;
    private SpscQueueIndices _indices; // mutable struct: do not make this readonly

    /// <summary>Creates an empty queue.</summary>
    public SpscQueue()
        : this(MinSegmentLength, DefaultMaxSegmentLength)
    {
    }

    /// <summary>Creates an empty queue with the given segment lengths (powers of two not required); tests use tiny ones
    /// to reach the segment hand-over often.</summary>
    internal SpscQueue(int firstSegmentLength, int maxSegmentLength)
    {
        Debug.Assert(firstSegmentLength >= 1 && maxSegmentLength >= firstSegmentLength, $"segment lengths {firstSegmentLength}..{maxSegmentLength}");
        _maxSegmentLength = maxSegmentLength;
        _tailSegment = _headSegment = new Segment(firstSegmentLength);
        _indices.ReadStart = -1; // plain: the constructor publishes the queue only after it returns
        _indices.DataNeeded = 1;
    }

    /// <summary>The number of items in the queue: a snapshot, possibly stale by the time it is used.</summary>
    /// <remarks>Thread safety: any thread. From the consumer, a non-zero count stays at least that large until the
    /// consumer reads.</remarks>
    public int Count
    {
        get
        {
            long head = Volatile.Read(ref _indices.Head); // acquire: pairs with the consumer's release of Head; read first so that Tail >= head
            long tail = Volatile.Read(ref _indices.Tail); // acquire: pairs with the producer's release of Tail
            return (int)Math.Min(tail - head, int.MaxValue);
        }
    }

    /// <summary>Whether the queue holds no item: a snapshot (see <see cref="Count"/>).</summary>
    /// <remarks>Thread safety: any thread.</remarks>
    public bool IsEmpty => Count == 0;

    /// <summary>Whether <see cref="Complete"/> has been called. Items may still be waiting to be read.</summary>
    /// <remarks>Thread safety: any thread.</remarks>
    public bool IsCompleted => Volatile.Read(ref _completed) != 0; // acquire: pairs with the Interlocked.Exchange in TryComplete

    /// <summary>The longest segment: 64 KiB of slots (under the large-object threshold), at least 32 slots.</summary>
    private static int DefaultMaxSegmentLength =>
        (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinSegmentLength, (64 * 1024 / Unsafe.SizeOf<T>()) + 1)) / 2;

    /// <summary>What the debugger shows for the queue.</summary>
    private string DebuggerDisplay => $"Count = {Count}, IsCompleted = {IsCompleted}";

    /// <summary>Writes <paramref name="item"/>. An unbounded queue always has room, so this always returns true.</summary>
    /// <param name="item">The item to write.</param>
    /// <returns>True.</returns>
    /// <exception cref="InvalidOperationException">The queue has been completed.</exception>
    /// <remarks>Thread safety: the producer only.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(T item)
    {
        ThrowIfCompleted();
        Enqueue(item);
        return true;
    }

    /// <summary>Writes <paramref name="item"/>; never blocks.</summary>
    /// <param name="item">The item to write.</param>
    /// <exception cref="InvalidOperationException">The queue has been completed.</exception>
    /// <remarks>Thread safety: the producer only.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(T item)
    {
        ThrowIfCompleted();
        Enqueue(item);
    }

    /// <summary>Writes all of <paramref name="items"/>, in order, publishing them with one release store; never blocks.</summary>
    /// <param name="items">The items to write.</param>
    /// <exception cref="InvalidOperationException">The queue has been completed; nothing is written.</exception>
    /// <remarks>Thread safety: the producer only.</remarks>
    public void WriteBatch(ReadOnlySpan<T> items)
    {
        ThrowIfCompleted();
        if (items.IsEmpty)
        {
            return;
        }

        Segment segment = _tailSegment; // plain: producer-private
        int index = _indices.TailIndex; // plain: producer-private
        int written = 0;
        while (written < items.Length)
        {
            if (index == segment.Length)
            {
                segment = AddSegment(segment);
                index = 0;
            }

            int count = Math.Min(segment.Length - index, items.Length - written);
            items.Slice(written, count).CopyTo(segment.Slots.AsSpan(index, count));
            index += count;
            written += count;
        }

        _indices.TailIndex = index; // plain: producer-private
        long tail = _indices.Tail + items.Length; // plain: only the producer (this thread) writes Tail
        Volatile.Write(ref _indices.Tail, tail); // release: every slot store and segment link above happens first; pairs with the consumer's acquire of Tail in RefreshTail
        NotifyData(tail);
    }

    /// <summary>Marks the end of the items: no more can be written, and the consumer, once it has read every item
    /// written before, observes completion. Idempotent.</summary>
    /// <remarks>Thread safety: the producer, after its last write (as for <see cref="SpscRingBuffer{T}.Complete"/>).
    /// A waiting consumer is released.</remarks>
    public void Complete() => TryComplete();

    /// <summary>Sets the completion flag and wakes the consumer; true if this call set it.</summary>
    internal bool TryComplete()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) // full fence: the producer's earlier Tail releases come first; pairs with the acquire loads of _completed
        {
            return false;
        }

        _dataAvailable.NotifyAll();
        return true;
    }

    /// <inheritdoc/>
    bool ISpscBuffer<T>.TryEnqueue(T item)
    {
        Enqueue(item);
        return true;
    }

    /// <summary>Producer: writes one item; the caller has checked completion.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Enqueue(T item)
    {
        Segment segment = _tailSegment; // plain: producer-private
        int index = _indices.TailIndex; // plain: producer-private
        if (index == segment.Length)
        {
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.QueuePublishBeforeLink))
            {
                EnqueueLinkingLate(segment, item); // SEEDED FAULT: publishes the first item of a new segment before linking the segment
                return;
            }
#endif
            segment = AddSegment(segment);
            index = 0;
        }

        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(segment.Slots), index) = item; // plain: the slot is the producer's until the release below
        _indices.TailIndex = index + 1; // plain: producer-private
        long tail = _indices.Tail + 1; // plain: only the producer (this thread) writes Tail
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.QueueNoWakeOnNewSegment) && index == 0)
        {
            Volatile.Write(ref _indices.Tail, tail); // SEEDED FAULT: the first item of a new segment is published without waking a parked consumer
            return;
        }
#endif
        Volatile.Write(ref _indices.Tail, tail); // release: the slot store (and any segment link) above happens first; pairs with the consumer's acquire of Tail in RefreshTail and the wait conditions
        NotifyData(tail);
    }

#if PRIMITIVES_FAULTS
    /// <summary>The seeded fault QueuePublishBeforeLink: Enqueue into a new segment with the link stored after the publication.</summary>
    private void EnqueueLinkingLate(Segment full, T item)
    {
        Segment next = Interlocked.Exchange(ref _spare, null) ?? new Segment(Math.Min(full.Length * 2, _maxSegmentLength));
        next.Slots[0] = item;
        _tailSegment = next;
        _indices.TailIndex = 1;
        long tail = _indices.Tail + 1;
        Volatile.Write(ref _indices.Tail, tail); // SEEDED FAULT: the consumer may see this item before the link below
        Volatile.Write(ref full.Next, next);
        NotifyData(tail);
    }
#endif

    /// <summary>Producer: links a segment after the full <paramref name="full"/> (the spare, or a new one) and makes it the tail segment.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Segment AddSegment(Segment full)
    {
        Segment? next = Interlocked.Exchange(ref _spare, null); // acquire: pairs with the consumer's release in LeaveSegment; its last loads and clears of the spare's slots happen first
        next ??= new Segment(Math.Min(full.Length * 2, _maxSegmentLength));
        Debug.Assert(next.Next is null, "a spare segment must come back unlinked");
        Volatile.Write(ref full.Next, next); // release: the consumer follows the link only after acquiring a Tail published after this store; pairs with the acquire in LeaveSegment
        _tailSegment = next; // plain: producer-private
        return next;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfCompleted()
    {
        if (Volatile.Read(ref _completed) != 0) // acquire: pairs with the Interlocked.Exchange in TryComplete
        {
            ThrowHelper.ThrowInvalidOperationException(CompletedMessage);
        }
    }

    /// <summary>A run of slots, written once from first to last, then read once from first to last, then reused.</summary>
    private sealed class Segment(int length)
    {
        /// <summary>The slots. Ownership: docs/ring-buffer.md, "Design of the queue".</summary>
        internal readonly T[] Slots = new T[length];

        /// <summary>The segment after this one: docs/ring-buffer.md, "Design of the queue".</summary>
        internal Segment? Next;

        /// <summary>The number of slots.</summary>
        internal int Length => Slots.Length;
    }
}
