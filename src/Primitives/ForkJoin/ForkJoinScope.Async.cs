namespace Primitives.ForkJoin;

/// <summary>Asynchronous tasks in a scope.</summary>
public sealed partial class ForkJoinScope
{
    /// <summary>
    /// Spawns an asynchronous task into the scope: the scope finishes only when the <see cref="Task"/> that
    /// <paramref name="task"/> returns has completed, and a fault of that task is collected like any other.
    /// </summary>
    /// <param name="task">Starts the task; runs like a task spawned with <see cref="Spawn"/>, but without a
    /// <see cref="SynchronizationContext"/>, as on a pool thread, whichever thread starts it (a joiner that runs it blocks
    /// in <see cref="Join"/> until the scope finishes, so continuations posted to that thread's context would never run).
    /// Its continuations run wherever it awaits, not on the scope's runners.</param>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The scope has already finished.</exception>
    /// <remarks>Thread safety: any thread, like <see cref="Spawn"/>.</remarks>
    public void SpawnAsync(Func<ForkJoinScope, Task> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        Spawn(scope => scope.StartAsync(task));
    }

    /// <summary>Starts an asynchronous task on a runner; keeps the scope open until it completes.</summary>
    private void StartAsync(Func<ForkJoinScope, Task> task)
    {
        Task running;
        SynchronizationContext? synchronization = WorkLauncher.LaunchesWithTasks ? null : SynchronizationContext.Current; // launching with tasks (systematic tests) every thread is a task's: no context, and a systematic tester refuses the read
        if (synchronization is null)
        {
            running = task(this); // a synchronous throw is recorded by Invoke like any task's
        }
        else
        {
            SynchronizationContext.SetSynchronizationContext(null); // its awaits must not post to the running thread: it may be a blocked joiner
            try
            {
                running = task(this);
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(synchronization);
            }
        }

        if (running.IsCompleted)
        {
            RecordOutcome(running);
            return;
        }

        // This spawned task is still counted in Pending, so Pending > 0 and one more hold is always allowed.
        Interlocked.Increment(ref _counters.Pending); // hold while the task runs: pairs with the decrement in FinishAsync
        _ = FinishWhenDoneAsync(running);
    }

    /// <summary>
    /// Waits for a spawned asynchronous task, then records its outcome and drops its hold. An await rather than
    /// <c>ContinueWith</c>: a systematic tester (Coyote) controls awaits but not <c>ContinueWith</c>.
    /// </summary>
    private async Task FinishWhenDoneAsync(Task running)
    {
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Recorded from the task itself in FinishAsync: all of its exceptions, not only the first one await rethrows.
        }

        FinishAsync(running);
    }

    private void FinishAsync(Task completed)
    {
        RecordOutcome(completed);
        if (Interlocked.Decrement(ref _counters.Pending) == 0) // release: publishes the task's effects to the joiner's acquire of Pending
        {
            _gate.NotifyIfWaiting();
        }
    }

    private void RecordOutcome(Task completed)
    {
        if (completed.IsFaulted)
        {
            foreach (Exception error in completed.Exception!.InnerExceptions)
            {
                RecordFailure(error);
            }
        }
        else if (completed.IsCanceled)
        {
            RecordFailure(new TaskCanceledException(completed));
        }
    }
}
