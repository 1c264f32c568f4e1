namespace Primitives.CoyoteTests.ForkJoin.Twins;

/// <summary>The seeded faults of <see cref="FaultyForkJoinScope"/>, a copy of <c>Primitives.ForkJoin.ForkJoinScope</c>.</summary>
public enum ScopeFault
{
    /// <summary>The algorithm as in the library.</summary>
    None,

    /// <summary>A task is counted finished BEFORE it runs: the join can return while it still runs.</summary>
    CountBeforeRun,

    /// <summary>Exceptions are pushed with a read and a store instead of a CAS: a concurrent push is lost.</summary>
    PushWithoutCas,

    /// <summary>A runner that finds the queue empty exits without re-checking it: a task spawned at that moment is stranded.</summary>
    RunnerExitWithoutRecheck,

    /// <summary>The joiner parks before subtracting the tasks it ran itself from the count: it waits for itself.</summary>
    JoinerParksBeforeCounting,
}
