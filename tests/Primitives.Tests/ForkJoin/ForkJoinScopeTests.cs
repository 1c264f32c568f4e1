using Primitives.ForkJoin;

namespace Primitives.Tests.ForkJoin;

/// <summary>Behaviour of <see cref="ForkJoinScope"/>: completion, nesting, errors, cancellation, misuse.</summary>
public class ForkJoinScopeTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_million_tiny_tasks_are_all_run()
    {
        const int count = 1_000_000;
        long sum = 0;
        ForkJoinScope.Run(scope =>
        {
            for (int i = 1; i <= count; i++)
            {
                int value = i;
                scope.Spawn(_ => Interlocked.Add(ref sum, value));
            }
        });
        Assert.Equal((long)count * (count + 1) / 2, Interlocked.Read(ref sum));
    }

    [Fact]
    public void Nested_spawns_all_finish_before_Run_returns()
    {
        int ran = 0;
        void Tree(ForkJoinScope scope, int depth)
        {
            Interlocked.Increment(ref ran);
            if (depth > 0)
            {
                scope.Spawn(s => Tree(s, depth - 1));
                scope.Spawn(s => Tree(s, depth - 1));
            }
        }

        ForkJoinScope.Run(scope => Tree(scope, 14));
        Assert.Equal((1 << 15) - 1, Volatile.Read(ref ran));
    }

    [Fact]
    public async Task No_task_runs_after_the_scope_returns()
    {
        int running = 0;
        int returned = 0;
        int lateStarts = 0;
        void Work(ForkJoinScope scope, int depth)
        {
            if (Volatile.Read(ref returned) != 0)
            {
                Interlocked.Increment(ref lateStarts);
            }

            Interlocked.Increment(ref running);
            Thread.SpinWait(200 * depth);
            if (depth > 0)
            {
                for (int i = 0; i < 3; i++)
                {
                    scope.Spawn(s => Work(s, depth - 1));
                }
            }

            Interlocked.Decrement(ref running);
        }

        for (int round = 0; round < 20; round++)
        {
            Volatile.Write(ref returned, 0);
            ForkJoinScope.Run(scope => Work(scope, 4));
            Volatile.Write(ref returned, 1);
            Assert.Equal(0, Volatile.Read(ref running));
        }

        await Task.Delay(50); // a straggler would start or still be running here
        Assert.Equal(0, Volatile.Read(ref running));
        Assert.Equal(0, Volatile.Read(ref lateStarts));
    }

    [Fact]
    public void Every_exception_is_collected()
    {
        // Four tasks that all start before any of them fails (a barrier), so none is skipped by the
        // cancellation that the first failure triggers; the scope allows four pool threads at once.
        const int failing = 4;
        var errors = Enumerable.Range(0, failing).Select(i => new InvalidOperationException($"task {i}")).ToArray();
        using var allStarted = new Barrier(failing);
        ForkJoinScope scope = ForkJoinScope.Open(failing);
        foreach (InvalidOperationException error in errors)
        {
            scope.Spawn(_ =>
            {
                Assert.True(allStarted.SignalAndWait(HangGuard));
                throw error;
            });
        }

        AggregateException aggregate = Assert.Throws<AggregateException>(scope.Join);
        Assert.Equal(failing, aggregate.InnerExceptions.Count);
        foreach (InvalidOperationException error in errors)
        {
            Assert.Contains(error, aggregate.InnerExceptions);
        }
    }

    [Fact]
    public void The_body_exception_and_task_exceptions_are_both_kept()
    {
        var taskError = new InvalidOperationException("task");
        var bodyError = new ArgumentException("body");
        AggregateException aggregate = Assert.Throws<AggregateException>(() => ForkJoinScope.Run(scope =>
        {
            scope.Spawn(_ => throw taskError);
            Assert.True(scope.CancellationToken.WaitHandle.WaitOne(HangGuard)); // the task has failed
            throw bodyError;
        }));
        Assert.Equal([taskError, bodyError], aggregate.InnerExceptions); // in the order they were recorded
    }

    [Fact]
    public void The_first_failure_cancels_the_scope_token_and_skips_unstarted_tasks()
    {
        int ranAfterFailure = 0;
        AggregateException aggregate = Assert.Throws<AggregateException>(() => ForkJoinScope.Run(scope =>
        {
            scope.Spawn(_ => throw new InvalidOperationException("boom"));
            scope.Spawn(s =>
            {
                // A sibling that observes the token: it must see the cancellation.
                Assert.True(s.CancellationToken.WaitHandle.WaitOne(HangGuard), "the scope token was not cancelled by the failure");
            });
            Assert.True(scope.CancellationToken.WaitHandle.WaitOne(HangGuard));
            for (int i = 0; i < 1000; i++)
            {
                scope.Spawn(_ => Interlocked.Increment(ref ranAfterFailure)); // spawned after the cancellation: skipped
            }
        }));

        Assert.IsType<InvalidOperationException>(Assert.Single(aggregate.InnerExceptions));
        Assert.Equal(0, Volatile.Read(ref ranAfterFailure));
    }

    [Fact]
    public void Outer_cancellation_skips_unstarted_tasks_and_throws_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        int ran = 0;
        OperationCanceledException oce = Assert.ThrowsAny<OperationCanceledException>(() => ForkJoinScope.Run(
            scope =>
            {
                Assert.True(scope.CancellationToken.IsCancellationRequested);
                scope.Spawn(_ => Interlocked.Increment(ref ran));
            },
            cts.Token));
        Assert.Equal(cts.Token, oce.CancellationToken);
        Assert.Equal(0, ran);
    }

    [Fact]
    public void Outer_cancellation_while_running_reaches_the_tasks()
    {
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => ForkJoinScope.Run(
            scope =>
            {
                for (int i = 0; i < 4; i++)
                {
                    scope.Spawn(s =>
                    {
                        while (true)
                        {
                            s.CancellationToken.ThrowIfCancellationRequested();
                            Thread.Yield();
                        }
                    });
                }

                cts.Cancel();
            },
            cts.Token));
    }

    [Fact]
    public void A_callback_the_outer_cancellation_runs_is_waited_for_and_its_exception_kept()
    {
        for (int i = 0; i < 5; i++)
        {
            using var outer = new CancellationTokenSource();
            int callbackDone = 0;
            AggregateException aggregate = Assert.Throws<AggregateException>(() => ForkJoinScope.Run(
                scope =>
                {
                    scope.CancellationToken.Register(() =>
                    {
                        Thread.Sleep(50); // the last task sees the token first and finishes meanwhile
                        Volatile.Write(ref callbackDone, 1);
                        throw new InvalidOperationException("callback");
                    });
                    scope.Spawn(s => SpinWait.SpinUntil(() => s.CancellationToken.IsCancellationRequested));
                    ThreadPool.UnsafeQueueUserWorkItem(_ => outer.Cancel(), null);
                },
                outer.Token));
            Assert.Equal(1, Volatile.Read(ref callbackDone)); // the join waited for the callback
            Assert.Contains(aggregate.InnerExceptions, e => e is InvalidOperationException { Message: "callback" });
        }
    }

    [Fact]
    public void An_async_task_run_by_a_joiner_on_a_single_threaded_context_does_not_post_back_to_it()
    {
        // A joiner runs what nobody steals, SpawnAsync's starts included; its thread is blocked in the join, so an await
        // that captured its context would never continue.
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            var context = new BlockingContext();
            SynchronizationContext.SetSynchronizationContext(context);
            try
            {
                for (int i = 0; i < 20; i++)
                {
                    ForkJoinScope.Run(scope => scope.SpawnAsync(async _ => await Task.Delay(1)));
                }

                Assert.Same(context, SynchronizationContext.Current);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        Assert.True(thread.Join(HangGuard), "a joiner waited for a continuation posted to its own blocked thread");
        Assert.Null(failure);
    }

    [Fact]
    public async Task An_async_task_run_by_a_joiner_inside_a_task_of_an_exclusive_scheduler_does_not_continue_on_it()
    {
        // The joiner is a task of the exclusive scheduler, blocked in the join: an await that continued on that scheduler
        // would wait for the joiner's own task to end.
        var pair = new ConcurrentExclusiveSchedulerPair();
        Task run = Task.Factory.StartNew(
            () =>
            {
                for (int i = 0; i < 20; i++)
                {
                    ForkJoinScope.Run(scope => scope.SpawnAsync(async _ => await Task.Delay(1)));
                }
            },
            CancellationToken.None,
            TaskCreationOptions.None,
            pair.ExclusiveScheduler);
        await run.WaitAsync(HangGuard);
    }

    /// <summary>A context whose thread only ever runs what it posted itself: posts queue up and never run.</summary>
    private sealed class BlockingContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state)
        {
            // dropped: the one thread that could run it is the test thread, blocked in Run
        }
    }

    [Fact]
    public void Spawn_after_the_scope_finished_throws()
    {
        ForkJoinScope? captured = null;
        ForkJoinScope.Run(scope => captured = scope);
        Assert.True(captured!.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => captured.Spawn(_ => { }));

        ForkJoinScope open = ForkJoinScope.Open();
        open.Join();
        Assert.Throws<InvalidOperationException>(() => open.Spawn(_ => { }));
    }

    [Fact]
    public async Task Join_may_be_called_once()
    {
        ForkJoinScope scope = ForkJoinScope.Open();
        scope.Join();
        Assert.Throws<InvalidOperationException>(scope.Join);
        Assert.Throws<InvalidOperationException>(() => { _ = scope.JoinAsync(); });

        ForkJoinScope asyncScope = ForkJoinScope.Open();
        await asyncScope.JoinAsync();
        Assert.Throws<InvalidOperationException>(asyncScope.Join);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentNullException>("body", () => ForkJoinScope.Run(null!));
        Assert.Throws<ArgumentNullException>("body", () => { _ = ForkJoinScope.RunAsync((Func<ForkJoinScope, Task>)null!); });
        Assert.Throws<ArgumentNullException>("body", () => { _ = ForkJoinScope.RunAsync((Action<ForkJoinScope>)null!); });
        Assert.Throws<ArgumentOutOfRangeException>("maxDegreeOfParallelism", () => ForkJoinScope.Open(0));
        ForkJoinScope scope = ForkJoinScope.Open();
        Assert.Throws<ArgumentNullException>("task", () => scope.Spawn(null!));
        scope.Join();
    }

    [Fact]
    public async Task Explicit_form_runs_long_loops_while_the_caller_returns_then_joins_async()
    {
        const int workers = 3;
        int started = 0;
        int stop = 0;
        long work = 0;
        ForkJoinScope scope = ForkJoinScope.Open(workers);
        for (int w = 0; w < workers; w++)
        {
            scope.Spawn(_ =>
            {
                Interlocked.Increment(ref started);
                while (Volatile.Read(ref stop) == 0)
                {
                    Interlocked.Increment(ref work);
                    Thread.Yield();
                }
            });
        }

        // The caller is free: all loops start on the pool without anyone joining.
        var deadline = DateTime.UtcNow + HangGuard;
        while (Volatile.Read(ref started) < workers && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1);
        }

        Assert.Equal(workers, Volatile.Read(ref started));
        Volatile.Write(ref stop, 1);
        await scope.JoinAsync().WaitAsync(HangGuard);
        Assert.True(scope.IsCompleted);
        Assert.True(Interlocked.Read(ref work) > 0);
    }

    [Fact]
    public async Task RunAsync_awaits_the_body_and_every_task_and_aggregates_errors()
    {
        int ran = 0;
        await ForkJoinScope.RunAsync(async scope =>
        {
            await Task.Yield();
            for (int i = 0; i < 1000; i++)
            {
                scope.Spawn(_ => Interlocked.Increment(ref ran));
            }
        }).WaitAsync(HangGuard);
        Assert.Equal(1000, Volatile.Read(ref ran));

        AggregateException aggregate = await Assert.ThrowsAsync<AggregateException>(() => ForkJoinScope.RunAsync(async scope =>
        {
            scope.Spawn(_ => throw new InvalidOperationException("a"));
            await Task.Yield();
            // Wait until "a" has failed: a task that has not started when the body fails is skipped, and on the shared
            // scheduler other tests' tasks may hold every stealer for a while.
            Assert.True(scope.CancellationToken.WaitHandle.WaitOne(HangGuard));
            throw new InvalidOperationException("b");
        }));
        Assert.Equal(["a", "b"], aggregate.InnerExceptions.Select(e => e.Message).Order());
    }

    [Fact]
    public async Task RunAsync_reports_outer_cancellation_as_a_cancelled_task()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Task run = ForkJoinScope.RunAsync(scope => scope.Spawn(_ => { }), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(run.IsCanceled);
    }

    [Fact]
    public void Tasks_see_the_async_locals_of_the_scope_opener()
    {
        var local = new AsyncLocal<string>();
        local.Value = "opener";
        int seen = 0;
        ForkJoinScope.Run(scope =>
        {
            for (int i = 0; i < 200; i++)
            {
                scope.Spawn(_ =>
                {
                    if (local.Value == "opener")
                    {
                        Interlocked.Increment(ref seen);
                    }
                });
            }
        });
        Assert.Equal(200, seen);
    }
}
