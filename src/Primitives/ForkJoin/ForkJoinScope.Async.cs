namespace Primitives.ForkJoin;

/// <summary>Asynchronous tasks in a scope.</summary>
public sealed partial class ForkJoinScope
{
    /// <summary>
    /// Spawns an asynchronous task into the scope: the scope finishes only when the <see cref="Task"/> that
    /// <paramref name="task"/> returns has completed, and a fault of that task is collected like any other.
    /// </summary>
    /// <param name="task">Starts the task; runs like a task spawned with <see cref="Spawn"/>, but without a
    /// <see cref="SynchronizationContext"/> and under the default <see cref="TaskScheduler"/>, as on a pool thread,
    /// whichever thread starts it (a joiner that runs it blocks in <see cref="Join"/> until the scope finishes, so
    /// continuations posted to that thread's context or scheduler would never run).
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
        // Launching with tasks (systematic tests) every thread is a task's, with no context and the default scheduler, and
        // a systematic tester refuses the reads below.
        Task running = WorkLauncher.LaunchesWithTasks || (SynchronizationContext.Current is null && TaskScheduler.Current == TaskScheduler.Default)
            ? task(this) // a synchronous throw is recorded by Invoke like any task's
            : StartWithoutContext(task);
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
    /// Starts <paramref name="task"/> as a pool thread would: without the running thread's SynchronizationContext and under
    /// the default TaskScheduler, so that its awaits never post back to the running thread, which may be a joiner blocked
    /// until the scope finishes (a UI thread, a single-threaded context, a task on an exclusive scheduler).
    /// </summary>
    private Task StartWithoutContext(Func<ForkJoinScope, Task> task)
    {
        SynchronizationContext? synchronization = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            if (TaskScheduler.Current == TaskScheduler.Default)
            {
                return task(this);
            }

            // Inside a task of another scheduler an await would continue on that scheduler: run the start as a task of
            // the default one, inline (RunSynchronously), so that the default scheduler is the current one.
            var start = new Task<Task>(static state => ((StartState)state!).Run(), new StartState(this, task));
            start.RunSynchronously(TaskScheduler.Default);
            return start.GetAwaiter().GetResult(); // a synchronous throw comes out as itself, for Invoke to record
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(synchronization);
        }
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

    /// <summary>What <see cref="StartWithoutContext"/> hands its start task.</summary>
    private sealed class StartState(ForkJoinScope scope, Func<ForkJoinScope, Task> task)
    {
        public Task Run() => task(scope);
    }
}
