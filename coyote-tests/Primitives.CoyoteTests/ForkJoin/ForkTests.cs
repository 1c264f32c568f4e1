using Primitives.CoyoteTests.Harness;
using Primitives.ForkJoin;
using Primitives.Internal;

namespace Primitives.CoyoteTests.ForkJoin;

/// <summary>
/// Systematic tests of <c>Fork.Join</c>: Chase-Lev deques, stealers and joins nested two or three levels deep.
/// Stealers are launched with Task.Run here (see <see cref="LaunchWithTasks"/>), so Coyote schedules them against the
/// owners' pushes, pops and waits. Each body starts with <see cref="Worker.ResetForSystematicTest"/>: the workers
/// and stealer slots are process-wide, and an iteration that Coyote cuts short leaves them behind.
/// </summary>
/// <remarks>
/// The reset also lowers the idle scans before a stealer retires or an owner parks from 64 to 4: a body then takes
/// hundreds of scheduling steps instead of thousands, and retirements (decrement, last scan) and parks come often.
/// </remarks>
public sealed class ForkTests(ITestOutputHelper output)
{
    private const int MaxSteps = 20_000;

    /// <summary>Two stealers besides the owner: thief against thief, and thief against the owner's pop.</summary>
    private const int Stealers = 2;

    /// <summary>Idle scans before a stealer retires or an owner parks (shipped: 64): short iterations, many retirements.</summary>
    private const int IdleSpins = 4;

    // Scheduling points a left side of ResultsBody may pass over: about two idle scans of a stealer.
    private const int LeftJitter = 60;

    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: every job of a two-level join runs exactly once, and each join returns both of its results.
    [Fact]
    public void Every_job_runs_once_and_both_results_are_returned() =>
        _coyote.Run(ResultsBody, maxSteps: MaxSteps);

    // Invariant: joins nested on one thread, all of one job type (each depth reuses its own job), run every side exactly
    // once and return normally.
    [Fact]
    public void Nested_joins_reusing_jobs_run_every_side_once() =>
        _coyote.Run(ReusedJobsBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.JoinJobReusedAcrossDepths)]
    public void A_job_shared_by_nested_joins_is_found() =>
        _coyote.ExpectFault(FaultId.JoinJobReusedAcrossDepths, ReusedJobsBody, "twice or never", maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.JoinStealWithoutCas)]
    public void A_steal_without_its_CAS_is_found() =>
        _coyote.ExpectFault(FaultId.JoinStealWithoutCas, ResultsBody, "ran twice | NullReferenceException", maxSteps: MaxSteps); // two thieves run one job, or the second reads the slot its owner already cleared

    [Fact]
    [SeededFault(FaultId.JoinPopWithoutCas)]
    public void A_pop_of_the_last_job_without_its_CAS_is_found() =>
        _coyote.ExpectFault(FaultId.JoinPopWithoutCas, ResultsBody, "ran twice", scale: 4, maxSteps: MaxSteps); // the thief's steal must overlap the owner's pop of its job, and patient stealers take a lone job only on a later sighting: found in 10-250 iterations, some seeds later

    [Fact]
    [SeededFault(FaultId.JoinDoneBeforeResult)]
    public void A_stolen_job_marked_done_before_its_result_is_found() =>
        _coyote.ExpectFault(FaultId.JoinDoneBeforeResult, ResultsBody, "wrong result", maxSteps: MaxSteps);

    // Invariant: joins nested three levels deep finish (no hang: Coyote reports a deadlock or the step bound) while
    // stealers take and run jobs at every level, and every leaf runs exactly once.
    [Fact]
    public void Three_level_nested_joins_finish_with_stealers_running() =>
        _coyote.Run(NestedBody, maxSteps: MaxSteps);

    // Invariant: when both sides throw, Join throws one AggregateException with the left side's exception first and
    // the right side's second, whichever thread ran the right side; a nested join inside the right side completes first.
    [Fact]
    public void Exceptions_of_both_sides_are_aggregated_left_first() =>
        _coyote.Run(ExceptionBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.JoinDoneBeforeResult)]
    public void A_stolen_job_marked_done_before_its_exception_is_found() =>
        _coyote.ExpectFault(FaultId.JoinDoneBeforeResult, ExceptionBody, "not aggregated | of its 2 sides", maxSteps: MaxSteps); // the owner misses the right side's exception, or returns before the right side ran

    private static void ResultsBody()
    {
        Worker.ResetForSystematicTest(Stealers, IdleSpins);
        int[] runs = new int[4];
        int Leaf(int i)
        {
            if (i % 2 == 0)
            {
                Jitter.Steps(LeftJitter); // a left side of any length: a patient stealer takes the lone job on a later sighting, maybe as its owner pops it
            }

            CoyoteAssert.True(Interlocked.Increment(ref runs[i]) == 1, $"job {i} ran twice");
            return i + 1;
        }

        ((int a, int b), (int c, int d)) = Fork.Join(
            () => Fork.Join(() => Leaf(0), () => Leaf(1)),
            () => Fork.Join(() => Leaf(2), () => Leaf(3)));
        CoyoteAssert.True((a, b, c, d) == (1, 2, 3, 4), $"a join returned a wrong result: ({a}, {b}), ({c}, {d})");
        for (int i = 0; i < runs.Length; i++)
        {
            CoyoteAssert.True(Volatile.Read(ref runs[i]) == 1, $"job {i} ran {Volatile.Read(ref runs[i])} times before the join returned");
        }
    }

    private static void ReusedJobsBody()
    {
        Worker.ResetForSystematicTest(Stealers, IdleSpins);
        int[] runs = new int[4];
        void Leaf(int i) => CoyoteAssert.True(Interlocked.Increment(ref runs[i]) == 1, $"leaf {i} ran twice or never");
        try
        {
            Fork.Join(() => Fork.Join(() => Leaf(0), () => Leaf(1)), () => Fork.Join(() => Leaf(2), () => Leaf(3)));
        }
        catch (AggregateException error)
        {
            CoyoteAssert.True(false, $"a join threw {error.InnerException?.GetType().Name}: some side ran twice or never");
        }

        for (int i = 0; i < runs.Length; i++)
        {
            CoyoteAssert.True(Volatile.Read(ref runs[i]) == 1, $"leaf {i} ran {Volatile.Read(ref runs[i])} times: a side ran twice or never");
        }
    }

    private static void NestedBody()
    {
        Worker.ResetForSystematicTest(Stealers, IdleSpins);
        int[] runs = new int[8];
        void Leaf(int i) => CoyoteAssert.True(Interlocked.Increment(ref runs[i]) == 1, $"leaf {i} ran twice");
        void Tree(int from, int count)
        {
            if (count == 1)
            {
                Leaf(from);
                return;
            }

            Fork.Join(() => Tree(from, count / 2), () => Tree(from + (count / 2), count / 2));
        }

        Tree(0, runs.Length);
        for (int i = 0; i < runs.Length; i++)
        {
            CoyoteAssert.True(Volatile.Read(ref runs[i]) == 1, $"leaf {i} ran {Volatile.Read(ref runs[i])} times before the join returned");
        }
    }

    private static void ExceptionBody()
    {
        Worker.ResetForSystematicTest(Stealers, IdleSpins);
        var leftError = new InvalidOperationException("left");
        var rightError = new InvalidOperationException("right");
        int inner = 0;
        try
        {
            Fork.Join(
                () => throw leftError,
                () =>
                {
                    Fork.Join(() => Interlocked.Increment(ref inner), () => Interlocked.Increment(ref inner));
                    throw rightError;
                });
            CoyoteAssert.True(false, "both sides threw, yet the join returned normally: the exceptions were not aggregated");
        }
        catch (AggregateException aggregate)
        {
            CoyoteAssert.True(
                aggregate.InnerExceptions.Count == 2 && aggregate.InnerExceptions[0] == leftError && aggregate.InnerExceptions[1] == rightError,
                $"the exceptions were not aggregated left first: [{string.Join(", ", aggregate.InnerExceptions.Select(e => e.Message))}]");
        }

        CoyoteAssert.True(Volatile.Read(ref inner) == 2, $"the nested join inside the right side ran {Volatile.Read(ref inner)} of its 2 sides");
    }
}
