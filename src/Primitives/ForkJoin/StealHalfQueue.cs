using System.Diagnostics;
using System.Runtime.CompilerServices;
#if PRIMITIVES_FAULTS
using Primitives.Internal;
#endif

namespace Primitives.ForkJoin;

/// <summary>
/// A growable FIFO ring of scope tasks that thieves steal from in batches: its owner pushes at the tail, and the owner
/// and thieves take from the head with a CAS; a thief claims about half of what is queued with one CAS and moves it
/// into its own queue (as the Go runtime's per-P run queues do).
/// </summary>
/// <remarks>
/// Design note: <c>docs/fork-join-scope.md</c> ("Batch steals of scope tasks": the protocol, the memory-ordering
/// contract and why no task is lost or taken twice). <b>Thread safety.</b> <see cref="TryPush"/> and
/// <see cref="TryTake"/>: the owner thread only. <see cref="TryStealHalf"/>: the owner of the thief's queue, never on
/// its own queue. <see cref="LooksEmpty"/>: any thread.
/// </remarks>
internal sealed class StealHalfQueue
{
    /// <summary>Slots of a new queue.</summary>
    internal const int InitialCapacity = 256;

    /// <summary>The most slots a queue grows to: a push into a queue that holds this many items fails.</summary>
    internal const int MaxCapacity = 1 << 16;

    /// <summary>The most items one steal moves.</summary>
    private const int MaxBatch = 128;

    private readonly int _maxCapacity;
    private Work[] _items; // written by the owner only (growth); thieves acquire it after the tail
    private WorkStealingDequeIndices _indices; // Top: the head (CAS only); Bottom: the tail (owner only); CachedTop: the owner's last read of the head

    /// <summary>A queue of <see cref="InitialCapacity"/> slots that grows up to <see cref="MaxCapacity"/>.</summary>
    internal StealHalfQueue()
        : this(InitialCapacity, MaxCapacity)
    {
    }

    /// <summary>For tests: a queue of <paramref name="initialCapacity"/> slots that grows up to <paramref name="maxCapacity"/> (powers of two).</summary>
    internal StealHalfQueue(int initialCapacity, int maxCapacity)
    {
        Debug.Assert(int.IsPow2(initialCapacity) && int.IsPow2(maxCapacity) && initialCapacity <= maxCapacity, "capacities must be powers of two, initial <= max");
        _items = new Work[initialCapacity];
        _maxCapacity = maxCapacity;
    }

    /// <summary>A cheap hint (no fence); exact for the owner when it says empty (only the owner adds items).</summary>
    internal bool LooksEmpty =>
        Volatile.Read(ref _indices.Top) >= Volatile.Read(ref _indices.Bottom); // acquire: hint only; the takes re-read both

    /// <summary>Owner: appends <paramref name="work"/> at the tail; false if the queue is full at its largest capacity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryPush(in Work work)
    {
        long tail = _indices.Bottom; // plain: the owner is the only writer of the tail
        Work[] items = _items; // plain: the owner is the only writer of _items
        if (tail - _indices.CachedTop >= items.Length) // plain CachedTop: the owner's own; the head only grows, so a stale copy only looks fuller
        {
            items = MakeRoom(items, tail);
            if (items.Length == 0)
            {
                return false;
            }
        }

        items[tail & (items.Length - 1)] = work; // plain (two references): ordered before the release of the tail below, which publishes it
        Volatile.Write(ref _indices.Bottom, tail + 1); // release: pairs with the acquire of the tail in TryTake's callers on other threads and TryStealHalf (and a retiring stealer's last scan)
        return true;
    }

    /// <summary>Owner: takes the oldest item; false when empty.</summary>
    internal bool TryTake(out Work work)
    {
        long tail = _indices.Bottom; // plain: the owner is the only writer of the tail
        Work[] items = _items; // plain: the owner is the only writer of _items
        while (true)
        {
            long head = Volatile.Read(ref _indices.Top); // acquire: pairs with the thieves' CAS of the head
            if (head >= tail)
            {
                work = default;
                return false;
            }

            int slot = (int)(head & (items.Length - 1));
            Work item = items[slot]; // plain: written by this thread before it published the tail
            bool won = Interlocked.CompareExchange(ref _indices.Top, head + 1, head) == head; // full fence: pairs with the thieves' CAS; decides who takes the item
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.StealHalfOwnerTakeWithoutCas))
            {
                Volatile.Write(ref _indices.Top, head + 1); // SEEDED FAULT: a plain store of the head instead of the CAS: a thief's batch may claim the same item
                won = true;
            }
#endif
            if (won)
            {
                items[slot] = default; // plain: a thief that read this slot fails its CAS (the head moved past it) and drops the value
                work = item;
                return true;
            }
        }
    }

    /// <summary>
    /// Thief (the owner of <paramref name="into"/>, which must be empty): claims about half of this queue's items with one
    /// CAS of the head, returns the oldest in <paramref name="work"/> and appends the rest to <paramref name="into"/>.
    /// False when this queue looked empty or the thief lost every race.
    /// </summary>
    internal bool TryStealHalf(StealHalfQueue into, out Work work)
    {
        Debug.Assert(into != this, "a queue steals from itself");
        Work[] mine = into._items; // plain: the thief is the owner of its queue
        long myTail = into._indices.Bottom; // plain: the thief is the only writer of its tail
        long myHead = Volatile.Read(ref into._indices.Top); // acquire: the thief's own head, moved by its thieves; a stale value only looks fuller
        int room = mine.Length - (int)(myTail - myHead);
        for (int attempt = 0; attempt < 4; attempt++)
        {
            long head = Volatile.Read(ref _indices.Top); // acquire: pairs with the other takers' CAS of the head
            long tail = Volatile.Read(ref _indices.Bottom); // acquire, after the head: pairs with the owner's release in TryPush; slots [head, tail) are published
            long queued = tail - head;
            if (queued <= 0)
            {
                break;
            }

            int count = (int)Math.Min(queued - (queued / 2), Math.Min(MaxBatch, room + 1L)); // at least one; the first is returned, the rest fit in the thief's free slots
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.StealHalfClaimsPastTail))
            {
                count = (int)Math.Min(queued + 1, room + 1L); // SEEDED FAULT: claims one slot past the tail: an unpublished (empty or stale) slot is taken, and the owner's next item there is skipped
            }
#endif
            Work[] items = Volatile.Read(ref _items); // acquire, after the tail: pairs with the owner's release in MakeRoom
            int mask = items.Length - 1;
            work = items[head & mask]; // plain: kept only if the CAS below wins, which proves the slot was not overwritten
            for (int i = 1; i < count; i++)
            {
                mine[(myTail + i - 1) & (mine.Length - 1)] = items[(head + i) & mask]; // plain: beyond the thief's tail, which no one reads before the release below
            }

            if (Interlocked.CompareExchange(ref _indices.Top, head + count, head) == head) // full fence: pairs with the owner's and other thieves' CAS; claims [head, head + count)
            {
                if (count > 1)
                {
                    Volatile.Write(ref into._indices.Bottom, myTail + count - 1); // release: publishes the moved items to the thief's own takers and thieves
                }

                return true;
            }
        }

        work = default;
        return false;
    }

    /// <summary>Owner, when its copy of the head says full: re-reads the head, and grows if still full; an empty array if at the largest capacity.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Work[] MakeRoom(Work[] items, long tail)
    {
        long head = Volatile.Read(ref _indices.Top); // acquire: pairs with the takers' CAS of the head
        _indices.CachedTop = head; // plain: the owner's own
        if (tail - head < items.Length)
        {
            return items;
        }

        if (items.Length >= _maxCapacity)
        {
            return [];
        }

        var grown = new Work[items.Length * 2];
        for (long i = head; i < tail; i++)
        {
            grown[i & (grown.Length - 1)] = items[i & (items.Length - 1)]; // plain: the new array is not published yet; the old one is written by the owner only
        }

        Volatile.Write(ref _items, grown); // release: the copies before it; pairs with the thieves' acquire of _items after the tail
        return grown;
    }
}
