using System.Collections.Concurrent;
using Primitives.ForkJoin;
using Primitives.Internal;

namespace Primitives.CoyoteTests.ForkJoin.Twins;

/// <summary>
/// Seeded-bug twin of <c>Primitives.ForkJoin.ForkJoinScope</c>: the algorithm of the explicit form
/// (Spawn, runners, Join, JoinAsync, failures), copied from src/Primitives/ForkJoin/ForkJoinScope.cs and
/// ForkJoinScope.Joining.cs (batched completion counts) without argument checks, padding, execution-context
/// flow, the interim count flush every 1024 tasks (these tests run a handful) or the outer token, with one
/// switchable fault (<see cref="ScopeFault"/>). With <see cref="ScopeFault.None"/> it behaves like the
/// original; keep it in sync when the original changes.
/// See the original for the design note and the orderings.
/// </summary>
internal sealed class FaultyForkJoinScope : IScope
{
    private readonly ScopeFault _fault;
    private readonly int _maxRunners;
    private readonly ConcurrentQueue<Action<IScope>> _queue = new();
    private readonly CancellationTokenSource _cancellation = new();
    private readonly WaitGate _gate = new();
    private readonly Runner _runner;
    private ExceptionNode? _exceptions;
    private int _cancelState;
    private int _pending = 1;
    private int _runners;

    public FaultyForkJoinScope(int maxDegreeOfParallelism, ScopeFault fault)
    {
        _fault = fault;
        _maxRunners = maxDegreeOfParallelism;
        _runner = new Runner(this);
    }

    private bool IsCompleted => Volatile.Read(ref _pending) == 0; // acquire: pairs with the final decrement

    public void Spawn(Action<IScope> task)
    {
        int pending = Volatile.Read(ref _pending); // acquire: pairs with the CAS below and the decrements
        while (true)
        {
            if (pending == 0)
            {
                throw new InvalidOperationException("The scope has already finished.");
            }

            int seen = Interlocked.CompareExchange(ref _pending, pending + 1, pending); // counts the task before it can run
            if (seen == pending)
            {
                break;
            }

            pending = seen;
        }

        _queue.Enqueue(task); // full fence inside: ordered before the read of _runners below
        if (Volatile.Read(ref _runners) < _maxRunners) // acquire: pairs with the runner's decrement
        {
            TryLaunchRunner();
        }

        _gate.NotifyIfWaiting();
    }

    public void Join()
    {
        EnterJoin();
        while (!IsCompleted)
        {
            int finished = 0;
            while (_queue.TryDequeue(out Action<IScope>? task))
            {
                finished += RunTask(task);
            }

            if (_fault == ScopeFault.JoinerParksBeforeCounting)
            {
                // FAULT: if this thread ran the last tasks, Pending never reaches 0 while it parks
                _gate.Wait(static s => s.IsCompleted || !s._queue.IsEmpty, this, CancellationToken.None);
                CountFinished(finished);
                continue;
            }

            CountFinished(finished);
            _gate.Wait(static s => s.IsCompleted || !s._queue.IsEmpty, this, CancellationToken.None);
        }

        Finish();
    }

    public async Task JoinAsync()
    {
        EnterJoin();
        if (!_queue.IsEmpty)
        {
            TryLaunchRunner();
        }

        await _gate.WaitAsync(static s => s.IsCompleted, this, CancellationToken.None).ConfigureAwait(false);
        Finish();
    }

    private void EnterJoin() => Interlocked.Decrement(ref _pending); // drop the hold

    private void TryLaunchRunner()
    {
        if (TryAcquireRunnerSlot())
        {
            WorkLauncher.Launch(_runner);
        }
    }

    private bool TryAcquireRunnerSlot()
    {
        int runners = Volatile.Read(ref _runners); // acquire: pairs with the CAS below and the decrements
        while (runners < _maxRunners)
        {
            int seen = Interlocked.CompareExchange(ref _runners, runners + 1, runners); // full fence
            if (seen == runners)
            {
                return true;
            }

            runners = seen;
        }

        return false;
    }

    private void RunQueued()
    {
        while (true)
        {
            int finished = 0; // subtracted from _pending in one step before this runner may exit
            while (_queue.TryDequeue(out Action<IScope>? task))
            {
                finished += RunTask(task);
            }

            CountFinished(finished);
            Interlocked.Decrement(ref _runners); // full fence: ordered before the re-check below
            if (_fault == ScopeFault.RunnerExitWithoutRecheck)
            {
                return; // FAULT: a task enqueued by a spawner that saw every runner slot taken is stranded
            }

            if (_queue.IsEmpty || !TryAcquireRunnerSlot())
            {
                return;
            }
        }
    }

    /// <summary>Runs one task; returns how many tasks the caller still has to count finished (0 or 1).</summary>
    private int RunTask(Action<IScope> task)
    {
        int uncounted = 1;
        if (_fault == ScopeFault.CountBeforeRun)
        {
            CountFinished(1); // FAULT: the join may return before the task below has run
            uncounted = 0;
        }

        if (!_cancellation.IsCancellationRequested)
        {
            try
            {
                task(this);
            }
            catch (Exception ex)
            {
                PushException(ex);
                RequestCancellation();
            }
        }

        return uncounted;
    }

    private void CountFinished(int finished)
    {
        if (finished != 0 && Interlocked.Add(ref _pending, -finished) == 0) // release: publishes the tasks' effects to the joiner
        {
            _gate.NotifyIfWaiting();
        }
    }

    private void PushException(Exception error)
    {
        var node = new ExceptionNode(error);
        ExceptionNode? head = Volatile.Read(ref _exceptions); // acquire: pairs with the CAS below
        while (true)
        {
            node.Next = head; // plain: the node is not shared until it is published below
            if (_fault == ScopeFault.PushWithoutCas)
            {
                Volatile.Write(ref _exceptions, node); // FAULT: a node pushed since the read above is lost
                return;
            }

            ExceptionNode? seen = Interlocked.CompareExchange(ref _exceptions, node, head); // release: pairs with the acquire in Finish
            if (ReferenceEquals(seen, head))
            {
                return;
            }

            head = seen;
        }
    }

    private void RequestCancellation()
    {
        if (Interlocked.CompareExchange(ref _cancelState, 1, 0) == 0) // once
        {
            _cancellation.Cancel();
        }
    }

    private void Finish()
    {
        var errors = new List<Exception>();
        for (ExceptionNode? node = Volatile.Read(ref _exceptions); node is not null; node = node.Next) // acquire: complete once Pending is 0
        {
            errors.Add(node.Error);
        }

        if (errors.Count > 0)
        {
            errors.Reverse();
            throw new AggregateException(errors);
        }
    }

    private sealed class Runner(FaultyForkJoinScope scope) : IThreadPoolWorkItem
    {
        public void Execute() => scope.RunQueued();
    }

    private sealed class ExceptionNode(Exception error)
    {
        public Exception Error { get; } = error;

        public ExceptionNode? Next { get; set; }
    }
}
