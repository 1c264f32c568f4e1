namespace Primitives.CoyoteTests.RingBuffers;

/// <summary>The sizes every systematic ring test shares.</summary>
internal static class RingTestShape
{
    /// <summary>Items written beyond the capacity, so that every slot is reused at least once. Few on
    /// purpose: every extra step dilutes the exploration.</summary>
    public const int ExtraItems = 3;

    /// <summary>
    /// Scheduling points a thread may let pass (<see cref="Harness.Jitter.Steps"/>) before it acts on the
    /// other side: a little more than a ring waiter's path to parking (WaitGate.SpinCount = 50 spins of
    /// about 6 points, then the announcement), so that the action lands anywhere in that wait.
    /// </summary>
    public const int MaxJitter = 500;
}
