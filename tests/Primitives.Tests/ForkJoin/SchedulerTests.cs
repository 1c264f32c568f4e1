using Primitives.ForkJoin;

namespace Primitives.Tests.ForkJoin;

/// <summary>
/// The work-stealing scheduler shared by <see cref="Fork.Join(Action, Action)"/> and shared scopes: every task runs
/// exactly once wherever it was pushed, deep recursion overflows a deque safely, scopes and joins nest in each other.
/// </summary>
public class SchedulerTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public void Every_spawned_task_runs_exactly_once_wherever_it_was_spawned()
    {
        const int roots = 2_000;
        const int children = 8;
        int[] runs = new int[roots * (children + 1)];
        ForkJoinScope.Run(scope =>
        {
            for (int r = 0; r < roots; r++)
            {
                int root = r;
                scope.Spawn(s =>
                {
                    Interlocked.Increment(ref runs[root]);
                    for (int c = 0; c < children; c++)
                    {
                        int child = roots + (root * children) + c;
                        if (c % 2 == 0)
                        {
                            s.Spawn(_ => Interlocked.Increment(ref runs[child])); // onto this thread's deque
                        }
                        else
                        {
                            Fork.Join(() => s.Spawn(_ => Interlocked.Increment(ref runs[child])), () => { }); // above a join's job
                        }
                    }
                });
            }
        });
        Assert.All(runs, count => Assert.Equal(1, count));
    }

    [Fact]
    public void A_million_tiny_tasks_spawned_from_tasks_are_all_run()
    {
        const int fanOut = 1_000;
        long sum = 0;
        ForkJoinScope.Run(scope =>
        {
            for (int i = 0; i < fanOut; i++)
            {
                scope.Spawn(s =>
                {
                    for (int j = 0; j < fanOut; j++)
                    {
                        s.Spawn(_ => Interlocked.Increment(ref sum)); // past the deque's capacity: the rest is injected
                    }
                });
            }
        });
        Assert.Equal((long)fanOut * fanOut, Interlocked.Read(ref sum));
    }

    [Fact]
    public void Joins_deeper_than_a_deque_spawn_scope_tasks_at_every_level()
    {
        const int depth = 3 * WorkStealingDeque.InitialCapacity; // the deque grows twice under the recursion
        int spawned = 0;
        ForkJoinScope.Run(scope =>
        {
            int Down(int n)
            {
                if (n == 0)
                {
                    return 0;
                }

                scope.Spawn(_ => Interlocked.Increment(ref spawned));
                return 1 + Fork.Join(() => Down(n - 1), () => 0).Left;
            }

            Assert.Equal(depth, Down(depth));
        });
        Assert.Equal(depth, Volatile.Read(ref spawned));
    }

    [Fact]
    public void Scopes_and_joins_nest_in_each_other()
    {
        long leaves = 0;
        void Level(int depth)
        {
            if (depth == 0)
            {
                Interlocked.Increment(ref leaves);
                return;
            }

            if (depth % 2 == 0)
            {
                ForkJoinScope.Run(scope =>
                {
                    for (int i = 0; i < 3; i++)
                    {
                        scope.Spawn(_ => Level(depth - 1));
                    }
                });
            }
            else
            {
                Fork.Join(() => Level(depth - 1), () => Level(depth - 1));
            }
        }

        Level(8); // scope (x3), join (x2), ... : 3^4 * 2^4 leaves
        Assert.Equal(81 * 16, Interlocked.Read(ref leaves));
    }

    [Fact]
    public async Task A_scope_joined_inside_nested_joins_may_run_their_right_sides_and_the_joins_still_finish()
    {
        // The scope's joiner helps by popping this thread's deque: under its one task lie the right sides of both
        // joins. After it ran the inner one, the inner join pops the outer join's right side: it must run it as
        // help, not take it for a scope task.
        Task rounds = Task.Factory.StartNew(
            () =>
            {
                for (int round = 0; round < 200; round++)
                {
                    int[] runs = new int[3];
                    Fork.Join(
                        () => Fork.Join(
                            () => ForkJoinScope.Run(scope => scope.Spawn(_ => Interlocked.Increment(ref runs[0]))),
                            () => Interlocked.Increment(ref runs[1])),
                        () => Interlocked.Increment(ref runs[2]));
                    Assert.Equal([1, 1, 1], runs);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        await rounds.WaitAsync(HangGuard); // a TimeoutException: a join never finished, its right side was lost
    }

    [Fact]
    public void Exceptions_from_many_tasks_are_each_reported_once()
    {
        const int tasks = 10_000;
        int thrown = 0;
        AggregateException aggregate = Assert.Throws<AggregateException>(() => ForkJoinScope.Run(scope =>
        {
            for (int i = 0; i < tasks; i++)
            {
                int index = i;
                scope.Spawn(_ =>
                {
                    Interlocked.Increment(ref thrown);
                    throw new InvalidOperationException(index.ToString(System.Globalization.CultureInfo.InvariantCulture));
                });
            }
        }));

        // The first failure cancels the scope and later tasks are skipped; every task that threw is reported, once.
        Assert.Equal(Volatile.Read(ref thrown), aggregate.InnerExceptions.Count);
        Assert.Equal(aggregate.InnerExceptions.Count, aggregate.InnerExceptions.Select(e => e.Message).Distinct().Count());
    }

    [Fact]
    public async Task Open_join_async_and_spawns_from_outside_finish_on_stealers_alone()
    {
        ForkJoinScope scope = ForkJoinScope.Open();
        int ran = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                scope.Spawn(_ => Interlocked.Increment(ref ran));
            }
        })));
        await scope.JoinAsync().WaitAsync(HangGuard);
        Assert.Equal(40_000, Volatile.Read(ref ran));
    }

    [Fact]
    public async Task Stealers_go_back_to_the_pool_when_there_is_no_work()
    {
        ForkJoinScope.Run(scope =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                scope.Spawn(_ => { });
            }
        });

        // No thread stays spinning: every stealer retires after a short idle spin (other tests may start some meanwhile).
        var deadline = DateTime.UtcNow + HangGuard;
        while (Worker.ActiveStealers != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, Worker.ActiveStealers);
    }

    [Fact]
    public void The_deque_is_LIFO_for_its_owner_FIFO_for_thieves_grows_and_refuses_a_push_when_at_its_largest()
    {
        var deque = new WorkStealingDeque(initialCapacity: 4, maxCapacity: 16);
        ForkJoinScope scope = ForkJoinScope.Open();
        var tasks = new Action<ForkJoinScope>[16];
        for (int i = 0; i < tasks.Length; i++)
        {
            int index = i;
            tasks[i] = _ => GC.KeepAlive(index); // a closure each: distinct delegates
            Assert.True(deque.TryPush(new Work(tasks[i], scope)));
        }

        Assert.Equal(16, deque.CurrentCapacity);
        Assert.False(deque.TryPush(new Work(_ => { }, scope)), "a push into a full deque succeeded");
        Assert.True(deque.TrySteal(out Work oldest));
        Assert.Same(tasks[0], oldest.Item);
        Assert.True(deque.TryPop(out Work newest));
        Assert.Same(tasks[^1], newest.Item);
        Assert.True(deque.TryPush(new Work(tasks[0], scope)), "a push after a steal freed a slot failed");
        int left = 0;
        while (deque.TryPop(out _))
        {
            left++;
        }

        Assert.Equal(tasks.Length - 1, left);
        Assert.False(deque.TrySteal(out _));
        scope.Join();
    }

    [Fact]
    public void Growing_copies_a_live_range_that_wraps_around_the_array()
    {
        var deque = new WorkStealingDeque(initialCapacity: 2, maxCapacity: 8);
        JoinJob[] jobs = [.. Enumerable.Range(0, 4).Select(_ => new ActionJoinJob(Worker.Current))];
        Assert.True(deque.TryPush(new Work(jobs[0])) && deque.TryPush(new Work(jobs[1])));
        Assert.True(deque.TrySteal(out Work first));
        Assert.Same(jobs[0], first.Item);
        Assert.True(deque.TryPush(new Work(jobs[2])), "a push into a slot freed by a steal failed"); // index 2: slot 0
        Assert.Equal(2, deque.CurrentCapacity);
        Assert.True(deque.TryPush(new Work(jobs[3])), "a push into a full growable deque failed"); // grows: copies 1 and 2
        Assert.Equal(4, deque.CurrentCapacity);
        Assert.True(deque.TrySteal(out Work second));
        Assert.Same(jobs[1], second.Item);
        Assert.True(deque.TrySteal(out Work third));
        Assert.Same(jobs[2], third.Item);
        Assert.True(deque.TryPop(out Work last));
        Assert.Same(jobs[3], last.Item);
        Assert.False(deque.TryPop(out _) || deque.TrySteal(out _), "the deque is not empty after everything was taken");
    }

    [Fact]
    public void The_debugger_display_shows_pending_work_and_who_runs_it()
    {
        ForkJoinScope shared = ForkJoinScope.Open();
        Assert.StartsWith("Pending = 1, shared scheduler, stealers = ", shared.DebuggerDisplay, StringComparison.Ordinal);
        Assert.EndsWith(", joined = False", shared.DebuggerDisplay, StringComparison.Ordinal);
        shared.Join();
        Assert.StartsWith("Pending = 0, shared scheduler", shared.DebuggerDisplay, StringComparison.Ordinal);
        Assert.EndsWith(", joined = True", shared.DebuggerDisplay, StringComparison.Ordinal);

        ForkJoinScope dedicated = ForkJoinScope.Open(3);
        using var release = new ManualResetEventSlim();
        dedicated.Spawn(_ => release.Wait(HangGuard));
        Assert.Equal("Pending = 2, runners = 1/3, joined = False", dedicated.DebuggerDisplay);
        release.Set();
        dedicated.Join();
        Assert.StartsWith("Pending = 0, runners = ", dedicated.DebuggerDisplay, StringComparison.Ordinal); // the runner may not have exited yet
        Assert.EndsWith("/3, joined = True", dedicated.DebuggerDisplay, StringComparison.Ordinal);
    }
}
