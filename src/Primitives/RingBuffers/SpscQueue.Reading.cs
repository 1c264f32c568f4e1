using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.RingBuffers;

// The consumer's non-blocking core of SpscQueue<T>: reads, the segment hand-over on the consumer's side, and the
// snapshots for the debugger and the tests. Design: docs/ring-buffer.md ("Design of the queue").
public sealed partial class SpscQueue<T>
{
    /// <summary>Reads the oldest item if there is one.</summary>
    /// <param name="item">The item read, or the default value when the queue is empty.</param>
    /// <returns>True if an item was read; false if the queue was empty.</returns>
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

        ref T slot = ref NextSlot(out int index);
        item = slot; // plain: the slot is the consumer's between the acquire of Tail and the release below
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            slot = default!; // let the item be collected; ordered before the release below
        }

        _indices.HeadIndex = index + 1; // plain: consumer-private
        Volatile.Write(ref _indices.Head, head + 1); // release: the slot load and clear above happen first; pairs with the acquire loads in Count and NotifyData
        return true;
    }

    /// <summary>Returns the oldest item without removing it, if there is one.</summary>
    /// <param name="item">The oldest item, or the default value when the queue is empty.</param>
    /// <returns>True if the queue held an item; false if it was empty.</returns>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public bool TryPeek([MaybeNullWhen(false)] out T item)
    {
        long head = _indices.Head; // plain: only the consumer (this thread) writes Head
        if (head == _indices.CachedTail && RefreshTail(head) == 0) // plain: CachedTail is consumer-private
        {
            item = default;
            return false;
        }

        item = NextSlot(out _); // plain: the slot stays the consumer's until it releases Head
        return true;
    }

    /// <summary>Reads as many items as are available, up to the length of <paramref name="destination"/>, in order,
    /// with one release store.</summary>
    /// <param name="destination">Where the items go, from index 0.</param>
    /// <returns>How many items were read: 0 when the queue is empty.</returns>
    /// <remarks>Thread safety: the consumer only.</remarks>
    public int TryReadBatch(Span<T> destination)
    {
        long head = _indices.Head; // plain: only the consumer (this thread) writes Head
        long available = _indices.CachedTail - head; // plain: CachedTail is consumer-private
        if (available < destination.Length)
        {
            available = RefreshTail(head);
        }

        int total = (int)Math.Min(available, destination.Length);
        int read = 0;
        while (read < total)
        {
            ref T first = ref NextSlot(out int index);
            int count = Math.Min(_headSegment.Length - index, total - read); // plain: consumer-private
            Span<T> run = MemoryMarshal.CreateSpan(ref first, count);
            run.CopyTo(destination[read..]);
            SpscSlots.ClearIfReferences(run);
            _indices.HeadIndex = index + count; // plain: consumer-private
            read += count;
        }

        if (total != 0)
        {
            Volatile.Write(ref _indices.Head, head + total); // release: every slot load and clear above happens first; pairs with the acquire loads in Count and NotifyData
        }

        return total;
    }

    /// <summary>The readable items, oldest first: a snapshot for the debugger. Any thread; racy by nature (the debugger
    /// stops the other threads).</summary>
    T[] ISpscSnapshot<T>.SnapshotItems()
    {
        long head = Volatile.Read(ref _indices.Head); // acquire: pairs with the consumer's release of Head
        long tail = Volatile.Read(ref _indices.Tail); // acquire: pairs with the producer's release of Tail
        var items = new List<T>((int)Math.Min(tail - head, 1 << 16));
        Segment? segment = _headSegment; // plain: a racy view is acceptable for a debugger snapshot
        int index = _indices.HeadIndex; // plain: likewise
        for (long s = head; s < tail && segment is not null; s++, index++)
        {
            if (index == segment.Length)
            {
                segment = Volatile.Read(ref segment.Next); // acquire: pairs with the producer's release in AddSegment
                index = 0;
                if (segment is null)
                {
                    break;
                }
            }

            items.Add(segment.Slots[index]);
        }

        return [.. items];
    }

    /// <summary>The segments the queue holds: the chain from the consumer's segment, and the spare. Only for tests,
    /// with neither side running.</summary>
    internal int RetainedSegments
    {
        get
        {
            int count = Volatile.Read(ref _spare) is null ? 0 : 1; // acquire: pairs with the consumer's release in LeaveSegment
            for (Segment? segment = _headSegment; segment is not null; segment = Volatile.Read(ref segment.Next)) // acquire: pairs with the producer's release in AddSegment
            {
                count++;
            }

            return count;
        }
    }

    /// <summary>Consumer: the slot of the next item, leaving a drained segment first. The caller has seen an item
    /// beyond Head ("Hand-over" in docs/ring-buffer.md).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref T NextSlot(out int index)
    {
        Segment segment = _headSegment; // plain: consumer-private
        index = _indices.HeadIndex; // plain: consumer-private
        if (index == segment.Length)
        {
            segment = LeaveSegment(segment);
            index = 0;
        }

        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(segment.Slots), index);
    }

    /// <summary>Consumer: moves to the segment after the drained <paramref name="drained"/> and hands the drained one to the producer as the spare.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Segment LeaveSegment(Segment drained)
    {
        Segment? next = Volatile.Read(ref drained.Next); // acquire: pairs with the producer's release in AddSegment
        if (next is null)
        {
            ThrowHelper.ThrowInvalidOperationException($"The queue saw an item beyond a segment that has no successor: a second producer or consumer? (Head {_indices.Head}, Tail {_indices.CachedTail})");
        }

        _headSegment = next!; // plain: consumer-private
        _indices.HeadIndex = 0; // plain: consumer-private
        drained.Next = null; // plain: the consumer owns the segment it left until the release below
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.QueueSpareIsNextSegment))
        {
            drained = next; // SEEDED FAULT: hands over the segment it moves to, not the one it left
        }
#endif
        Volatile.Write(ref _spare, drained); // release: every load and clear of its slots, and the reset above, happen first; pairs with the producer's Interlocked.Exchange in AddSegment
        return next!;
    }

    /// <summary>Consumer: re-reads Tail into the cache (the cache said empty); returns the available items.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long RefreshTail(long head)
    {
        long tail = Volatile.Read(ref _indices.Tail); // acquire: pairs with the producer's release of Tail; its slot stores and segment links are visible
        Debug.Assert(head <= tail, $"Head {head} is past Tail {tail}: a second producer or consumer?");
        _indices.CachedTail = tail; // plain: consumer-private
        SpscWakeUp.Learn(ref _indices.DataSpin, tail - head);
        return tail - head;
    }
}
