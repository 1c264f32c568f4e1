using System.Collections.Concurrent;
using Primitives.ForkJoin;

namespace Primitives.Tests.ForkJoin;

/// <summary>Where user code fails in a <see cref="ForkJoinScope"/>.</summary>
public enum ScopePoint
{
    /// <summary>The body throws after spawning tasks (Run/RunAsync only).</summary>
    Body,

    /// <summary>A task throws.</summary>
    Task,

    /// <summary>A task spawned by a task throws.</summary>
    NestedTask,

    /// <summary>A task of a scope run inside a task throws: the inner Run's AggregateException fails the outer task.</summary>
    NestedScopeTask,

    /// <summary>A task registers a throwing callback on <see cref="ForkJoinScope.CancellationToken"/>, then throws: the callback throws during the scope's cancellation.</summary>
    TokenCallback,

    /// <summary>
    /// A task registers a throwing callback on <see cref="ForkJoinScope.CancellationToken"/>, then cancels the outer
    /// token the scope was opened with: the callback throws during the cancellation the outer token causes, so the
    /// join throws an AggregateException with it (a failure, not only cancellations).
    /// </summary>
    TokenCallbackOnOuterCancel,
}

/// <summary>How the scope is run and joined.</summary>
public enum ScopeForm
{
    Run,
    RunAsyncFunc,
    RunAsyncAction,
    OpenJoin,
    OpenJoinAsync,
}

/// <summary>Which side of <see cref="Fork.Join(Action, Action)"/> throws.</summary>
public enum JoinFailure
{
    Left,
    Right,
    Both,
}

/// <summary>Where the failing join sits: alone, or as the left or right side of an outer join.</summary>
public enum JoinNesting
{
    Flat,
    InLeft,
    InRight,
}

/// <summary>
/// The user-code sweep for fork-join: a scope whose body, task, nested task, task in a nested scope, or callback on
/// the scope's token throws, in every form of running the scope, with and without sibling tasks that wait for the
/// scope's cancellation; and <see cref="Fork.Join(Action, Action)"/> where either or both sides throw, flat and
/// nested. Each case checks: the join throws an AggregateException holding exactly the original exception objects
/// (left first for joins), every task had finished when it returned, and no task runs afterwards; bounded by a
/// timeout.
/// </summary>
public class UserCodeSweepTests
{
    private const int Tasks = 24;

    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);

    public static IEnumerable<object[]> ScopeCases()
    {
        foreach (ScopePoint point in Enum.GetValues<ScopePoint>())
        {
            foreach (ScopeForm form in Enum.GetValues<ScopeForm>())
            {
                if (point == ScopePoint.Body && form is ScopeForm.OpenJoin or ScopeForm.OpenJoinAsync)
                {
                    continue; // the explicit form has no body: code before Join is the caller's own
                }

                foreach (int at in new[] { 0, Tasks / 2, Tasks - 1 })
                {
                    yield return [point, form, at, false];
                    if (point is not (ScopePoint.Body or ScopePoint.NestedTask))
                    {
                        // Not with a failing body (it spawns nothing after the failure), nor a failing nested task: it is
                        // queued after the waiters, which could then hold every thread waiting for it (tasks that wait
                        // for a sibling can deadlock, as documented).
                        yield return [point, form, at, true];
                    }
                }
            }
        }
    }

    public static IEnumerable<object[]> JoinCases()
    {
        foreach (JoinFailure failure in Enum.GetValues<JoinFailure>())
        {
            foreach (JoinNesting nesting in Enum.GetValues<JoinNesting>())
            {
                yield return [failure, nesting, false];
                yield return [failure, nesting, true];
            }
        }
    }

    /// <param name="point">What fails.</param>
    /// <param name="form">How the scope runs.</param>
    /// <param name="at">The failing task's index among the body's <see cref="Tasks"/> tasks (for the body: it throws after spawning <paramref name="at"/> + 1).</param>
    /// <param name="waiters">Whether later siblings wait for the scope's cancellation (they end only if the failure cancels the scope).</param>
    [Theory]
    [MemberData(nameof(ScopeCases))]
    public void A_failing_scope_task_is_safe(ScopePoint point, ScopeForm form, int at, bool waiters)
    {
        var probe = new TaskProbe();
        var failure = new InvalidOperationException($"{point} failed at {at}");
        var callbackFailure = new InvalidOperationException("a callback on the scope's token failed");
        using var outer = new CancellationTokenSource();

        void Body(ForkJoinScope scope)
        {
            for (int i = 0; i < Tasks; i++)
            {
                int index = i;
                scope.Spawn(s => probe.Run(() => TaskBody(s, index)));
                if (point == ScopePoint.Body && index == at)
                {
                    throw failure;
                }
            }
        }

        void TaskBody(ForkJoinScope scope, int index)
        {
            Thread.SpinWait(50);
            if (index == at)
            {
                switch (point)
                {
                    case ScopePoint.Task:
                        throw failure;
                    case ScopePoint.NestedTask:
                        scope.Spawn(_ => probe.Run(() => throw failure));
                        return;
                    case ScopePoint.NestedScopeTask:
                        ForkJoinScope.Run(inner =>
                        {
                            inner.Spawn(_ => probe.Run(() => Thread.SpinWait(50)));
                            inner.Spawn(_ => probe.Run(() => throw failure));
                        });
                        return;
                    case ScopePoint.TokenCallback:
                        scope.CancellationToken.Register(() => throw callbackFailure);
                        throw failure;
                    case ScopePoint.TokenCallbackOnOuterCancel:
                        scope.CancellationToken.Register(() => throw callbackFailure);
                        outer.Cancel(); // the scope's callbacks run here; the scope keeps their exceptions
                        return;
                }
            }

            // Waiters come only after the failing task: FIFO start order then guarantees that the failing task is
            // not stuck behind waiters that hold every thread (a task that waits for a sibling can deadlock otherwise).
            if (waiters && index > at && index % 3 == 0 && !scope.CancellationToken.WaitHandle.WaitOne(CaseTimeout))
            {
                probe.Violations.Enqueue($"task {index} waited for the scope's cancellation in vain");
            }
        }

        Task run = Task.Factory.StartNew(
            () => form switch
            {
                ScopeForm.Run => Task.Run(() => ForkJoinScope.Run(Body, outer.Token)),
                ScopeForm.RunAsyncFunc => ForkJoinScope.RunAsync(
                    async scope =>
                    {
                        await Task.Yield();
                        Body(scope);
                    },
                    outer.Token),
                ScopeForm.RunAsyncAction => ForkJoinScope.RunAsync(Body, outer.Token),
                ScopeForm.OpenJoin => Task.Run(() =>
                {
                    ForkJoinScope scope = ForkJoinScope.Open(outer.Token);
                    Body(scope);
                    scope.Join();
                }),
                _ => Task.Run(async () =>
                {
                    ForkJoinScope scope = ForkJoinScope.Open(2, outer.Token);
                    Body(scope);
                    await scope.JoinAsync();
                }),
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();
        Assert.True(((IAsyncResult)run).AsyncWaitHandle.WaitOne(CaseTimeout), $"the scope did not finish within {CaseTimeout.TotalSeconds} s: it hangs");
        probe.CheckJoined();

        // The join throws an AggregateException (await rethrows the one the join threw, so Run and RunAsync agree).
        Exception? error = run.Exception?.InnerException;
        var aggregate = Assert.IsType<AggregateException>(error);
        Exception[] expected = point switch
        {
            ScopePoint.TokenCallback => [failure, callbackFailure],
            ScopePoint.TokenCallbackOnOuterCancel => [callbackFailure],
            _ => [failure],
        };
        IEnumerable<Exception> held = point == ScopePoint.NestedScopeTask ? aggregate.Flatten().InnerExceptions : aggregate.InnerExceptions;
        Assert.Equal(
            expected.OrderBy(e => e.Message, StringComparer.Ordinal),
            held.OrderBy(e => e.Message, StringComparer.Ordinal),
            ReferenceEqualityComparer.Instance);
        if (point == ScopePoint.NestedScopeTask)
        {
            Assert.IsType<AggregateException>(Assert.Single(aggregate.InnerExceptions)); // the inner Run's own AggregateException, as the outer task threw it
        }
    }

    [Theory]
    [MemberData(nameof(JoinCases))]
    public void A_failing_join_side_is_safe(JoinFailure failure, JoinNesting nesting, bool withResults)
    {
        var probe = new TaskProbe();
        var leftFailure = new InvalidOperationException("left failed");
        var rightFailure = new InvalidOperationException("right failed");

        int Side(bool fails, Exception error)
        {
            Thread.SpinWait(2000); // long enough that an idle thread may steal the right side
            return fails ? throw error : 1;
        }

        void Join(Func<int> left, Func<int> right)
        {
            if (withResults)
            {
                (int l, int r) = Fork.Join(() => probe.Run(left), () => probe.Run(right));
                Assert.Equal(2, l + r);
            }
            else
            {
                Fork.Join(() => probe.Run(() => left()), () => probe.Run(() => right()));
            }
        }

        int FailingJoin()
        {
            Join(() => Side(failure != JoinFailure.Right, leftFailure), () => Side(failure != JoinFailure.Left, rightFailure));
            return 1;
        }

        Task run = Task.Factory.StartNew(
            () =>
            {
                switch (nesting)
                {
                    case JoinNesting.Flat:
                        FailingJoin();
                        break;
                    case JoinNesting.InLeft:
                        Join(FailingJoin, () => Side(false, rightFailure));
                        break;
                    default:
                        Join(() => Side(false, leftFailure), FailingJoin);
                        break;
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Assert.True(((IAsyncResult)run).AsyncWaitHandle.WaitOne(CaseTimeout), $"the join did not finish within {CaseTimeout.TotalSeconds} s: it hangs");
        probe.CheckJoined();
        Assert.Equal(nesting == JoinNesting.Flat ? 2 : 4, probe.Finished);

        var aggregate = Assert.IsType<AggregateException>(run.Exception?.InnerException);
        if (nesting != JoinNesting.Flat)
        {
            aggregate = Assert.IsType<AggregateException>(Assert.Single(aggregate.InnerExceptions)); // the outer join holds the inner join's exception
        }

        Exception[] expected = failure switch
        {
            JoinFailure.Left => [leftFailure],
            JoinFailure.Right => [rightFailure],
            _ => [leftFailure, rightFailure],
        };
        Assert.Equal(expected, aggregate.InnerExceptions, ReferenceEqualityComparer.Instance); // left first
    }

    /// <summary>Counts user tasks started, finished and running, and notices any that runs after the join returned.</summary>
    private sealed class TaskProbe
    {
        private int _started;
        private int _finished;
        private int _running;
        private int _returned;

        public ConcurrentQueue<string> Violations { get; } = new();

        public int Finished => Volatile.Read(ref _finished);

        public void Run(Action body) => Run(() =>
        {
            body();
            return 0;
        });

        public T Run<T>(Func<T> body)
        {
            if (Volatile.Read(ref _returned) != 0)
            {
                Violations.Enqueue("a task started after the join returned");
            }

            Interlocked.Increment(ref _started);
            Interlocked.Increment(ref _running);
            try
            {
                return body();
            }
            finally
            {
                Interlocked.Decrement(ref _running);
                Interlocked.Increment(ref _finished);
            }
        }

        /// <summary>After the join returned: nothing runs, everything started has finished, and nothing starts later.</summary>
        public void CheckJoined()
        {
            int running = Volatile.Read(ref _running);
            int started = Volatile.Read(ref _started);
            int finished = Volatile.Read(ref _finished);
            Volatile.Write(ref _returned, 1);
            Thread.Sleep(5);
            Assert.True(running == 0, $"{running} task(s) still running when the join returned");
            Assert.True(started == finished, $"{started} task(s) started but {finished} finished when the join returned");
            Assert.True(Volatile.Read(ref _started) == started, $"{Volatile.Read(ref _started) - started} task(s) started after the join returned");
            Assert.Empty(Violations);
        }
    }
}
