using Primitives.ForkJoin;

namespace Primitives.Tests.ForkJoin;

/// <summary>
/// AsyncLocal values written by a task or a join side never flow back to the thread that joins, whether the
/// work ran on another thread or inline on the joiner (as with <see cref="Parallel.Invoke(Action[])"/>).
/// </summary>
public class ExecutionContextTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_task_run_inline_by_the_joiner_does_not_leak_its_async_local_writes()
    {
        var local = new AsyncLocal<int>();
        using var runnerBusy = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        ForkJoinScope scope = ForkJoinScope.Open(1);
        scope.Spawn(_ =>
        {
            runnerBusy.Set();
            Assert.True(release.Wait(HangGuard)); // holds the only runner, so the joiner runs the next task itself
        });
        Assert.True(runnerBusy.Wait(HangGuard));
        int joiningThread = Environment.CurrentManagedThreadId;
        int ranOn = 0;
        scope.Spawn(_ =>
        {
            ranOn = Environment.CurrentManagedThreadId;
            local.Value = 42;
            release.Set();
        });
        scope.Join();

        Assert.Equal(joiningThread, ranOn); // the case under test: the task ran inline
        Assert.Equal(0, local.Value);
    }

    [Fact]
    public void A_task_run_inline_sees_the_openers_value_not_the_joiners_later_writes()
    {
        var local = new AsyncLocal<string>();
        local.Value = "opener";
        ForkJoinScope scope = ForkJoinScope.Open(1);
        string? seen = null;
        local.Value = "joiner"; // after the scope captured its context
        using var runnerBusy = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        scope.Spawn(_ =>
        {
            runnerBusy.Set();
            Assert.True(release.Wait(HangGuard));
        });
        Assert.True(runnerBusy.Wait(HangGuard));
        scope.Spawn(_ =>
        {
            seen = local.Value;
            local.Value = "task";
            release.Set();
        });
        scope.Join();

        Assert.Equal("opener", seen);
        Assert.Equal("joiner", local.Value);
    }

    [Fact]
    public void The_left_side_of_a_join_does_not_leak_its_async_local_writes_to_the_caller()
    {
        var local = new AsyncLocal<int>();
        Fork.Join(() => local.Value = 1, () => { });
        Assert.Equal(0, local.Value);

        (int left, int right) = Fork.Join(() => local.Value = 3, () => local.Value = 4);
        Assert.Equal((3, 4), (left, right));
        Assert.Equal(0, local.Value);
    }

    [Fact]
    public void A_right_side_run_inline_does_not_leak_its_async_local_writes_to_the_caller()
    {
        var local = new AsyncLocal<int>();
        for (int i = 0; i < 100; i++)
        {
            Fork.Join(() => { }, () => local.Value = 2); // popped back and run inline, unless a stealer was quicker
            Assert.Equal(0, local.Value);
        }
    }

    [Fact]
    public void Join_sides_see_the_callers_async_local_values()
    {
        var local = new AsyncLocal<string>();
        local.Value = "caller";
        (string? left, string? right) = Fork.Join(() => local.Value, () => local.Value);
        Assert.Equal(("caller", "caller"), (left, right));
    }
}
