namespace Primitives.CoyoteTests.RingBuffers.Twins;

/// <summary>The seeded faults of <see cref="FaultySpscRingBuffer{T}"/>, a copy of <c>SpscRingBuffer&lt;T&gt;</c>.</summary>
/// <remarks>Faults of the wait gate under the ring are selected with <c>GateFault</c> instead.</remarks>
public enum RingFault
{
    /// <summary>The code as in the library.</summary>
    None,

    /// <summary>TryWrite releases Tail before storing the item in its slot.</summary>
    PublishBeforeStore,

    /// <summary>TryRead releases Head before loading the item out of its slot.</summary>
    ReleaseHeadBeforeLoad,

    /// <summary>The batch write releases Tail before copying the items into their slots.</summary>
    BatchPublishBeforeCopy,

    /// <summary>The producer never refreshes its cached Head: once the cache says full, it stays full.</summary>
    NeverRefreshCachedHead,

    /// <summary>The consumer wakes a parked producer only when the free space EXCEEDS what it waits for
    /// (<c>&gt;</c> instead of <c>&gt;=</c> in NotifySpace): a producer waiting for exactly the space a read frees is never woken.</summary>
    NotifySpaceOffByOne,

    /// <summary>Complete() wakes the producer's gate but not the consumer's (a parked reader never learns of it).</summary>
    NoWakeOnComplete,

    /// <summary>WaitToRead/WaitToReadAsync report "completed" (false) as soon as the ring is completed,
    /// even while items written before completion remain (completion seen first).</summary>
    CompletionBeforeItems,
}
