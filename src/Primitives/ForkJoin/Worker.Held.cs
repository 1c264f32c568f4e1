using System.Runtime.CompilerServices;
#if PRIMITIVES_FAULTS
using Primitives.Internal;
#endif

namespace Primitives.ForkJoin;

// The per-thread state a worker reuses: the scope counts its thread holds, and its join jobs. Design note:
// docs/fork-join-scope.md ("Held counts and spawn credit", "Fork.Join").
internal sealed partial class Worker
{
    /// <summary>Counts a thread reserves at once for its spawns into the scope whose counts it holds (one CAS per this many spawns).</summary>
    private const int SpawnCredit = 256;

    private ForkJoinScope? _heldScope; // plain, as _heldCount: this worker's own, used by its thread only
    private int _heldCount; // counts of _heldScope's Pending that stand for no live task (see HoldCountsOf)
    private JoinJob?[] _jobs = new JoinJob?[16]; // plain: this thread's join jobs for reuse, one per depth (see RentJob)

    /// <summary>
    /// Owner, in a scheduling context: from now on the tasks this thread finishes for <paramref name="scope"/>, and the
    /// credit it reserves for spawns into it, are held here (counts of <paramref name="scope"/>'s Pending that stand for
    /// no live task). Gives back what it held for another scope first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void HoldCountsOf(ForkJoinScope scope)
    {
        if (!ReferenceEquals(_heldScope, scope)) // plain: this thread's own
        {
            SwitchHeldScope(scope);
        }
    }

    /// <summary>The scope whose counts this thread holds; null when none. Owner.</summary>
    internal ForkJoinScope? HeldScope => _heldScope; // plain: this thread's own

    /// <summary>
    /// Owner, when code of <paramref name="context"/> resumes after this thread ran work of other scopes (a join's right
    /// side and its caller after the join ran scope tasks it popped; a helping wait's caller; a <c>Run</c> body's caller):
    /// gives back the counts held for any other scope and holds <paramref name="context"/>'s again: the scope whose task
    /// or body that code is (null: none). Counts held for a scope whose task the thread no longer runs would keep that
    /// scope from finishing while the thread runs, or waits in, unrelated code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void RestoreHeldScope(ForkJoinScope? context)
    {
        if (!ReferenceEquals(_heldScope, context)) // plain: this thread's own
        {
            SwitchHeldScope(context);
        }
    }

    /// <summary>Owner: subtracts the counts this thread holds from their scope's Pending (before any wait).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void FlushHeldCounts()
    {
        int held = _heldCount; // plain: this thread's own
        if (held != 0)
        {
            _heldCount = 0;
            _heldScope!.CountFinished(held);
        }
    }

    /// <summary>
    /// Any thread, spawning into the shared <paramref name="scope"/>: takes one of the counts this thread holds for it
    /// (reserving a chunk when it holds none), so that the spawn needs no Interlocked operation of its own. False when
    /// this thread holds no counts for the scope or is outside the scheduler: the spawn counts itself with a CAS.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryTakeSpawnCount(ForkJoinScope scope)
    {
        Worker? worker = CurrentOrNull;
        if (worker is null || !ReferenceEquals(worker._heldScope, scope) || worker._depth == 0) // plain: this thread's own fields
        {
            return false;
        }

        if (worker._heldCount == 0)
        {
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.SchedulerSpawnWithoutCredit))
            {
                return true; // SEEDED FAULT: a spawn counted from credit this thread does not hold: Pending under-counts, and the scope can finish while its task runs
            }
#endif
            if (!scope.TryReserveSpawnCounts(SpawnCredit))
            {
                return false; // the scope has finished: the CAS path throws
            }

            worker._heldCount = SpawnCredit;
        }

        worker._heldCount--;
        return true;
    }

    /// <summary>Whether this thread holds no counts (tests).</summary>
    internal bool HoldsNoCounts => _heldCount == 0; // plain: this thread's own

    /// <summary>
    /// Owner, in a join at the current depth: this thread's reusable job for that depth, set up for <paramref name="right"/>
    /// (joins nest strictly, so no live join of this thread uses the same depth).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ActionJoinJob RentJob(Action right)
    {
        int depth = JobDepth; // the enclosing Enter made it positive
        JoinJob?[] jobs = _jobs; // plain: this thread's own
        if ((uint)depth >= (uint)jobs.Length || jobs[depth] is not ActionJoinJob job)
        {
            job = (ActionJoinJob)StoreJob(depth, new ActionJoinJob(this));
        }

        job.Prepare(right);
        return job;
    }

    /// <summary>As <see cref="RentJob(Action)"/>, for a join side that returns a <typeparamref name="T"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal FuncJoinJob<T> RentJob<T>(Func<T> right)
    {
        int depth = JobDepth;
        JoinJob?[] jobs = _jobs; // plain: this thread's own
        if ((uint)depth >= (uint)jobs.Length || jobs[depth] is not FuncJoinJob<T> job)
        {
            job = (FuncJoinJob<T>)StoreJob(depth, new FuncJoinJob<T>(this));
        }

        job.Prepare(right);
        return job;
    }

    /// <summary>The index of the current join's job: the depth, or 0 always in the fault build's broken variant.</summary>
    private int JobDepth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.JoinJobReusedAcrossDepths))
            {
                return 0; // SEEDED FAULT: every join of a thread shares one job: a nested join re-arms its enclosing join's job while that one is still on the deque
            }
#endif
            return _depth; // plain: this thread's own
        }
    }

    /// <summary>
    /// Runs a scope task holding counts of its scope (its spawns take them), then holds one more for the finished task,
    /// subtracting them all once they reach the batch size.
    /// </summary>
    private void RunTaskHeld(ForkJoinScope scope, Action<ForkJoinScope> task)
    {
        HoldCountsOf(scope);
        scope.RunTask(task);
        HoldCountsOf(scope); // the task may have run other scopes' work (a join, a nested scope) that held their counts
        _heldCount = scope.CountFinishedInBatches(_heldCount + 1); // plain: this thread's own
    }

    /// <summary>Gives back the counts held for the previous scope and holds none for <paramref name="scope"/> yet.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SwitchHeldScope(ForkJoinScope? scope)
    {
        FlushHeldCounts();
        _heldScope = scope; // plain: this thread's own
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private JoinJob StoreJob(int depth, JoinJob job)
    {
        if (depth >= _jobs.Length)
        {
            Array.Resize(ref _jobs, Math.Max(depth + 1, _jobs.Length * 2)); // plain: this thread's own
        }

        _jobs[depth] = job;
        return job;
    }
}
