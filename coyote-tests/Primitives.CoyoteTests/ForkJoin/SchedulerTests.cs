using Primitives.CoyoteTests.Harness;
using Primitives.ForkJoin;
using Primitives.Internal;

namespace Primitives.CoyoteTests.ForkJoin;

/// <summary>
/// Systematic tests of the shared work-stealing scheduler under <c>Fork.Join</c> and shared <c>ForkJoinScope</c>s
/// (<c>Open()</c>, <c>Run</c>): scope tasks pushed on the running thread's task queue or deque, injected from outside, stolen by
/// stealers, run by helping joiners, and joins and scopes nested in each other. Stealers are launched with Task.Run
/// (see <see cref="LaunchWithTasks"/>); each body starts with <see cref="Worker.ResetForSystematicTest"/>, two stealers
/// and four idle scans before a stealer retires or a joiner parks.
/// </summary>
public sealed class SchedulerTests(ITestOutputHelper output)
{
    private const int MaxSteps = 20_000;

    private const int Stealers = 2;

    private const int IdleSpins = 4;

    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: a shared scope's Join returns only after every task ran exactly once: tasks spawned from outside
    // (injected), from inside a task (the running thread's task queue), and from the left side of a Fork.Join inside a task
    // (pushed above the join's own job); and it never hangs.
    [Fact]
    public void Shared_scope_join_runs_every_task_once_and_returns_after_all() =>
        _coyote.Run(SharedCompletionBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.ScopeCountBeforeRun)]
    public void Counting_a_shared_task_before_it_runs_is_found() =>
        _coyote.ExpectFault(FaultId.ScopeCountBeforeRun, SharedCompletionBody, "returned early", maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.SchedulerHelperWaitsHoldingCount)]
    public void A_helper_that_waits_holding_counts_is_found() =>
        _coyote.ExpectFault(FaultId.SchedulerHelperWaitsHoldingCount, SharedCompletionBody, "Deadlock", maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.JoinTakesForeignWorkAsItsOwn)]
    public void A_join_that_takes_a_scope_task_for_its_own_job_is_found() =>
        _coyote.ExpectFault(FaultId.JoinTakesForeignWorkAsItsOwn, SharedCompletionBody, "Deadlock", maxSteps: MaxSteps);

    // Invariant: a Run body's spawns and its tasks' spawns, counted from credit their threads reserve in chunks, keep
    // the scope open until every task ran exactly once, and the credit left over is given back (Run returns).
    [Fact]
    public void Spawns_counted_from_held_credit_finish_the_scope_after_every_task() =>
        _coyote.Run(CreditBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.SchedulerSpawnWithoutCredit)]
    public void A_body_spawn_counted_from_credit_not_held_is_found() =>
        _coyote.ExpectFault(FaultId.SchedulerSpawnWithoutCredit, CreditBody, "returned early", maxSteps: MaxSteps);

    // Invariant: a scope task that a Fork.Join runs inline (its left side, nested in an outermost join, spawned it above
    // the join's job) is counted by the time the outermost join returns, so a later Join of its scope returns.
    [Fact]
    public void A_task_run_by_an_outermost_join_is_counted_when_the_thread_leaves() =>
        _coyote.Run(LeaveBody, maxSteps: MaxSteps);

    // Invariant: a join gives back the counts of the scope tasks it popped and ran (its left side spawned them above its
    // job) before its right side runs: the right side is no task of their scope, and may wait for that scope to finish.
    [Fact]
    public void A_join_whose_right_side_waits_for_the_scope_of_the_tasks_it_popped_returns() =>
        _coyote.Run(PoppedTaskBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.JoinKeepsCountsOfPoppedTasks)]
    public void A_join_that_keeps_the_counts_of_the_tasks_it_popped_is_found() =>
        _coyote.ExpectFault(FaultId.JoinKeepsCountsOfPoppedTasks, PoppedTaskBody, "Deadlock", maxSteps: MaxSteps);

    // Invariant: a lone task in the queue of a thread that blocks until it ran (a Run body waiting on it) is stolen.
    [Fact]
    public void A_lone_task_whose_spawner_blocks_is_stolen() =>
        _coyote.Run(LoneTaskBody, maxSteps: MaxSteps);

    // Invariant: the lone job of a join whose left side blocks until the right side ran is stolen: an idle stealer
    // leaves a lone item on a deque only until its next scan.
    [Fact]
    public void A_lone_join_job_whose_owner_blocks_is_stolen() =>
        _coyote.Run(LoneJobBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.SchedulerStealerNeverTakesALoneItem)]
    public void Thieves_that_never_take_a_lone_item_are_found() =>
        _coyote.ExpectFault(FaultId.SchedulerStealerNeverTakesALoneItem, LoneJobBody, "Deadlock", maxSteps: MaxSteps);

    // Invariant: a task submitted from outside while the only stealer retires is never stranded: the submitter
    // launches a stealer, or the retiring one finds it in its last scan. The async join runs nothing itself, so a
    // stranded task leaves everything blocked, which Coyote reports as a deadlock.
    [Fact]
    public void An_injected_task_racing_a_stealer_retirement_is_never_stranded() =>
        _coyote.Run(StrandBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.SchedulerStealerRetiresWithoutRescan)]
    public void A_stealer_that_retires_without_a_last_scan_is_found() =>
        _coyote.ExpectFault(FaultId.SchedulerStealerRetiresWithoutRescan, StrandBody, "Deadlock", maxSteps: MaxSteps);

    // Invariant: a scope inside a Fork.Join inside a scope task finishes, and so do both outer levels, with stealers
    // and the helping joiners taking work from every level.
    [Fact]
    public void A_scope_inside_a_join_inside_a_scope_finishes() =>
        _coyote.Run(NestedBody, maxSteps: MaxSteps);

    // Invariant: a scope joined inside two nested Fork.Joins, whose joiner may run both joins' right sides as help
    // (it pops its own thread's deque), still lets both joins finish with every side run exactly once.
    [Fact]
    public void A_scope_joined_inside_nested_joins_lets_both_joins_finish() =>
        _coyote.Run(ScopeInNestedJoinsBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.JoinDropsAnOlderJoinsJob)]
    public void A_join_that_drops_an_older_joins_job_is_found() =>
        _coyote.ExpectFault(FaultId.JoinDropsAnOlderJoinsJob, ScopeInNestedJoinsBody, "Deadlock", maxSteps: MaxSteps);

    // Invariant: the reset each body starts with also retires the worker every thread registered before it. A stealer
    // that an iteration cut short leaves its pool thread's worker inside the scheduler with work in its deque; a later
    // iteration's stealer on that thread must start from a fresh worker, or it runs the stale work (which may block on
    // an earlier iteration's primitives) and the iteration hangs for a reason outside the code under test.
    [Fact]
    public void A_worker_left_by_an_earlier_iteration_is_not_reused()
    {
        Worker? stale = null;
        Worker? fresh = null;
        Worker? again = null;
        using var cutShort = new SemaphoreSlim(0);
        using var nextIteration = new SemaphoreSlim(0);
        var poolThread = new Thread(() =>
        {
            stale = Worker.Current;
            stale.Enter(); // cut short inside the scheduler ...
            stale.Deque.TryPush(new Work(_ => { }, ForkJoinScope.Open())); // ... with work in its deque
            cutShort.Release();
            nextIteration.Wait();
            fresh = Worker.Current; // the next iteration's stealer on the same thread
            again = Worker.Current;
        });
        poolThread.Start();
        cutShort.Wait();
        Worker.ResetForSystematicTest(Stealers, IdleSpins); // the next iteration's body starts on another thread
        nextIteration.Release();
        poolThread.Join();

        Assert.NotNull(stale);
        Assert.False(stale.Deque.LooksEmpty);
        Assert.NotSame(stale, fresh);
        Assert.Same(fresh, again);
        Assert.True(fresh!.Deque.LooksEmpty);
    }

    private static void ScopeInNestedJoinsBody()
    {
        Worker.ResetForSystematicTest(Stealers, IdleSpins);
        int[] runs = new int[3];
        void Ran(int i) => CoyoteAssert.True(Interlocked.Increment(ref runs[i]) == 1, $"side {i} ran twice");
        Fork.Join(
            () => Fork.Join(() => ForkJoinScope.Run(scope => scope.Spawn(_ => Ran(0))), () => Ran(1)),
            () => Ran(2));
        for (int i = 0; i < runs.Length; i++)
        {
            CoyoteAssert.True(Volatile.Read(ref runs[i]) == 1, $"side {i} ran {Volatile.Read(ref runs[i])} times before the joins returned");
        }
    }

    private static void SharedCompletionBody()
    {
        Worker.ResetForSystematicTest(Stealers, IdleSpins);
        ForkJoinScope scope = ForkJoinScope.Open();
        int[] runs = new int[4];
        void Ran(int i) => CoyoteAssert.True(Interlocked.Increment(ref runs[i]) == 1, $"task {i} ran twice");
        void SpawnChecked(ForkJoinScope s, Action<ForkJoinScope> task)
        {
            try
            {
                s.Spawn(task);
            }
            catch (InvalidOperationException)
            {
                CoyoteAssert.True(false, "the scope returned early: it finished while a task was still running");
            }
        }

        scope.Spawn(s =>
        {
            SpawnChecked(s, _ => Ran(1)); // into the running thread's task queue (depth 1)
            Fork.Join(() => SpawnChecked(s, _ => Ran(2)), () => { }); // above the join's own job
            Ran(0);
        });
        scope.Spawn(_ => Ran(3)); // injected
        scope.Join();
        for (int i = 0; i < runs.Length; i++)
        {
            CoyoteAssert.True(Volatile.Read(ref runs[i]) == 1, $"the scope returned early: task {i} ran {Volatile.Read(ref runs[i])} times");
        }
    }

    private static void CreditBody()
    {
        Worker.ResetForSystematicTest(Stealers, IdleSpins);
        int[] runs = new int[4];
        void Ran(int i) => CoyoteAssert.True(Interlocked.Increment(ref runs[i]) == 1, $"task {i} ran twice");
        void SpawnChecked(ForkJoinScope s, Action<ForkJoinScope> task)
        {
            try
            {
                s.Spawn(task);
            }
            catch (InvalidOperationException)
            {
                CoyoteAssert.True(false, "the scope returned early: it finished while a task was still running");
            }
        }

        ForkJoinScope.Run(scope =>
        {
            SpawnChecked(scope, s =>
            {
                SpawnChecked(s, _ => Ran(1)); // from a task: the running thread's credit
                Ran(0);
            });
            SpawnChecked(scope, s =>
            {
                SpawnChecked(s, _ => Ran(3));
                Ran(2);
            });
        });
        for (int i = 0; i < runs.Length; i++)
        {
            CoyoteAssert.True(Volatile.Read(ref runs[i]) == 1, $"the scope returned early: task {i} ran {Volatile.Read(ref runs[i])} times");
        }

        CoyoteAssert.True(Worker.Current.HoldsNoCounts, "Run returned holding counts");
    }

    private static void LoneTaskBody()
    {
        Worker.ResetForSystematicTest(1, IdleSpins);
        int ran = 0;
        ForkJoinScope.Run(scope =>
        {
            using var done = new SemaphoreSlim(0);
            scope.Spawn(_ =>
            {
                Interlocked.Increment(ref ran);
                done.Release();
            }); // the only item in this thread's queue
            done.Wait(); // blocks outside the scheduler: only a stealer can run the task
        });
        CoyoteAssert.True(Volatile.Read(ref ran) == 1, $"the task ran {Volatile.Read(ref ran)} times");
    }

    private static void LoneJobBody()
    {
        Worker.ResetForSystematicTest(1, IdleSpins);
        int ran = 0;
        using var done = new SemaphoreSlim(0);
        Fork.Join(
            () => done.Wait(), // blocks outside the scheduler: only a stealer can run the right side
            () =>
            {
                Interlocked.Increment(ref ran);
                done.Release();
            });
        CoyoteAssert.True(Volatile.Read(ref ran) == 1, $"the right side ran {Volatile.Read(ref ran)} times");
    }

    private static void LeaveBody()
    {
        Worker.ResetForSystematicTest(Stealers, IdleSpins);
        ForkJoinScope scope = ForkJoinScope.Open();
        int ran = 0;
        Fork.Join(
            () => Fork.Join(() => scope.Spawn(_ => Interlocked.Increment(ref ran)), () => { }), // depth 2: the task sits above the inner join's job
            () => { });
        scope.Join();
        CoyoteAssert.True(Volatile.Read(ref ran) == 1, $"the scope returned before its task ran ({Volatile.Read(ref ran)})");
    }

    private static async Task PoppedTaskBody()
    {
        Worker.ResetForSystematicTest(Stealers, IdleSpins);
        ForkJoinScope scope = ForkJoinScope.Open();
        using var spawned = new SemaphoreSlim(0);
        int ran = 0;
        bool joined = false;
        Task joiner = Task.Run(async () =>
        {
            await spawned.WaitAsync();
            await scope.JoinAsync(); // runs nothing itself
        });
        Fork.Join(
            () => Fork.Join(
                () =>
                {
                    scope.Spawn(_ => Interlocked.Increment(ref ran)); // depth 2: above the inner join's job, popped and run by that join unless stolen
                    spawned.Release();
                },
                () =>
                {
                    joiner.Wait(); // no task of the scope: blocks outside the scheduler until the scope finished
                    joined = true;
                }),
            () => { });
        await joiner;
        CoyoteAssert.True(joined && Volatile.Read(ref ran) == 1, $"the scope finished with its task run {Volatile.Read(ref ran)} times");
    }

    private static async Task StrandBody()
    {
        Worker.ResetForSystematicTest(1, IdleSpins);
        ForkJoinScope scope = ForkJoinScope.Open();
        int ran = 0;
        scope.Spawn(_ => Interlocked.Increment(ref ran)); // the one stealer runs it, then idles and retires
        await Task.Run(() => scope.Spawn(_ => Interlocked.Increment(ref ran))); // may see the stealer's slot still taken
        await scope.JoinAsync(); // runs nothing itself
        CoyoteAssert.True(Volatile.Read(ref ran) == 2, $"{Volatile.Read(ref ran)} of 2 tasks ran before the join completed");
    }

    private static void NestedBody()
    {
        Worker.ResetForSystematicTest(Stealers, IdleSpins);
        int leaves = 0;
        ForkJoinScope.Run(outer =>
        {
            outer.Spawn(_ => Fork.Join(
                () => ForkJoinScope.Run(inner =>
                {
                    inner.Spawn(_ => Interlocked.Increment(ref leaves));
                    inner.Spawn(_ => Interlocked.Increment(ref leaves));
                }),
                () => Interlocked.Increment(ref leaves)));
            outer.Spawn(_ => Interlocked.Increment(ref leaves));
        });
        CoyoteAssert.True(Volatile.Read(ref leaves) == 4, $"{Volatile.Read(ref leaves)} of 4 leaves ran before the outer scope returned");
    }
}
