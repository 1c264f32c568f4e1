using System.Diagnostics;
using System.Runtime.CompilerServices;
#if PRIMITIVES_FAULTS
using Primitives.Internal;
#endif

namespace Primitives.ForkJoin;

/// <summary>
/// A growable Chase-Lev work-stealing deque of <see cref="Work"/> (join jobs and scope tasks): its owner
/// thread pushes and pops at the bottom (LIFO), any other thread steals from the top (FIFO).
/// </summary>
/// <remarks>
/// <para><b>Algorithm.</b> Chase and Lev, "Dynamic Circular Work-Stealing Deque" (SPAA 2005), with the
/// orderings of Lê, Pop, Cohen and Zappa Nardelli, "Correct and Efficient Work-Stealing for Weak Memory
/// Models" (PPoPP 2013). When a push finds the array full, the owner grows it (doubling, from
/// <see cref="InitialCapacity"/> up to <see cref="MaxCapacity"/>): it copies the live range <c>[top, bottom)</c> into
/// a new array and publishes that with a release store of <c>_items</c>. Only at <see cref="MaxCapacity"/> does
/// <see cref="TryPush"/> fail; <see cref="Fork.Join(Action, Action)"/> then runs both sides on the calling thread, and
/// a scope spawn goes to the injection queue instead. The array never shrinks.</para>
/// <para><b>Owners.</b> <c>_bottom</c> is written by the owner only; <c>_top</c> only by CAS (thieves, and
/// the owner when it races a thief for the last item); a slot is written by the owner only, at index
/// <c>_bottom</c>, which no thief reads until the release store of <c>_bottom + 1</c>. <c>_items</c> is written by the
/// owner only (on growth); an array it replaced is never written again (pops clear slots of the current array only).
/// The push count (<see cref="SizeAndPushes"/>) is written by the owner only and read by thieves as a hint, never for
/// correctness.</para>
/// <para><b>Orderings.</b> (1) Push: store the slot, then release-store <c>_bottom</c>; a thief acquires
/// <c>_bottom</c> before reading the slot. (2) Pop stores <c>_bottom - 1</c> and then loads <c>_top</c>; a
/// steal loads <c>_top</c> and then <c>_bottom</c>. Each side needs a full fence between its store/load
/// pair (Dekker again): the owner's is the <c>Interlocked.Exchange</c> of <c>_bottom</c>, the thief's an
/// explicit <c>Interlocked.MemoryBarrier</c>. Then either the thief sees the decremented bottom and backs
/// off, or the owner sees the thief's top and, for the last item, both race with a CAS on <c>_top</c>.
/// (3) A thief reads the slot before its CAS of <c>_top</c>; the owner cannot overwrite that slot before
/// the CAS, because it pushes only while <c>bottom - top &lt; capacity</c> with a top it read no later (its cached
/// copy, refreshed only when the copy says full: thieves never read the owner's line on a push, nor it theirs).
/// (4) Growth: the owner copies the live range into the new array, then release-stores <c>_items</c>, and only then
/// writes the new slot and release-stores <c>_bottom</c>. A thief acquires <c>_items</c> AFTER <c>_bottom</c>. While
/// <c>top</c> stays at the thief's <c>t</c> (its CAS proves it did), the item at index <c>t</c> is fixed (ordering 3),
/// and every array from the one it was pushed into onwards holds it at <c>t</c>: each growth copies from a
/// <c>top</c> no greater than <c>t</c>. The <c>_bottom</c> the thief read was published after that push, so the
/// array it acquires next is that one or a newer one. Reading the array before the indices breaks this: an older
/// array holds, at <c>t</c>'s slot, whatever was there before the growth.</para>
/// <para><b>Slots.</b> A slot is a two-reference struct, written and read with plain accesses: the write is ordered
/// before the release store of <c>_bottom</c> that publishes it (ordering 1), and a thief keeps what it read only if
/// its CAS of <c>_top</c> succeeds, which proves the slot was not overwritten (ordering 3): a torn read is dropped.</para>
/// <para><b>References.</b> The owner clears the slots it pops; a stolen job's slot keeps its reference
/// until the owner pushes over it, so at most the array's length of finished jobs stay reachable per thread (and, in a
/// replaced array, until the last thief that read it lets go of it).</para>
/// <para><b>Thread safety.</b> <see cref="TryPush"/> and <see cref="TryPop"/>: the owner thread only.
/// <see cref="TrySteal"/> and <see cref="LooksEmpty"/>: any thread.</para>
/// </remarks>
internal sealed class WorkStealingDeque
{
    /// <summary>Slots of a new deque: 16 KiB, enough for the join jobs of a recursion 1,024 deep.</summary>
    internal const int InitialCapacity = 1024;

    /// <summary>The most slots a deque grows to (1 MiB): a push into a deque that holds this many items fails.</summary>
    internal const int MaxCapacity = 1 << 16;

    private readonly int _maxCapacity;
    private Work[] _items; // written by the owner only (TryPush's growth); thieves acquire it after _bottom
    private WorkStealingDequeIndices _indices; // mutable struct: do not make this readonly

    /// <summary>A deque of <see cref="InitialCapacity"/> slots that grows up to <see cref="MaxCapacity"/>.</summary>
    internal WorkStealingDeque()
        : this(InitialCapacity, MaxCapacity)
    {
    }

    /// <summary>For tests: a deque of <paramref name="initialCapacity"/> slots that grows up to <paramref name="maxCapacity"/> (powers of two).</summary>
    internal WorkStealingDeque(int initialCapacity, int maxCapacity)
    {
        Debug.Assert(int.IsPow2(initialCapacity) && int.IsPow2(maxCapacity) && initialCapacity <= maxCapacity, "capacities must be powers of two, initial <= max");
        _items = new Work[initialCapacity];
        _maxCapacity = maxCapacity;
    }

    /// <summary>The current array's length (owner only: tests).</summary>
    internal int CurrentCapacity => _items.Length; // plain: the owner is the only writer of _items

    /// <summary>A cheap hint for thieves (no fence): false positives and negatives are both possible.</summary>
    internal bool LooksEmpty =>
        Volatile.Read(ref _indices.Top) >= Volatile.Read(ref _indices.Bottom); // acquire: hint only; TrySteal re-reads both with the fence

    /// <summary>
    /// A hint for thieves (no fence): the items the deque seems to hold (top read before bottom, as in
    /// <see cref="LooksEmpty"/>) and how many pushes it had seen by then. Two reads with the same push count and one item
    /// mean the same item stayed there in between (slots change only by pushes).
    /// </summary>
    internal long SizeAndPushes(out long pushes)
    {
        long top = Volatile.Read(ref _indices.Top); // acquire: hint only
        pushes = Volatile.Read(ref _indices.Pushes); // acquire: hint only; pairs with the owner's release in TryPush
        return Volatile.Read(ref _indices.Bottom) - top; // acquire: hint only; TrySteal re-reads both with the fence
    }

    /// <summary>Owner: pushes <paramref name="work"/> at the bottom; false if the deque is full.</summary>
    internal bool TryPush(in Work work)
    {
        long bottom = Volatile.Read(ref _indices.Bottom); // the owner is the only writer of _bottom
        long top = _indices.CachedTop; // plain: the owner's own copy; top only grows, so a stale value only makes the deque look fuller
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.DequePushIgnoresCapacity))
        {
            top = bottom; // SEEDED FAULT: never full: a push into a full deque overwrites the oldest item's slot
        }
#endif
        Work[] items = _items; // plain: the owner is the only writer of _items
        if (bottom - top >= items.Length)
        {
            top = Volatile.Read(ref _indices.Top); // acquire: pairs with the thieves' CAS of _top; read only when the copy says full
            _indices.CachedTop = top; // plain: the owner's own
            if (bottom - top >= items.Length)
            {
                if (items.Length >= _maxCapacity)
                {
                    return false;
                }

                items = Grow(items, top, bottom);
            }
        }

        items[bottom & (items.Length - 1)] = work; // plain (two references): ordered before the release of _bottom below, which publishes it
        Volatile.Write(ref _indices.Pushes, _indices.Pushes + 1); // release, a hint for thieves (SizeAndPushes); the owner is the only writer
        Volatile.Write(ref _indices.Bottom, bottom + 1); // release: pairs with the thief's acquire of _bottom in TrySteal (and with a retiring stealer's last scan, after its process-wide barrier: see Worker)
        return true;
    }

    /// <summary>Owner: pops the newest item; false if thieves took everything.</summary>
    internal bool TryPop(out Work work)
    {
        work = default;
        long bottom = Volatile.Read(ref _indices.Bottom) - 1; // the owner is the only writer of _bottom
        Interlocked.Exchange(ref _indices.Bottom, bottom); // full fence: the store of _bottom is ordered before the load of _top (ordering 2)
        long top = Volatile.Read(ref _indices.Top); // acquire: pairs with the thieves' CAS of _top
        if (top > bottom)
        {
            Volatile.Write(ref _indices.Bottom, bottom + 1); // empty: restore (thieves saw top >= bottom and backed off)
            return false;
        }

        Work[] items = _items; // plain: the owner is the only writer of _items
        int slot = (int)(bottom & (items.Length - 1));
        Work item = items[slot]; // plain: our own slot, written by this thread in TryPush
        if (top == bottom)
        {
            // The last item: a thief may be taking it right now. The CAS of _top decides.
            bool won = Interlocked.CompareExchange(ref _indices.Top, top + 1, top) == top; // full fence: pairs with the thieves' CAS
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.JoinPopWithoutCas))
            {
                won = true; // SEEDED FAULT: takes the last item whatever the race with the thieves' CAS: a thief may run it too
            }
#endif
            if (won)
            {
                items[slot] = default; // plain: a losing thief may have loaded the slot; it drops the value after its failed CAS
                work = item;
            }

            Volatile.Write(ref _indices.Bottom, bottom + 1); // the deque is empty either way: top == bottom + 1 after a win, or a thief moved top
            return won;
        }

        Debug.Assert(item.Item is not null, $"slot {bottom} below the top holds no work");
        items[slot] = default; // plain: no thief keeps this slot: every thief saw top < bottom (see the remarks); drop the references
        work = item;
        return true;
    }

    /// <summary>Any thread but the owner: takes the oldest item; false when empty or when another thread won the race.</summary>
    internal bool TrySteal(out Work work)
    {
        work = default;
#if PRIMITIVES_FAULTS
        Work[]? early = Fault.Is(FaultId.DequeStealReadsArrayFirst) ? Volatile.Read(ref _items) : null; // SEEDED FAULT: the array is read before the indices: after a growth, it may be an old array whose slot at top holds an older item
#endif
        long top = Volatile.Read(ref _indices.Top); // acquire: pairs with other thieves' CAS of _top
        Interlocked.MemoryBarrier(); // full fence: the load of _top is ordered before the load of _bottom (ordering 2)
        long bottom = Volatile.Read(ref _indices.Bottom); // acquire: pairs with the owner's release of _bottom in TryPush
        if (top >= bottom)
        {
            return false;
        }

        Work[] items = Volatile.Read(ref _items); // acquire, after _bottom: pairs with the owner's release in Grow (ordering 4)
#if PRIMITIVES_FAULTS
        items = early ?? items;
#endif
        Work item = items[top & (items.Length - 1)]; // plain: published by the release of _bottom (ordering 1); kept only if the CAS below wins (see Slots)
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.JoinStealWithoutCas))
        {
            Volatile.Write(ref _indices.Top, top + 1); // SEEDED FAULT: no CAS: the owner's pop of the last item, or another thief, can take the same job
            work = item;
            return true;
        }
#endif
        if (Interlocked.CompareExchange(ref _indices.Top, top + 1, top) != top) // full fence: pairs with the owner's CAS in TryPop
        {
            return false;
        }

        work = item;
        return true;
    }

    /// <summary>Owner, on a push into a full array: copies the live range into one twice as long and publishes it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Work[] Grow(Work[] old, long top, long bottom)
    {
        var grown = new Work[old.Length * 2];
        for (long i = top; i < bottom; i++)
        {
            grown[i & (grown.Length - 1)] = old[i & (old.Length - 1)]; // plain: the new array is not published yet; the old one is written by the owner only
        }

        Volatile.Write(ref _items, grown); // release: the copies before it; pairs with the thieves' acquire of _items in TrySteal (ordering 4)
        return grown;
    }
}
