using System.Diagnostics;
#if PRIMITIVES_FAULTS
using Primitives.Internal;
#endif

namespace Primitives.ForkJoin;

/// <summary>
/// A fixed-capacity Chase-Lev work-stealing deque of <see cref="Work"/> (join jobs and scope tasks): its owner
/// thread pushes and pops at the bottom (LIFO), any other thread steals from the top (FIFO).
/// </summary>
/// <remarks>
/// <para><b>Algorithm.</b> Chase and Lev, "Dynamic Circular Work-Stealing Deque" (SPAA 2005), with the
/// orderings of Lê, Pop, Cohen and Zappa Nardelli, "Correct and Efficient Work-Stealing for Weak Memory
/// Models" (PPoPP 2013). The array never grows: <see cref="TryPush"/> fails when it is full;
/// <see cref="Fork.Join(Action, Action)"/> then runs both sides on the calling thread, and a scope spawn goes to the
/// injection queue instead.</para>
/// <para><b>Owners.</b> <c>_bottom</c> is written by the owner only; <c>_top</c> only by CAS (thieves, and
/// the owner when it races a thief for the last item); a slot is written by the owner only, at index
/// <c>_bottom</c>, which no thief reads until the release store of <c>_bottom + 1</c>.</para>
/// <para><b>Orderings.</b> (1) Push: store the slot, then release-store <c>_bottom</c>; a thief acquires
/// <c>_bottom</c> before reading the slot. (2) Pop stores <c>_bottom - 1</c> and then loads <c>_top</c>; a
/// steal loads <c>_top</c> and then <c>_bottom</c>. Each side needs a full fence between its store/load
/// pair (Dekker again): the owner's is the <c>Interlocked.Exchange</c> of <c>_bottom</c>, the thief's an
/// explicit <c>Interlocked.MemoryBarrier</c>. Then either the thief sees the decremented bottom and backs
/// off, or the owner sees the thief's top and, for the last item, both race with a CAS on <c>_top</c>.
/// (3) A thief reads the slot before its CAS of <c>_top</c>; the owner cannot overwrite that slot before
/// the CAS, because it pushes only while <c>bottom - top &lt; capacity</c> with a top it read no later (its cached
/// copy, refreshed only when the copy says full: thieves never read the owner's line on a push, nor it theirs).</para>
/// <para><b>Slots.</b> A slot is a two-reference struct, written and read with plain accesses: the write is ordered
/// before the release store of <c>_bottom</c> that publishes it (ordering 1), and a thief keeps what it read only if
/// its CAS of <c>_top</c> succeeds, which proves the slot was not overwritten (ordering 3): a torn read is dropped.</para>
/// <para><b>References.</b> The owner clears the slots it pops; a stolen job's slot keeps its reference
/// until the owner pushes over it, so at most <see cref="Capacity"/> finished jobs stay reachable per thread.</para>
/// <para><b>Thread safety.</b> <see cref="TryPush"/> and <see cref="TryPop"/>: the owner thread only.
/// <see cref="TrySteal"/> and <see cref="LooksEmpty"/>: any thread.</para>
/// </remarks>
internal sealed class WorkStealingDeque
{
    /// <summary>Slots: pending joins one thread may have stacked up (its recursion depth, at most).</summary>
    internal const int Capacity = 1024;

    private const int Mask = Capacity - 1;

    private readonly Work[] _items = new Work[Capacity];
    private WorkStealingDequeIndices _indices; // mutable struct: do not make this readonly

    /// <summary>A cheap hint for thieves (no fence): false positives and negatives are both possible.</summary>
    internal bool LooksEmpty =>
        Volatile.Read(ref _indices.Top) >= Volatile.Read(ref _indices.Bottom); // acquire: hint only; TrySteal re-reads both with the fence

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
        if (bottom - top >= Capacity)
        {
            top = Volatile.Read(ref _indices.Top); // acquire: pairs with the thieves' CAS of _top; read only when the copy says full
            _indices.CachedTop = top; // plain: the owner's own
            if (bottom - top >= Capacity)
            {
                return false;
            }
        }

        _items[bottom & Mask] = work; // plain (two references): ordered before the release of _bottom below, which publishes it
        Volatile.Write(ref _indices.Bottom, bottom + 1); // release: pairs with the thief's acquire of _bottom in TrySteal (and, through the CAS or fence in Worker.WakeStealers, with a retiring stealer's last scan)
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

        Work item = _items[bottom & Mask]; // plain: our own slot, written by this thread in TryPush
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
                _items[bottom & Mask] = default; // plain: a losing thief may have loaded the slot; it drops the value after its failed CAS
                work = item;
            }

            Volatile.Write(ref _indices.Bottom, bottom + 1); // the deque is empty either way: top == bottom + 1 after a win, or a thief moved top
            return won;
        }

        Debug.Assert(item.Item is not null, $"slot {bottom} below the top holds no work");
        _items[bottom & Mask] = default; // plain: no thief keeps this slot: every thief saw top < bottom (see the remarks); drop the references
        work = item;
        return true;
    }

    /// <summary>Any thread but the owner: takes the oldest item; false when empty or when another thread won the race.</summary>
    internal bool TrySteal(out Work work)
    {
        work = default;
        long top = Volatile.Read(ref _indices.Top); // acquire: pairs with other thieves' CAS of _top
        Interlocked.MemoryBarrier(); // full fence: the load of _top is ordered before the load of _bottom (ordering 2)
        long bottom = Volatile.Read(ref _indices.Bottom); // acquire: pairs with the owner's release of _bottom in TryPush
        if (top >= bottom)
        {
            return false;
        }

        Work item = _items[top & Mask]; // plain: published by the release of _bottom (ordering 1); kept only if the CAS below wins (see Slots)
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
}
