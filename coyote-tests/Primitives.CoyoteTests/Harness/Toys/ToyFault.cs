namespace Primitives.CoyoteTests.Harness.Toys;

/// <summary>The seeded faults of the harness's own toy primitives (<see cref="ToyMailbox"/>, <see cref="ToyLatch"/>).</summary>
public enum ToyFault
{
    /// <summary>The correct code.</summary>
    None,

    /// <summary>Mailbox: raise the "full" flag before storing the value.</summary>
    PublishBeforeStore,

    /// <summary>Mailbox: never raise the "full" flag, so the consumer spins forever (a livelock).</summary>
    NeverPublish,

    /// <summary>Latch: re-check the flag before announcing the waiter (lost wake-up).</summary>
    AnnounceAfterCheck,
}
