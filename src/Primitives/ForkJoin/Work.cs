namespace Primitives.ForkJoin;

/// <summary>
/// One unit of work in the scheduler's deques and injection queue: either the right-hand side of a
/// <see cref="Fork.Join(Action, Action)"/> (<see cref="Scope"/> is null, <see cref="Item"/> is a <see cref="JoinJob"/>), or
/// a task spawned into a shared <see cref="ForkJoinScope"/> (<see cref="Item"/> is its <c>Action&lt;ForkJoinScope&gt;</c>).
/// </summary>
/// <remarks>
/// Two references instead of one object per task: a spawn allocates nothing of its own. A deque slot holding a
/// <see cref="Work"/> is written by its owner before the release store of <c>bottom</c> that publishes it, and a thief
/// that reads it keeps the value only if its CAS of <c>top</c> succeeds, before which the owner cannot overwrite the
/// slot (see <see cref="WorkStealingDeque"/>), so a torn read is never used.
/// </remarks>
internal readonly struct Work
{
    internal Work(JoinJob job)
    {
        Item = job;
        Scope = null;
    }

    internal Work(Action<ForkJoinScope> task, ForkJoinScope scope)
    {
        Item = task;
        Scope = scope;
    }

    /// <summary>The job or the scope task; null only in an empty slot.</summary>
    internal object? Item { get; }

    /// <summary>The scope of a scope task; null for a join job.</summary>
    internal ForkJoinScope? Scope { get; }
}
