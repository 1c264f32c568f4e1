using Primitives.CoyoteTests.Harness;
using Primitives.ForkJoin;
using Primitives.Internal;

namespace Primitives.CoyoteTests.ForkJoin;

/// <summary>
/// Systematic tests of <c>Primitives.ForkJoin.ForkJoinScope</c>. Each invariant has seeded faults (fault points in the
/// real source, see docs/coyote.md) that Coyote must find with the same body. Runners are launched with Task.Run here
/// (see <see cref="LaunchWithTasks"/>), so Coyote schedules them.
/// </summary>
public sealed class ForkJoinScopeTests(ITestOutputHelper output)
{
    private const int MaxSteps = 20_000;

    /// <summary>A batch small enough for the bodies' handful of tasks to reach the interim count (shipped: 1024).</summary>
    private const int SmallBatch = 2;

    private readonly CoyoteHarness _coyote = new(output);

    [Fact]
    public void Tasks_are_launched_with_controlled_tasks() =>
        Assert.True(WorkLauncher.LaunchesWithTasks, "the LaunchWithTasks switch was read before the module initializer set it");

    // Invariant: Join returns only after every task, nested ones included, has finished.
    [Fact]
    public void Join_never_returns_early() =>
        _coyote.Run(CompletionBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.ScopeCountBeforeRun)]
    public void Counting_a_task_before_it_runs_is_found() =>
        _coyote.ExpectFault(FaultId.ScopeCountBeforeRun, CompletionBody, "returned early", maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.ScopeJoinerParksBeforeCounting)]
    public void A_joiner_that_parks_before_counting_its_own_tasks_is_found() =>
        _coyote.ExpectFault(FaultId.ScopeJoinerParksBeforeCounting, CompletionBody, "Deadlock", maxSteps: MaxSteps);

    // Invariant: the same, when threads subtract their finished tasks in interim batches (every CountBatchSize
    // tasks, lowered here so that three tasks reach it): the batch that ends with the last task finishes the scope
    // and wakes the joiner.
    [Fact]
    public void Join_never_returns_early_nor_hangs_with_interim_batch_counts() =>
        WithBatchSize(SmallBatch, () => _coyote.Run(CompletionBody, maxSteps: MaxSteps));

    // Invariant: the same, where it matters most: one runner runs a whole batch that ends with the scope's last task
    // while the joiner, with nothing left to run, parks.
    [Fact]
    public void A_batch_that_ends_with_the_last_task_wakes_the_parked_joiner() =>
        WithBatchSize(SmallBatch, () => _coyote.Run(BatchEndBody, maxSteps: MaxSteps));

    [Fact]
    [SeededFault(FaultId.ScopeBatchCountWithoutWake)]
    public void An_interim_batch_count_that_wakes_nobody_is_found() =>
        WithBatchSize(SmallBatch, () => _coyote.ExpectFault(FaultId.ScopeBatchCountWithoutWake, BatchEndBody, "Deadlock", maxSteps: MaxSteps));

    // Invariant: every exception thrown by a task that ran reaches the join's AggregateException.
    [Fact]
    public void Join_never_loses_an_exception() =>
        _coyote.Run(ExceptionBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.ScopePushWithoutCas)]
    public void Pushing_exceptions_without_a_CAS_is_found() =>
        _coyote.ExpectFault(FaultId.ScopePushWithoutCas, ExceptionBody, "exception was lost", scale: 4, maxSteps: MaxSteps); // found in 3-200 iterations with random seeds, once not in 300: room for the tail

    // Invariant: no task is stranded in the queue when a spawn from outside races with a runner's exit:
    // it gets a runner (a re-check by the exiting one, or a new one). Here a long task waits for a later
    // task, which only a runner can run (the async join runs nothing itself); a stranded task leaves every
    // operation blocked, which Coyote reports as a deadlock.
    [Fact]
    public void A_spawn_racing_a_runner_exit_is_never_stranded() =>
        _coyote.Run(StrandBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.ScopeRunnerExitWithoutRecheck)]
    public void A_runner_that_exits_without_a_recheck_is_found() =>
        _coyote.ExpectFault(FaultId.ScopeRunnerExitWithoutRecheck, StrandBody, "Deadlock", maxSteps: MaxSteps);

    // Invariant: when the outer token cancels the scope, the join waits for the callbacks registered on the scope's token,
    // and an exception one of them throws reaches the join (it is not an OperationCanceledException then).
    [Fact]
    public void Outer_cancellation_keeps_what_the_scope_tokens_callbacks_throw() =>
        _coyote.Run(OuterCancelBody, maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.ScopeOuterCancelWithoutCount)]
    public void Outer_cancellation_that_holds_no_count_is_found() =>
        _coyote.ExpectFault(FaultId.ScopeOuterCancelWithoutCount, OuterCancelBody, "callback", maxSteps: MaxSteps);

    /// <summary>Runs <paramref name="explore"/> with the fault build's batch size lowered to <paramref name="size"/>.</summary>
    private static void WithBatchSize(int size, Action explore)
    {
        int shipped = ForkJoinScope.TestCountBatchSize[0];
        ForkJoinScope.TestCountBatchSize[0] = size;
        try
        {
            explore();
        }
        finally
        {
            ForkJoinScope.TestCountBatchSize[0] = shipped;
        }
    }

    private static void CompletionBody()
    {
        ForkJoinScope scope = ForkJoinScope.Open(2);
        int[] done = new int[3];
        scope.Spawn(s =>
        {
            try
            {
                s.Spawn(_ => Volatile.Write(ref done[2], 1)); // nested
            }
            catch (InvalidOperationException)
            {
                CoyoteAssert.True(false, "the scope returned early: it finished while a task was still running");
            }

            Volatile.Write(ref done[0], 1);
        });
        scope.Spawn(_ => Volatile.Write(ref done[1], 1));
        scope.Join();
        for (int i = 0; i < done.Length; i++)
        {
            CoyoteAssert.True(Volatile.Read(ref done[i]) == 1, $"the scope returned early: task {i} had not finished");
        }
    }

    // One runner takes both tasks (the joiner waits until both started, so it helps with neither); the second task
    // passes over as many scheduling points as the joiner's spin before it parks, so its batch count lands anywhere
    // from before the joiner's last check to after it parked. (CompletionBody reaches that schedule under a few seeds
    // only: the joiner usually helps, which splits the batch.)
    private static void BatchEndBody()
    {
        ForkJoinScope scope = ForkJoinScope.Open(1);
        using var started = new SemaphoreSlim(0);
        int finished = 0;
        for (int i = 0; i < SmallBatch; i++)
        {
            bool last = i == SmallBatch - 1;
            scope.Spawn(_ =>
            {
                started.Release();
                if (last)
                {
                    Jitter.Steps(350);
                }

                Interlocked.Increment(ref finished);
            });
        }

        for (int i = 0; i < SmallBatch; i++)
        {
            started.Wait();
        }

        scope.Join();
        CoyoteAssert.True(Volatile.Read(ref finished) == SmallBatch, $"the scope returned early: {Volatile.Read(ref finished)} of {SmallBatch} tasks finished");
    }

    private static async Task OuterCancelBody()
    {
        using var outer = new CancellationTokenSource();
        ForkJoinScope scope = ForkJoinScope.Open(1, outer.Token);
        int callbackRan = 0;
        scope.CancellationToken.Register(() =>
        {
            Volatile.Write(ref callbackRan, 1);
            throw new InvalidOperationException("callback");
        });
        scope.Spawn(_ => { });
        Task canceller = Task.Run(outer.Cancel);
        Exception? thrown = null;
        try
        {
            scope.Join();
        }
        catch (Exception ex)
        {
            thrown = ex;
        }

        bool ranBeforeJoinReturned = Volatile.Read(ref callbackRan) == 1;
        await canceller;
        bool kept = thrown is AggregateException aggregate && aggregate.InnerExceptions.Any(e => e.Message == "callback");
        CoyoteAssert.True(
            kept == ranBeforeJoinReturned && ranBeforeJoinReturned == (Volatile.Read(ref callbackRan) == 1),
            $"the join returned with {thrown?.GetType().Name ?? "no exception"} while a callback ran (before the join returned: {ranBeforeJoinReturned}): the callback's exception was lost");
    }

    private static void ExceptionBody()
    {
        ForkJoinScope scope = ForkJoinScope.Open(2);
        int thrown = 0;
        for (int i = 0; i < 2; i++)
        {
            string message = $"task {i}";
            scope.Spawn(_ =>
            {
                Interlocked.Increment(ref thrown);
                throw new InvalidOperationException(message);
            });
        }

        int caught = 0;
        try
        {
            scope.Join();
        }
        catch (AggregateException aggregate)
        {
            caught = aggregate.InnerExceptions.Count;
        }

        // A task skipped after the first failure never throws; every task that did throw must be reported.
        CoyoteAssert.True(caught == Volatile.Read(ref thrown) && caught > 0, $"an exception was lost: {Volatile.Read(ref thrown)} thrown, {caught} reported");
    }

    private static async Task StrandBody()
    {
        ForkJoinScope scope = ForkJoinScope.Open(2);
        using var lateRan = new SemaphoreSlim(0);
        int ran = 0;
        scope.Spawn(_ => lateRan.Wait()); // holds one runner until the late task has run
        scope.Spawn(_ => { }); // the second runner: it may be on its way out when the late task arrives
        Task join = scope.JoinAsync();
        Task spawner = Task.Run(() => scope.Spawn(_ =>
        {
            Interlocked.Increment(ref ran);
            lateRan.Release();
        }));
        await spawner;
        await join;
        CoyoteAssert.True(Volatile.Read(ref ran) == 1, "the late task ran more than once");
    }
}
