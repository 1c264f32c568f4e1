using Primitives.Internal;

namespace Primitives.ForkJoin;

// The joining half of ForkJoinScope: Join/JoinAsync, failures and cancellation. Design note:
// docs/fork-join-scope.md ("ForkJoinScope").
public sealed partial class ForkJoinScope
{
    /// <summary>The dedicated joiner's sync wait condition: finished, or there is a queued task it can run itself.</summary>
    private static readonly Func<ForkJoinScope, bool> s_isFinishedOrHasWork = static scope => scope.IsCompleted || !scope._queue!.IsEmpty;

    /// <summary>The shared joiner's sync wait condition: finished, or the scheduler holds work it can run itself.</summary>
    private static readonly Func<ForkJoinScope, bool> s_isFinishedOrAnyWork = static scope => scope.IsCompleted || Worker.AnyWorkVisible();

    /// <summary>The async joiner's wait condition: finished.</summary>
    private static readonly Func<ForkJoinScope, bool> s_isFinished = static scope => scope.IsCompleted;

    /// <summary>
    /// Waits until every task of the scope has finished, running unstarted tasks on the calling thread
    /// meanwhile (spin, then park when there is nothing to run). Call it once.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="Join"/> or <see cref="JoinAsync"/> was already called.</exception>
    /// <exception cref="AggregateException">The body or tasks threw; it holds every exception, in the order they were recorded.</exception>
    /// <exception cref="OperationCanceledException">The outer token cancelled the scope, and no task failed with anything else.</exception>
    public void Join()
    {
        EnterJoin();
        Worker.CurrentOrNull?.FlushHeldCounts(); // this thread may hold counts of this scope (Run's body), or of a scope whose task calls this join; a thread that never entered the scheduler holds none, and stays unregistered
        if (IsShared)
        {
            Worker worker = Worker.Current;
            worker.Enter(); // tasks it runs spawn onto this thread's deque
            worker.HelpUntil(s_isFinished, this, _gate, s_isFinishedOrAnyWork); // local, injected and stolen work of any scope
            worker.Exit();
            Finish();
            return;
        }

        while (!IsCompleted)
        {
            int finished = 0;
            while (_queue!.TryDequeue(out Action<ForkJoinScope>? task))
            {
                RunTask(task); // help: this is what keeps nested scopes from deadlocking on a starved pool
                finished = CountFinishedInBatches(finished + 1);
            }

#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.ScopeJoinerParksBeforeCounting))
            {
                _gate.Wait(s_isFinishedOrHasWork, this, CancellationToken.None); // SEEDED FAULT: parks holding uncounted tasks: if they were the last, it waits for itself
            }
#endif
            CountFinished(finished);
            _gate.Wait(s_isFinishedOrHasWork, this, CancellationToken.None);
        }

        Finish();
    }

    /// <summary>
    /// Completes when every task of the scope has finished, without blocking a thread. Call it once.
    /// </summary>
    /// <returns>
    /// A task that completes when the scope has finished: faulted with an <see cref="AggregateException"/>
    /// holding every exception (so <c>await</c> throws that <see cref="AggregateException"/>), or cancelled
    /// when the outer token cancelled the scope and no task failed with anything else.
    /// </returns>
    /// <exception cref="InvalidOperationException"><see cref="Join"/> or <see cref="JoinAsync"/> was already called.</exception>
    public Task JoinAsync()
    {
        EnterJoin();
        return JoinAsyncCore();
    }

    private async Task JoinAsyncCore()
    {
        if (!IsShared && !_queue!.IsEmpty)
        {
            TryLaunchRunner(); // nobody may be draining: the async joiner does not run tasks inline (shared: every submission woke stealers)
        }

        await _gate.WaitAsync(s_isFinished, this, CancellationToken.None).ConfigureAwait(false);
        Finish();
    }

    private static async Task RunAsyncCore(Func<ForkJoinScope, Task> body, CancellationToken cancellationToken)
    {
        var scope = new ForkJoinScope(0, cancellationToken);
        try
        {
            await body(scope).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            scope.RecordFailure(ex);
        }

        await scope.JoinAsync().ConfigureAwait(false);
    }

    /// <summary>Marks the join (once only) and drops the scope's own hold on Pending.</summary>
    private void EnterJoin()
    {
        if (Interlocked.Exchange(ref _joined, 1) != 0) // once: pairs with itself
        {
            ThrowHelper.ThrowInvalidOperationException("The scope was already joined: Join or JoinAsync may be called once.");
        }

        Interlocked.Decrement(ref _counters.Pending); // drop the hold; the final decrement (this one or a task's) finishes the scope
    }

    /// <summary>Called once Pending is 0: unhooks the outer token and throws what the scope collected.</summary>
    private void Finish()
    {
        _outerRegistration.Unregister(); // never waits for a running callback (Dispose would)
        ExceptionNode? node = Volatile.Read(ref _exceptions); // acquire: complete, every push came before a decrement of Pending (ordering 1)
        bool cancelledByOuter = Volatile.Read(ref _cancelledByOuter) != 0; // acquire: pairs with the write in CancelFromOuter
        if (node is null)
        {
            if (cancelledByOuter)
            {
                throw new OperationCanceledException(_outerToken);
            }

            return;
        }

        var errors = new List<Exception>();
        bool onlyCancellations = true;
        for (; node is not null; node = node.Next)
        {
            errors.Add(node.Error);
            onlyCancellations &= node.Error is OperationCanceledException;
        }

        if (cancelledByOuter && onlyCancellations)
        {
            throw new OperationCanceledException(_outerToken);
        }

        errors.Reverse(); // the stack holds the newest first
        throw new AggregateException(errors);
    }

    /// <summary>Keeps <paramref name="error"/> for the join and cancels the scope (first failure only).</summary>
    private void RecordFailure(Exception error)
    {
        PushException(error);
        RequestCancellation();
    }

    private void PushException(Exception error)
    {
        var node = new ExceptionNode(error);
        ExceptionNode? head = Volatile.Read(ref _exceptions); // acquire: pairs with the CAS below
        while (true)
        {
            node.Next = head; // plain: the node is not shared until the CAS below publishes it (full fence)
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.ScopePushWithoutCas))
            {
                Volatile.Write(ref _exceptions, node); // SEEDED FAULT: a node pushed since the read above is lost
                return;
            }
#endif
            ExceptionNode? seen = Interlocked.CompareExchange(ref _exceptions, node, head); // release: pairs with the acquire in Finish
            if (ReferenceEquals(seen, head))
            {
                return;
            }

            head = seen;
        }
    }

    /// <summary>
    /// The outer token's callback: cancels the scope while holding a count of Pending, so that the scope cannot finish
    /// while the scope token's callbacks run, and the join sees whatever they throw (a failing task holds its own count
    /// while it cancels). Nothing to do once the scope has finished.
    /// </summary>
    private void CancelFromOuter()
    {
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.ScopeOuterCancelWithoutCount))
        {
            Volatile.Write(ref _cancelledByOuter, 1); // SEEDED FAULT: no count held: the join can finish while the callbacks run, and drop what they throw
            RequestCancellation();
            return;
        }
#endif
        if (!TryReserveSpawnCounts(1))
        {
            return; // finished: the join has read the exceptions already
        }

        try
        {
            Volatile.Write(ref _cancelledByOuter, 1); // release: pairs with the acquire in Finish (ordered before it by the count held here)
            RequestCancellation();
        }
        finally
        {
            CountFinished(1); // release: the callbacks' exceptions are pushed first; pairs with the joiner's acquire of Pending
        }
    }

    /// <summary>Cancels <see cref="CancellationToken"/> once; exceptions thrown by its callbacks are kept too.</summary>
    private void RequestCancellation()
    {
        if (Interlocked.CompareExchange(ref _cancelState, 1, 0) != 0) // once: the first failure or the outer token wins
        {
            return;
        }

        try
        {
            _cancellation.Cancel();
        }
        catch (AggregateException callbackErrors)
        {
            foreach (Exception error in callbackErrors.InnerExceptions)
            {
                PushException(error);
            }
        }
    }

    /// <summary>One kept exception; the stack is pushed with a CAS and read only after the scope finished.</summary>
    private sealed class ExceptionNode(Exception error)
    {
        public Exception Error { get; } = error;

        public ExceptionNode? Next { get; set; }
    }
}
