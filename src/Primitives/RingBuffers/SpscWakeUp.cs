using System.Runtime.CompilerServices;
using Primitives.Internal;

namespace Primitives.RingBuffers;

/// <summary>
/// The waiter's threshold and the wake-up check that <see cref="SpscRingBuffer{T}"/> (both sides) and
/// <see cref="SpscQueue{T}"/> (the consumer) share. Why no wake-up is lost is argued once, in
/// SpscRingBuffer's NotifySpace: the waiter stores its threshold before it announces itself on the gate and
/// re-checks after (WaitGate's handshake), and what it waits for only grows through the other side's
/// publishes, each followed by the check of <see cref="IsReady"/>.
/// </summary>
internal static class SpscWakeUp
{
    /// <summary>Waiting side, before any wait: stores how many items (or free slots) the wait needs, for the
    /// other side's <see cref="IsReady"/>. Stores nothing when the threshold is unchanged.</summary>
    /// <param name="threshold">The waiting side's own threshold field.</param>
    /// <param name="needed">The items (or free slots) the wait needs.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SetNeeded(ref int threshold, int needed)
    {
        if (threshold != needed) // plain: the waiting side's own field
        {
            Volatile.Write(ref threshold, needed); // release: read by the other side in IsReady after it sees this waiter announced (the gate's announce follows this store)
        }
    }

    /// <summary>Publishing side, after its release store and only when a waiter is announced on the gate: whether
    /// <paramref name="limit"/> minus the parked side's index reaches its threshold (items published up to Tail for a
    /// consumer; free slots up to Head + capacity for a producer). The caller checks the gate's waiter count first
    /// and wakes the gate when this is true.</summary>
    /// <param name="limit">The bound this side has just published (Tail, or Head + capacity).</param>
    /// <param name="waiterIndex">The parked side's index (Head, or Tail).</param>
    /// <param name="threshold">The parked side's threshold (DataNeeded, or SpaceNeeded).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsReady(long limit, ref long waiterIndex, ref int threshold) =>
        limit - Volatile.Read(ref waiterIndex) >= Volatile.Read(ref threshold); // acquire waiterIndex: the parked side's latest; acquire threshold: pairs with the release in SetNeeded (or the ring's store of SpaceNeeded)

    /// <summary>
    /// A side that has just re-read the other side's index records how its next wait should spin: patiently when the
    /// refresh found more than one item (or free slot), since the other side is then streaming and frequent polls would
    /// only slow its stores (<see cref="SpinPolicy.Patient"/>); eagerly when it found exactly one, as in a request and
    /// reply, where a pause would only add latency. A refresh that found nothing keeps the last verdict.
    /// </summary>
    /// <param name="policy">The side's own policy field.</param>
    /// <param name="found">What the refresh found: items for a consumer, free slots for a producer.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Learn(ref SpinPolicy policy, long found)
    {
        if (found != 0)
        {
            policy = found > 1 ? SpinPolicy.Patient : SpinPolicy.Eager; // plain: the side's own field
        }
    }
}
