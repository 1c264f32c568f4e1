using Microsoft.Coyote.Specifications;
using Primitives.CoyoteTests.ForkJoin.Twins;
using Primitives.CoyoteTests.Harness;
using Primitives.ForkJoin;

namespace Primitives.CoyoteTests.ForkJoin;

/// <summary>
/// Systematic tests of <c>Primitives.ForkJoin.ForkJoinScope</c>. Each invariant has a twin that runs the
/// same body against <see cref="FaultyForkJoinScope"/> with one seeded fault, which Coyote must find.
/// Runners are launched with Task.Run here (see <see cref="LaunchWithTasks"/>), so Coyote schedules them.
/// </summary>
public sealed class ForkJoinScopeTests(ITestOutputHelper output)
{
    private const int MaxSteps = 20_000;

    /// <summary>A stranded task leaves the long task spinning: Coyote reports the step bound.</summary>
    private const string StrandedReport = "Scheduling steps bound";

    private readonly CoyoteHarness _coyote = new(output);

    [Fact]
    public void Tasks_are_launched_with_controlled_tasks() =>
        Assert.True(WorkLauncher.LaunchesWithTasks, "the LaunchWithTasks switch was read before the module initializer set it");

    // Invariant: Join returns only after every task, nested ones included, has finished.
    [Fact]
    public void Join_never_returns_early() =>
        _coyote.Run(() => CompletionBody(new LibraryScope(2)), maxSteps: MaxSteps);

    [Fact]
    public void Twin_counting_a_task_before_it_runs_is_found() =>
        _coyote.ExpectBug(() => CompletionBody(new FaultyForkJoinScope(2, ScopeFault.CountBeforeRun)), "returned early", maxSteps: MaxSteps);

    [Fact]
    public void Twin_whose_joiner_parks_before_counting_its_own_tasks_is_found() =>
        _coyote.ExpectBug(() => CompletionBody(new FaultyForkJoinScope(2, ScopeFault.JoinerParksBeforeCounting)), "Deadlock", maxSteps: MaxSteps);

    // Invariant: every exception thrown by a task that ran reaches the join's AggregateException.
    [Fact]
    public void Join_never_loses_an_exception() =>
        _coyote.Run(() => ExceptionBody(new LibraryScope(2)), maxSteps: MaxSteps);

    [Fact]
    public void Twin_pushing_exceptions_without_a_CAS_is_found() =>
        _coyote.ExpectBug(() => ExceptionBody(new FaultyForkJoinScope(2, ScopeFault.PushWithoutCas)), "exception was lost", maxSteps: MaxSteps);

    // Invariant: no task is stranded in the queue when a spawn from outside races with a runner's exit:
    // it gets a runner (a re-check by the exiting one, or a new one). Here a long task waits for a later
    // task, which only a runner can run (the async join runs nothing itself).
    [Fact]
    public void A_spawn_racing_a_runner_exit_is_never_stranded() =>
        _coyote.Run(() => StrandBody(new LibraryScope(2)), maxSteps: MaxSteps);

    [Fact]
    public void Twin_whose_runner_exits_without_a_recheck_is_found() =>
        _coyote.ExpectBug(() => StrandBody(new FaultyForkJoinScope(2, ScopeFault.RunnerExitWithoutRecheck)), StrandedReport, maxSteps: MaxSteps);

    private static void CompletionBody(IScope scope)
    {
        int[] done = new int[3];
        scope.Spawn(s =>
        {
            try
            {
                s.Spawn(_ => Volatile.Write(ref done[2], 1)); // nested
            }
            catch (InvalidOperationException)
            {
                Specification.Assert(false, "the scope returned early: it finished while a task was still running");
            }

            Volatile.Write(ref done[0], 1);
        });
        scope.Spawn(_ => Volatile.Write(ref done[1], 1));
        scope.Join();
        for (int i = 0; i < done.Length; i++)
        {
            Specification.Assert(Volatile.Read(ref done[i]) == 1, $"the scope returned early: task {i} had not finished");
        }
    }

    private static void ExceptionBody(IScope scope)
    {
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
        Specification.Assert(caught == Volatile.Read(ref thrown) && caught > 0, $"an exception was lost: {Volatile.Read(ref thrown)} thrown, {caught} reported");
    }

    private static async Task StrandBody(IScope scope)
    {
        int ran = 0;
        scope.Spawn(_ =>
        {
            while (Volatile.Read(ref ran) == 0)
            {
                Thread.Yield(); // holds one runner until the late task has run
            }
        });
        scope.Spawn(_ => { }); // the second runner: it may be on its way out when the late task arrives
        Task join = scope.JoinAsync();
        Task spawner = Task.Run(() => scope.Spawn(_ => Interlocked.Increment(ref ran)));
        await spawner;
        await join;
        Specification.Assert(Volatile.Read(ref ran) == 1, "the late task ran more than once");
    }
}
