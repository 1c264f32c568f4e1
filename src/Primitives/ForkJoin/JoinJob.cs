using System.Runtime.CompilerServices;
using Primitives.Internal;

namespace Primitives.ForkJoin;

/// <summary>
/// The right-hand side of a <see cref="Fork.Join(Action, Action)"/>: pushed on its owner's deque, then either popped
/// back and run by the owner, or stolen and run by another thread while the owner waits for it.
/// </summary>
/// <remarks>
/// <para>Memory ordering: the thread that runs the job stores its result or exception, then release-stores
/// <c>_done</c>; the owner acquire-loads <c>_done</c> before reading them. The owner may return (and drop
/// the job) the moment <c>_done</c> is set, so <see cref="RunStolen"/> reads everything it still needs
/// (the owner's gate) before setting it.</para>
/// <para>Reuse: a job belongs to its owner thread, one per join depth (<see cref="Worker.RentJob(Action)"/>): joins
/// nest strictly, so no two live joins of a thread share a depth, and a join reuses its depth's job only after the
/// previous join there returned, when the job is off every deque (popped, or stolen and done) and nobody uses it: a
/// thief touches it no more after its release store of <c>_done</c>, and a thief that read a stale slot holding it
/// drops it after its failed CAS of <c>top</c>. The owner re-arms it (<c>Prepare</c>) before the push whose
/// release store of <c>bottom</c> publishes it, and clears its references when the join returns
/// (<see cref="Release"/>).</para>
/// <para>Execution context (the rule of <see cref="Parallel.Invoke(Action[])"/>): both sides run in the
/// caller's context, and neither side's AsyncLocal writes flow back to the caller, whether a side ran inline
/// on the caller's thread or on a thief. The owner restores the captured context after each side it runs
/// (<see cref="RestoreCallerContext"/>); a thief runs the job with <see cref="ExecutionContext.Run"/>.</para>
/// </remarks>
internal abstract class JoinJob
{
    private static readonly ContextCallback s_runCaptured = static job => ((JoinJob)job!).RunCaptured();

    private readonly Worker _owner;
    private ExecutionContext? _context; // plain: written by the owner before the push that publishes the job (release of bottom)
    private int _done;

    protected JoinJob(Worker owner) => _owner = owner;

    /// <summary>Whether the job has run to completion. Acquire: its result or exception is then visible.</summary>
    internal bool IsDone => Volatile.Read(ref _done) != 0; // acquire: pairs with the release store in RunStolen

    /// <summary>The exception the job threw, if any; read after <see cref="IsDone"/> (or after running it inline).</summary>
    internal Exception? Error { get; private set; }

    /// <summary>
    /// Owner, before the push: re-arms the job for a new join in the caller's context. Plain stores: the job is this
    /// thread's alone until the push's release store of <c>bottom</c> publishes them to a thief.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected void Arm()
    {
        _context = WorkLauncher.CaptureContext(); // the caller's, on its own thread; null if its flow is suppressed or launching with tasks
        Error = null;
        _done = 0; // plain: the last thief (if any) stored 1 and touches the job no more; the owner acquired that store in IsDone
    }

    /// <summary>
    /// Owner, after running a side on its own thread: gives the caller back the context it had when the join
    /// began, so that the side's AsyncLocal writes do not flow back. Cheap when nothing changed (one compare).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void RestoreCallerContext()
    {
        ExecutionContext? context = _context;
        if (context is not null && !ContextSwitch.IsCurrent(context))
        {
            ExecutionContext.Restore(context);
        }
    }

    /// <summary>Owner, when the join returns: drops the references the job holds (the user's delegate and result).</summary>
    internal abstract void Release();

    /// <summary>Owner: runs the job on the owner's thread after popping it back (no hand-off, no signal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void RunInline()
    {
        RunCaptured();
        RestoreCallerContext();
    }

    /// <summary>Thief: runs the job in the owner's ExecutionContext, then marks it done and wakes the owner.</summary>
    internal void RunStolen()
    {
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.JoinDoneBeforeResult))
        {
            Volatile.Write(ref _done, 1); // SEEDED FAULT: done before the result is stored: the owner may read a default result
        }
#endif
        // ExecutionContext.Run gives the thief its own context back afterwards, even when it is the same object (an
        // owner helping in WaitFor).
        if (_context is null)
        {
            RunCaptured(); // the caller's flow was suppressed, or launching with tasks: no context to run in or to restore
        }
        else
        {
            ExecutionContext.Run(_context, s_runCaptured, this);
        }

        WaitGate ownerGate = _owner.Gate; // read before _done: the owner may drop this job as soon as it is done
        Volatile.Write(ref _done, 1); // release: pairs with the owner's acquire in IsDone; the result is stored first
        ownerGate.NotifyIfWaiting();
    }

    /// <summary>Runs the user delegate and stores its result or exception.</summary>
    protected abstract void Run();

    private void RunCaptured()
    {
        try
        {
            Run();
        }
        catch (Exception ex)
        {
            Error = ex;
        }
    }
}

/// <summary>A join side that returns nothing.</summary>
internal sealed class ActionJoinJob(Worker owner) : JoinJob(owner)
{
    private Action? _action; // plain: see Arm

    /// <summary>Owner, before the push: re-arms the job for <paramref name="action"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Prepare(Action action)
    {
        _action = action;
        Arm();
    }

    internal override void Release() => _action = null; // plain: the job is off every deque and done

    protected override void Run() => _action!();
}

/// <summary>A join side that returns a <typeparamref name="T"/>.</summary>
internal sealed class FuncJoinJob<T>(Worker owner) : JoinJob(owner)
{
    private Func<T>? _func; // plain: see Arm

    /// <summary>The result; read after the job is done (or after running it inline).</summary>
    internal T? Result { get; private set; }

    /// <summary>Owner, before the push: re-arms the job for <paramref name="func"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Prepare(Func<T> func)
    {
        _func = func;
        Result = default;
        Arm();
    }

    internal override void Release()
    {
        _func = null; // plain: the job is off every deque and done
        Result = default;
    }

    protected override void Run() => Result = _func!();
}
