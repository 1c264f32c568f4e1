using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Primitives.Internal;

namespace Primitives.ForkJoin;

// Design note: docs/fork-join-scope.md ("ForkJoinScope": shared and dedicated scopes, state, invariants, orderings,
// deadlock freedom; the scheduler). Each Volatile/Interlocked access below names the access it pairs with.

/// <summary>
/// A fork-join scope: a body spawns any number of tasks, tasks spawn more into the same scope, and the
/// scope completes only when every one of them has finished.
/// </summary>
/// <remarks>
/// <para><b>Example.</b></para>
/// <code>
/// long total = 0;
/// ForkJoinScope.Run(scope =>
/// {
///     foreach (int[] part in parts)
///     {
///         scope.Spawn(_ => Interlocked.Add(ref total, part.Sum()));
///     }
/// });
/// // every spawned task has finished here
/// </code>
/// <para><b>Forms.</b> <see cref="Run(Action{ForkJoinScope}, CancellationToken)"/> and
/// <see cref="RunAsync(Func{ForkJoinScope, Task}, CancellationToken)"/> run a body and join. The explicit
/// form <see cref="Open(CancellationToken)"/> returns an open scope: spawn into it, return to the caller,
/// and later call <see cref="Join"/> or <see cref="JoinAsync"/> exactly once.</para>
/// <para><b>Threading.</b> Tasks of a scope from <see cref="Run"/>, <c>RunAsync</c> or <see cref="Open(CancellationToken)"/>
/// run on the work-stealing scheduler that <see cref="Fork.Join(Action, Action)"/> uses: a task spawned from a thread
/// that is running scheduler work (a task, a join, the body of <see cref="Run"/>) goes onto that thread's own deque,
/// other spawns onto a shared injection queue; at most <see cref="Environment.ProcessorCount"/> - 1 pool threads steal,
/// each returned to the pool after a short idle spin, and the thread that joins runs pending work itself while it
/// waits. That is what keeps deeply nested scopes from deadlocking when the pool has few threads. Tasks that block
/// until siblings run, loop for long, or block on work that only stealers would run (an async join), belong in a scope
/// from <see cref="Open(int, CancellationToken)"/>, whose tasks run on up to <c>maxDegreeOfParallelism</c> pool threads
/// of its own: a blocked task holds one of the few shared stealers. Tasks run in the <see cref="ExecutionContext"/> that was
/// current when the scope was opened (AsyncLocal values flow from there, not from each spawner), and
/// what a task writes to an AsyncLocal never flows back: not to the joining thread, even when the task ran
/// inline on it, nor to other tasks.</para>
/// <para><b>Execution order.</b> None is promised. On the shared scheduler a thread runs the newest task on its own
/// deque first and thieves take the oldest; a dedicated scope takes its tasks first-in first-out. A task spawned by
/// another may start before its parent finishes.</para>
/// <para><b>Exceptions and cancellation.</b> Every exception thrown by the body or a task is kept, and the
/// join throws them all in an <see cref="AggregateException"/> once every task has finished. The first
/// failure, or the outer token given at creation, cancels <see cref="CancellationToken"/>; from then on
/// tasks that have not started are skipped (they count as finished without running). If the outer token
/// cancelled the scope and no task failed with anything but an <see cref="OperationCanceledException"/>,
/// the join throws an <see cref="OperationCanceledException"/> for the outer token instead.</para>
/// <para><b>Thread safety.</b> <see cref="Spawn"/> and <see cref="CancellationToken"/> may be used from any
/// thread, inside or outside the scope's tasks. <see cref="Join"/>/<see cref="JoinAsync"/> may be called
/// once, by the scope's owner, never from one of its own tasks (it would wait for itself).</para>
/// <para>The design (scheduler, state, invariants, memory orderings, deadlock freedom): docs/fork-join-scope.md in
/// the repository.</para>
/// </remarks>
[SuppressMessage(
    "Design",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "_cancellation never gets a timer or a wait handle (nothing to free), and its one registration, on the outer token, is unregistered when the scope finishes. Disposing it could race with a late outer-token callback that cancels it.")]
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed partial class ForkJoinScope
{
#if PRIMITIVES_FAULTS
    /// <summary>
    /// Fault build only: the batch size, in an array element (never a Coyote scheduling point) so that a systematic
    /// test can lower it and reach the interim count with a handful of tasks. The shipped build has the constant.
    /// </summary>
    internal static readonly int[] TestCountBatchSize = [1024];

    private static int CountBatchSize => TestCountBatchSize[0];
#else
    /// <summary>The most finished tasks a thread holds before it subtracts them from Pending.</summary>
    private const int CountBatchSize = 1024;
#endif

    private readonly ConcurrentQueue<Action<ForkJoinScope>>? _queue; // dedicated scopes only
    private readonly CancellationTokenSource _cancellation = new();
    private readonly CancellationToken _token;
    private readonly CancellationToken _outerToken;
    private readonly ExecutionContext? _context;
    private readonly WaitGate _gate = new();
    private readonly Runner? _runner; // dedicated scopes only
    private readonly ContextCallback _invokeTask;
    private readonly int _maxRunners; // 0: a shared scope
    private CancellationTokenRegistration _outerRegistration;
    private ExceptionNode? _exceptions;
    private int _cancelState;
    private int _cancelledByOuter;
    private int _joined;
    private ForkJoinScopeCounters _counters; // mutable struct: do not make this readonly

    /// <summary>Opens a scope: shared when <paramref name="maxDegreeOfParallelism"/> is 0, else dedicated with that many runners.</summary>
    private ForkJoinScope(int maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        _maxRunners = maxDegreeOfParallelism;
        _token = _cancellation.Token;
        _outerToken = cancellationToken;
        _context = WorkLauncher.CaptureContext();
        if (maxDegreeOfParallelism != 0)
        {
            _queue = new();
            _runner = new Runner(this);
        }

        _invokeTask = task => Invoke((Action<ForkJoinScope>)task!);
        _counters.Pending = 1; // plain: the scope is not yet visible to any other thread
        if (cancellationToken.CanBeCanceled)
        {
            // Runs synchronously here if the token is already cancelled.
            _outerRegistration = cancellationToken.UnsafeRegister(static s => ((ForkJoinScope)s!).CancelFromOuter(), this);
        }
    }

    /// <summary>
    /// Cancelled on the first failure of the body or a task, or when the outer token passed at creation is
    /// cancelled. Tasks should observe it to stop early.
    /// </summary>
    public CancellationToken CancellationToken => _token;

    /// <summary>Whether the scope has finished: joined, and every task done. Spawning is refused from then on.</summary>
    public bool IsCompleted => Volatile.Read(ref _counters.Pending) == 0; // acquire: pairs with the final decrement

    /// <summary>Whether the scope's tasks run on the shared work-stealing scheduler (not on runners of its own).</summary>
    private bool IsShared => _maxRunners == 0;

    /// <summary>What the debugger shows: unfinished work (the hold included until the join) and who runs it.</summary>
    internal string DebuggerDisplay =>
        IsShared
            ? $"Pending = {Volatile.Read(ref _counters.Pending)}, shared scheduler, stealers = {Worker.ActiveStealers}, joined = {Volatile.Read(ref _joined) != 0}" // acquire: snapshots only
            : $"Pending = {Volatile.Read(ref _counters.Pending)}, runners = {Volatile.Read(ref _counters.Runners)}/{_maxRunners}, joined = {Volatile.Read(ref _joined) != 0}"; // acquire: snapshots only

    /// <summary>
    /// Runs <paramref name="body"/> with a new scope, then waits until every task spawned into the scope
    /// has finished, running unstarted ones on the calling thread meanwhile.
    /// </summary>
    /// <param name="body">Spawns the scope's tasks (and may do work itself).</param>
    /// <param name="cancellationToken">Cancels the scope: unstarted tasks are skipped, and <see cref="CancellationToken"/> is cancelled.</param>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    /// <exception cref="AggregateException">The body or tasks threw; it holds every exception.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> cancelled the scope (see the remarks on <see cref="ForkJoinScope"/>).</exception>
    public static void Run(Action<ForkJoinScope> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        Worker worker = Worker.Current;
        ForkJoinScope? context = worker.HeldScope; // the scope whose task or body calls Run (null: none)
        worker.Enter(); // the body's spawns go to this thread's deque: it joins, so it runs what nobody steals
        try
        {
            var scope = new ForkJoinScope(0, cancellationToken);
            worker.HoldCountsOf(scope); // the body's spawns take counts this thread reserves in chunks; the join gives back the rest
            RunBody(scope, body);
            scope.Join();
        }
        finally
        {
            worker.RestoreHeldScope(context); // the caller's code runs again
            worker.Exit();
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a new scope, then completes when every task spawned into the scope
    /// has finished, without blocking a thread.
    /// </summary>
    /// <param name="body">Spawns the scope's tasks; the scope waits for its returned task too.</param>
    /// <param name="cancellationToken">Cancels the scope: unstarted tasks are skipped, and <see cref="CancellationToken"/> is cancelled.</param>
    /// <returns>A task that completes when the scope has finished; faulted with every exception, or cancelled.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public static Task RunAsync(Func<ForkJoinScope, Task> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return RunAsyncCore(body, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a new scope on the calling thread, then completes when every task
    /// spawned into the scope has finished, without blocking a thread.
    /// </summary>
    /// <param name="body">Spawns the scope's tasks.</param>
    /// <param name="cancellationToken">Cancels the scope: unstarted tasks are skipped, and <see cref="CancellationToken"/> is cancelled.</param>
    /// <returns>A task that completes when the scope has finished; faulted with every exception, or cancelled.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
    public static Task RunAsync(Action<ForkJoinScope> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return OpenAndRun(body, 0, cancellationToken).JoinAsync();
    }

    /// <summary>
    /// Opens a scope for the explicit form: spawn into it, and call <see cref="Join"/> or
    /// <see cref="JoinAsync"/> exactly once when done. Until then the scope cannot finish.
    /// </summary>
    /// <param name="cancellationToken">Cancels the scope: unstarted tasks are skipped, and <see cref="CancellationToken"/> is cancelled.</param>
    /// <returns>The open scope.</returns>
    public static ForkJoinScope Open(CancellationToken cancellationToken = default) =>
        new(0, cancellationToken);

    /// <summary>
    /// Opens a scope for the explicit form whose tasks run on at most <paramref name="maxDegreeOfParallelism"/>
    /// pool threads of its own at a time (the joining thread comes on top), not on the shared scheduler. Use it when
    /// tasks are long-running loops that must all run at once, or block until siblings run.
    /// </summary>
    /// <param name="maxDegreeOfParallelism">The most pool threads running this scope's tasks at once (positive).</param>
    /// <param name="cancellationToken">Cancels the scope: unstarted tasks are skipped, and <see cref="CancellationToken"/> is cancelled.</param>
    /// <returns>The open scope.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDegreeOfParallelism"/> is not positive.</exception>
    public static ForkJoinScope Open(int maxDegreeOfParallelism, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDegreeOfParallelism);
        return new ForkJoinScope(maxDegreeOfParallelism, cancellationToken);
    }

    /// <summary>Opens a shared (0) or dedicated scope and runs <paramref name="body"/> in it on the calling thread, keeping its exception for the join.</summary>
    private static ForkJoinScope OpenAndRun(Action<ForkJoinScope> body, int maxRunners, CancellationToken cancellationToken)
    {
        var scope = new ForkJoinScope(maxRunners, cancellationToken);
        RunBody(scope, body);
        return scope;
    }

    /// <summary>Runs <paramref name="body"/> on the calling thread, keeping its exception for the join.</summary>
    private static void RunBody(ForkJoinScope scope, Action<ForkJoinScope> body)
    {
        try
        {
            body(scope);
        }
        catch (Exception ex)
        {
            scope.RecordFailure(ex);
        }
    }

    /// <summary>
    /// Adds a task to the scope. It runs soon on the thread pool (or on the joining thread), receives this
    /// scope, and may spawn more tasks. The scope does not finish before it has.
    /// </summary>
    /// <param name="task">The task.</param>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has already finished.</exception>
    public void Spawn(Action<ForkJoinScope> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (IsShared && Worker.TryTakeSpawnCount(this))
        {
            // Counted by a count this thread held in Pending (so Pending > 0: the scope has not finished).
            Worker.Submit(new Work(task, this)); // a push (release) or an enqueue (CAS), then wakes stealers (ordering 2)
            _gate.NotifyIfWaiting(); // a waiting joiner may run the task itself (ordering 3)
            return;
        }

        if (!TryReserveSpawnCounts(1))
        {
            ThrowHelper.ThrowInvalidOperationException("The scope has already finished: no task can be spawned into it.");
        }

        if (IsShared)
        {
            Worker.Submit(new Work(task, this)); // a push (release) or an enqueue (CAS), then wakes stealers (ordering 2)
        }
        else
        {
            _queue!.Enqueue(task); // full fence inside: ordered before the read of Runners below (ordering 2)
            if (Volatile.Read(ref _counters.Runners) < _maxRunners) // acquire: pairs with the runner's Interlocked.Decrement in Runner.Execute
            {
                TryLaunchRunner();
            }
        }

        _gate.NotifyIfWaiting(); // a waiting joiner may run the task itself (ordering 3)
    }

    /// <summary>
    /// Adds <paramref name="count"/> to Pending unless it is 0 (the scope finished): counts for tasks about to be spawned,
    /// before any of them can run. False when the scope has finished.
    /// </summary>
    internal bool TryReserveSpawnCounts(int count)
    {
        int pending = Volatile.Read(ref _counters.Pending); // acquire: pairs with the CAS below and the decrements
        while (pending != 0)
        {
            int seen = Interlocked.CompareExchange(ref _counters.Pending, pending + count, pending); // counts the tasks before they can run: pairs with their decrements
            if (seen == pending)
            {
                return true;
            }

            pending = seen;
        }

        return false;
    }

    /// <summary>A task of this scope moved between queues (<see cref="Worker"/>): a parked joiner looks again.</summary>
    internal void NotifyWorkArrived() => _gate.NotifyIfWaiting();

    /// <summary>Launches one more runner if fewer than the maximum are active.</summary>
    private void TryLaunchRunner()
    {
        if (TryAcquireRunnerSlot())
        {
            WorkLauncher.Launch(_runner!);
        }
    }

    /// <summary>Counts one more active runner if below the maximum.</summary>
    private bool TryAcquireRunnerSlot()
    {
        int runners = Volatile.Read(ref _counters.Runners); // acquire: pairs with the CAS below and the runners' decrements
        while (runners < _maxRunners)
        {
            int seen = Interlocked.CompareExchange(ref _counters.Runners, runners + 1, runners); // full fence: pairs with the read in Spawn
            if (seen == runners)
            {
                return true;
            }

            runners = seen;
        }

        return false;
    }

    /// <summary>Runs queued tasks until the queue is empty; then exits unless a task arrived meanwhile (ordering 2).</summary>
    private void RunQueued()
    {
        while (true)
        {
            int finished = 0; // this runner's tasks not yet subtracted from Pending (ordering 1)
            while (_queue!.TryDequeue(out Action<ForkJoinScope>? task))
            {
                RunTask(task);
                finished = CountFinishedInBatches(finished + 1);
            }

            CountFinished(finished);
            Interlocked.Decrement(ref _counters.Runners); // full fence: ordered before the re-check of the queue below
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.ScopeRunnerExitWithoutRecheck))
            {
                return; // SEEDED FAULT: a task enqueued by a spawner that saw every runner slot taken is stranded
            }
#endif
            if (_queue.IsEmpty || !TryAcquireRunnerSlot())
            {
                return;
            }
        }
    }

    /// <summary>Runs (or, once the scope is cancelled, skips) one dequeued task. The caller counts it finished.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void RunTask(Action<ForkJoinScope> task)
    {
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.ScopeCountBeforeRun))
        {
            CountFinished(1); // SEEDED FAULT: counted finished before it runs, so the join may return while it runs
        }
#endif
        if (!_token.IsCancellationRequested)
        {
            // ExecutionContext.Run gives the thread its own context back afterwards, even when it is the same object
            // as the one the task ran in: a task's AsyncLocal writes never flow back to the joiner, nor to the next
            // task on the same runner, wherever it ran. Without a scope context (flow suppressed at Open) the task
            // runs in the thread's own, isolated the same way. Launching with tasks, there is none of this (WorkLauncher).
            ExecutionContext? context = _context ?? WorkLauncher.CaptureContext();
            if (context is null)
            {
                Invoke(task); // flow suppressed on this thread, or launching with tasks: no context to run in or to restore
            }
            else if (ContextSwitch.IsCurrent(context))
            {
                SynchronizationContext? synchronization = SynchronizationContext.Current;
                Invoke(task); // already in the scope's context: no switch, only the restore below if the task changed it
                ContextSwitch.RestoreAfterInline(context, synchronization);
            }
            else
            {
                ExecutionContext.Run(context, _invokeTask, task);
            }
        }
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.ScopeCountBeforeRun))
        {
            Interlocked.Increment(ref _counters.Pending); // the fault's other half: the caller still counts this task
        }
#endif
    }

    /// <summary>
    /// Subtracts the calling thread's finished tasks from Pending once they reach <see cref="CountBatchSize"/>, so that
    /// Pending over-counts by a bounded amount even when the queue never empties. Returns the count still held.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int CountFinishedInBatches(int finished)
    {
        if (finished < CountBatchSize)
        {
            return finished;
        }

#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.ScopeBatchCountWithoutWake))
        {
            Interlocked.Add(ref _counters.Pending, -finished); // SEEDED FAULT: "an interim count is never the last", yet it is when a batch ends with the scope's last task: no wake
            return 0;
        }
#endif
        CountFinished(finished);
        return 0;
    }

    /// <summary>
    /// Subtracts <paramref name="finished"/> tasks, run by the calling thread since its last call, from
    /// Pending, and wakes the joiner if that finished the scope.
    /// </summary>
    internal void CountFinished(int finished)
    {
        if (finished != 0 && Interlocked.Add(ref _counters.Pending, -finished) == 0) // release: publishes the tasks' effects to the joiner's acquire of Pending (ordering 1)
        {
            _gate.NotifyIfWaiting();
        }
    }

    private void Invoke(Action<ForkJoinScope> task)
    {
        try
        {
            task(this);
        }
        catch (Exception ex)
        {
            RecordFailure(ex);
        }
    }

    /// <summary>The thread-pool work item that drains the queue; one instance per scope, launched up to _maxRunners times.</summary>
    private sealed class Runner(ForkJoinScope scope) : IThreadPoolWorkItem
    {
        public void Execute() => scope.RunQueued();
    }
}
