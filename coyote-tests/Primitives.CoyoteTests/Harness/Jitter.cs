using Microsoft.Coyote.Random;
using Microsoft.Coyote.Runtime;

namespace Primitives.CoyoteTests.Harness;

/// <summary>
/// Spreads a thread's next action over another thread's path (see docs/coyote.md, "Jitter").
/// </summary>
/// <remarks>
/// Coyote's fair strategies pick the next thread uniformly at each scheduling point, so an action
/// that comes right after a task is started almost always lands early in that task's path: a waiter
/// that spins 50 times before parking is practically never caught between its re-check and its
/// announcement. <see cref="Steps"/> passes over a number of scheduling points that Coyote chooses
/// (a controlled, recorded choice, so traces still replay), which moves the action uniformly along
/// the other thread's path: before its spin, during it, at its re-check, after it parked.
/// </remarks>
public static class Jitter
{
    /// <summary>Passes over between 0 and <paramref name="max"/> scheduling points, as Coyote chooses.</summary>
    public static void Steps(int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        int count = Generator.Create().NextInteger(max + 1);
        for (int i = 0; i < count; i++)
        {
            SchedulingPoint.Interleave();
        }
    }
}
