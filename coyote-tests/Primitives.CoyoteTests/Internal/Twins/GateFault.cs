namespace Primitives.CoyoteTests.Internal.Twins;

/// <summary>The seeded faults of <see cref="FaultyWaitGate"/>, a copy of <c>Primitives.Internal.WaitGate</c>.</summary>
public enum GateFault
{
    /// <summary>The code as in the library.</summary>
    None,

    /// <summary>The waiter re-checks the condition BEFORE announcing itself (lost wake-up: a signal
    /// between the check and the announcement sees no waiter and pulses nobody).</summary>
    AnnounceAfterRecheck,

    /// <summary><c>NotifyAll</c> pulses the monitor but does not complete the async waiters' signal.</summary>
    NoAsyncWake,

    /// <summary>The waiter does not register for cancellation: a cancelled, parked waiter is never woken.</summary>
    IgnoreCancellation,
}
