#if PRIMITIVES_FAULTS
using Primitives.Internal;
#endif

namespace Primitives.ForkJoin;

/// <summary>
/// Two-way fork-join in the style of rayon's <c>join</c>: forks two delegates, possibly in parallel, and
/// joins both (returns when both have finished). Built for recursive divide and conquer.
/// </summary>
/// <remarks>
/// <para><b>How it runs.</b> The right-hand delegate is pushed on the calling thread's work-stealing deque,
/// where idle threads can steal it; the left-hand delegate runs at once on the calling thread. Then the
/// caller pops the right-hand side back and runs it itself if nobody took it (the common case in deep
/// recursion, and nearly free: no allocation (each thread reuses one job object per nesting depth), no hand-off), or, if it was
/// stolen, runs other pending work (join jobs and tasks of shared <see cref="ForkJoinScope"/>s) until it is done and
/// only then parks. Thieves are thread-pool work items, at most <see cref="Environment.ProcessorCount"/> - 1 at a
/// time, launched on demand; the same scheduler runs scope tasks (see <c>docs/fork-join-scope.md</c>).</para>
/// <para><b>Words.</b> "Join" always means "wait until forked work has finished": <c>Fork.Join</c> forks two delegates
/// and joins both; <see cref="ForkJoinScope.Join"/> joins every task spawned into the scope.</para>
/// <para><b>Example.</b></para>
/// <code>
/// static long Fib(int n)
/// {
///     if (n &lt; 20) return SequentialFib(n);
///     var (a, b) = Fork.Join(() =&gt; Fib(n - 1), () =&gt; Fib(n - 2));
///     return a + b;
/// }
/// </code>
/// <para><b>No deadlock.</b> A join waits only for a right-hand side that another thread is running; that
/// thread's own joins wait only for jobs deeper in the same recursion; so every chain of waits ends at a
/// running thread, and a join finishes even if the thread pool never lends a thread.</para>
/// <para><b>Exceptions.</b> Both sides always run to completion. If either throws, <c>Join</c> throws an
/// <see cref="AggregateException"/> holding the left side's exception (if any) and then the right side's,
/// as <see cref="Parallel.Invoke(Action[])"/> does.</para>
/// <para><b>Execution context.</b> Both sides run in the caller's <see cref="ExecutionContext"/>, a stolen
/// right-hand side too, and, as with <see cref="Parallel.Invoke(Action[])"/>, neither side's AsyncLocal writes
/// flow back to the caller, wherever the side ran.</para>
/// <para><b>Thread safety.</b> Any thread may call <c>Join</c>, at any nesting depth, including from tasks
/// of a <see cref="ForkJoinScope"/>.</para>
/// </remarks>
public static class Fork
{
    /// <summary>Runs <paramref name="left"/> and <paramref name="right"/>, possibly in parallel, and returns when both have finished.</summary>
    /// <param name="left">Runs on the calling thread.</param>
    /// <param name="right">Runs on the calling thread or on another thread that steals it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="left"/> or <paramref name="right"/> is null.</exception>
    /// <exception cref="AggregateException">One or both delegates threw; it holds their exceptions, left first.</exception>
    public static void Join(Action left, Action right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        Worker worker = Worker.Current;
        worker.Enter(); // scope tasks spawned by the left side go to this thread's deque, above the job
        ActionJoinJob job = worker.RentJob(right); // this depth's job, reused: no allocation
        Exception? leftError = null;
        bool forked = Push(worker, job);
        try
        {
            left();
        }
        catch (Exception ex)
        {
            leftError = ex;
        }

        job.RestoreCallerContext(); // the left side's AsyncLocal writes do not flow back (as with Parallel.Invoke)
        JoinRight(worker, job, forked);
        Exception? rightError = job.Error;
        job.Release();
        worker.Exit();
        ThrowIfFailed(leftError, rightError);
    }

    /// <summary>
    /// Runs <paramref name="left"/> and <paramref name="right"/>, possibly in parallel, and returns both
    /// results when both have finished.
    /// </summary>
    /// <typeparam name="T1">The left result type.</typeparam>
    /// <typeparam name="T2">The right result type.</typeparam>
    /// <param name="left">Runs on the calling thread.</param>
    /// <param name="right">Runs on the calling thread or on another thread that steals it.</param>
    /// <returns>The two results.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="left"/> or <paramref name="right"/> is null.</exception>
    /// <exception cref="AggregateException">One or both delegates threw; it holds their exceptions, left first.</exception>
    public static (T1 Left, T2 Right) Join<T1, T2>(Func<T1> left, Func<T2> right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        Worker worker = Worker.Current;
        worker.Enter(); // scope tasks spawned by the left side go to this thread's deque, above the job
        FuncJoinJob<T2> job = worker.RentJob(right); // this depth's job, reused: no allocation
        T1 leftResult = default!;
        Exception? leftError = null;
        bool forked = Push(worker, job);
        try
        {
            leftResult = left();
        }
        catch (Exception ex)
        {
            leftError = ex;
        }

        job.RestoreCallerContext(); // the left side's AsyncLocal writes do not flow back (as with Parallel.Invoke)
        JoinRight(worker, job, forked);
        Exception? rightError = job.Error;
        T2 rightResult = job.Result!;
        job.Release();
        worker.Exit();
        ThrowIfFailed(leftError, rightError);
        return (leftResult, rightResult);
    }

    /// <summary>Publishes the right-hand side for thieves; false when the deque is full (the caller then runs it inline).</summary>
    private static bool Push(Worker worker, JoinJob job)
    {
        if (!worker.Deque.TryPush(new Work(job)))
        {
            return false;
        }

        Worker.WakeStealers();
        return true;
    }

    /// <summary>
    /// Pops the right-hand side back and runs it, or waits for the thief that took it. Scope tasks that the left side
    /// spawned sit above the job (joins are strictly nested, so no other join's job does): they are popped and run
    /// first. A scope's joiner inside the left side may have popped and run the job already; what lies below it is
    /// then run as help until the deque is empty.
    /// </summary>
    private static void JoinRight(Worker worker, JoinJob job, bool forked)
    {
        if (!forked)
        {
            job.RunInline();
            return;
        }

        ForkJoinScope? context = worker.HeldScope; // the scope whose task or body runs this join (null: none)
        while (worker.Deque.TryPop(out Work popped))
        {
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.JoinTakesForeignWorkAsItsOwn))
            {
                job.RunInline(); // SEEDED FAULT: whatever was popped is taken for the join's own job: a scope task above it is dropped
                return;
            }
#endif
            if (ReferenceEquals(popped.Item, job))
            {
                RestoreContext(worker, context);
                job.RunInline();
                return;
            }

            worker.RunPopped(popped);
        }

        // Stolen (thieves take the oldest item first, so everything below went too), or run by this thread's own helping.
        RestoreContext(worker, context);
        worker.WaitFor(job);
    }

    /// <summary>
    /// After the scope tasks popped above the job ran: their counts are given back before the right side runs or the join
    /// waits, since neither is a task of their scope, and either may wait for that scope to finish.
    /// </summary>
    private static void RestoreContext(Worker worker, ForkJoinScope? context)
    {
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.JoinKeepsCountsOfPoppedTasks))
        {
            return; // SEEDED FAULT: the counts of the popped tasks stay held while the right side runs: a right side that waits for their scope waits for itself
        }
#endif
        worker.RestoreHeldScope(context);
    }

    private static void ThrowIfFailed(Exception? leftError, Exception? rightError)
    {
        if (leftError is null && rightError is null)
        {
            return;
        }

        Exception[] errors = leftError is null ? [rightError!] : rightError is null ? [leftError] : [leftError, rightError];
        throw new AggregateException(errors);
    }
}
