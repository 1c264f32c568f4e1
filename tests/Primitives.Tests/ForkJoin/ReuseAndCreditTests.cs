using Primitives.ForkJoin;
using Primitives.Iterators;

namespace Primitives.Tests.ForkJoin;

/// <summary>
/// The per-thread state the scheduler reuses: join jobs kept per depth (re-armed for every join), and the scope counts a
/// thread holds (spawns take them instead of a CAS; they are given back before any wait and when the thread leaves).
/// </summary>
public class ReuseAndCreditTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_join_after_a_failed_join_at_the_same_depth_does_not_see_the_old_exception()
    {
        Assert.Throws<AggregateException>(() => Fork.Join(() => { }, () => throw new InvalidOperationException("right")));
        Fork.Join(() => { }, () => { }); // the reused job starts without the previous join's error
        Assert.Throws<AggregateException>(() => Fork.Join(() => 1, new Func<int>(() => throw new InvalidOperationException("right"))));
        Assert.Equal((1, 2), Fork.Join(() => 1, () => 2));
    }

    [Fact]
    public void Joins_of_different_result_types_at_one_depth_return_their_own_results()
    {
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal((i, $"{i}"), Fork.Join(() => i, () => $"{i}"));
            int seen = -1;
            Fork.Join(() => { }, () => seen = i);
            Assert.Equal(i, seen);
            Assert.Equal((i, (long)i), Fork.Join(() => i, () => (long)i));
        }
    }

    [Fact]
    public void Nested_joins_each_run_their_own_sides_once()
    {
        int[] runs = new int[64];
        void Tree(int from, int count)
        {
            if (count == 1)
            {
                Interlocked.Increment(ref runs[from]);
                return;
            }

            Fork.Join(() => Tree(from, count / 2), () => Tree(from + (count / 2), count / 2));
        }

        for (int round = 1; round <= 20; round++)
        {
            Tree(0, runs.Length);
            Assert.All(runs, r => Assert.Equal(round, r));
        }
    }

    [Fact]
    public void Spawns_beyond_one_chunk_of_credit_all_run_and_Run_returns_holding_no_counts()
    {
        const int Tasks = 5_000; // many chunks of reserved counts, from the body and from tasks
        int ran = 0;
        ForkJoinScope.Run(scope =>
        {
            for (int i = 0; i < Tasks; i++)
            {
                scope.Spawn(s =>
                {
                    Interlocked.Increment(ref ran);
                    s.Spawn(_ => Interlocked.Increment(ref ran));
                });
            }
        });
        Assert.Equal(2 * Tasks, Volatile.Read(ref ran));
        Assert.True(Worker.Current.HoldsNoCounts, "Run returned holding counts of its scope");
    }

    [Fact]
    public void A_thread_that_only_joins_dedicated_scopes_never_becomes_a_worker()
    {
        bool? registered = null;
        int[] results = [];
        var consumer = new Thread(() =>
        {
            ForkJoinScope scope = ForkJoinScope.Open(2);
            int ran = 0;
            for (int i = 0; i < 8; i++)
            {
                scope.Spawn(_ => Interlocked.Increment(ref ran));
            }

            scope.Join(); // a dedicated scope: it runs tasks inline, but never enters the shared scheduler
            results = [.. Enumerable.Range(0, 10_000).ParallelSelect(x => x + 1, new ParallelSelectOptions { MaxDegreeOfParallelism = 2 })];
            registered = Worker.CurrentOrNull is not null; // a worker would sit in the array every thief scans, holding nothing
        });
        consumer.Start();
        Assert.True(consumer.Join(HangGuard), "the thread did not finish");

        Assert.False(registered);
        Assert.Equal(Enumerable.Range(1, 10_000), results);
    }

    [Fact]
    public async Task A_task_run_inline_by_an_outermost_join_is_counted_when_the_join_returns()
    {
        ForkJoinScope scope = ForkJoinScope.Open();
        int ran = 0;
        Fork.Join(() => scope.Spawn(_ => Interlocked.Increment(ref ran)), () => { }); // above the join's job: popped and run inline, unless stolen
        Assert.True(Worker.Current.HoldsNoCounts, "the thread left the scheduler holding counts");
        await scope.JoinAsync().WaitAsync(HangGuard); // TimeoutException: the counts of the inline task were never given back
        Assert.Equal(1, Volatile.Read(ref ran));
    }

    [Fact]
    public void A_join_gives_back_the_counts_of_the_scope_tasks_it_ran_before_its_right_side_runs()
    {
        for (int i = 0; i < 20; i++)
        {
            ForkJoinScope scope = ForkJoinScope.Open();
            using var spawned = new ManualResetEventSlim();
            int ran = 0;
            bool joined = false;
            Fork.Join(
                () => Fork.Join(
                    () =>
                    {
                        scope.Spawn(_ => Interlocked.Increment(ref ran)); // above the inner join's job: popped and run by the join, unless stolen
                        spawned.Set();
                    },
                    () =>
                    {
                        spawned.Wait(); // a thief that took this side runs it alongside the left one
                        joined = scope.JoinAsync().Wait(HangGuard); // no task of the scope: it must not hold the scope open
                    }),
                () => { });
            Assert.True(joined, "the right side waited for a scope whose counts its own thread held");
            Assert.Equal(1, Volatile.Read(ref ran));
        }
    }

    [Fact]
    public void After_a_join_ran_a_scope_task_the_callers_spawns_into_that_scope_take_no_credit()
    {
        for (int i = 0; i < 20; i++)
        {
            ForkJoinScope scope = ForkJoinScope.Open();
            int ran = 0;
            bool joined = false;
            Fork.Join(
                () =>
                {
                    Fork.Join(() => scope.Spawn(_ => Interlocked.Increment(ref ran)), () => { });
                    for (int j = 0; j < 2; j++)
                    {
                        scope.Spawn(_ => Interlocked.Increment(ref ran)); // the thread runs no task of the scope: no credit to take (the second spawn would reserve a chunk)
                    }

                    joined = scope.JoinAsync().Wait(HangGuard);
                },
                () => { });
            Assert.True(joined, "the thread held credit of a scope whose task it does not run, and waited for that scope");
            Assert.Equal(3, Volatile.Read(ref ran));
        }
    }

    [Fact]
    public async Task A_helping_wait_gives_the_thread_its_entry_scope_back_however_it_ends()
    {
        ForkJoinScope? heldAfter = null;
        ForkJoinScope? scope = null;
        var thread = new Thread(() =>
        {
            Worker worker = Worker.Current;
            worker.Enter();
            scope = ForkJoinScope.Open();
            scope.Spawn(_ => { }); // into this thread's task queue: the wait runs it (unless a stealer does), and holds its scope
            int[] checks = [0];
            worker.HelpUntil(static c => ++c[0] >= 3, checks, new Primitives.Internal.WaitGate(), static _ => true); // done at the third check: after a look that found nothing
            heldAfter = worker.HeldScope;
            worker.Exit();
        });
        thread.Start();
        Assert.True(thread.Join(HangGuard));
        Assert.Null(heldAfter); // the thread ran no task of any scope around the wait
        await scope!.JoinAsync().WaitAsync(HangGuard);
    }

    [Fact]
    public void A_spawn_into_a_finished_scope_throws_even_from_a_thread_that_held_its_counts()
    {
        ForkJoinScope? finished = null;
        ForkJoinScope.Run(scope => finished = scope);
        Assert.Throws<InvalidOperationException>(() => finished!.Spawn(_ => { }));
        ForkJoinScope.Run(_ => Assert.Throws<InvalidOperationException>(() => finished!.Spawn(_ => { })));
    }

    [Fact]
    public void A_task_that_replaces_the_synchronization_context_does_not_leave_it_on_the_joining_thread()
    {
        SynchronizationContext? before = SynchronizationContext.Current;
        var replaced = new SynchronizationContext();
        for (int i = 0; i < 50; i++)
        {
            ForkJoinScope.Run(scope => scope.Spawn(_ => SynchronizationContext.SetSynchronizationContext(replaced)));
            Assert.Same(before, SynchronizationContext.Current);
        }
    }
}
