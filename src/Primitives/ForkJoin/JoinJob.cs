using System.Runtime.CompilerServices;
using Primitives.Internal;

namespace Primitives.ForkJoin;

/// <summary>
/// The right-hand side of a <see cref="ForkJoin"/> join: pushed on its owner's deque, then either popped
/// back and run by the owner, or stolen and run by another thread while the owner waits for it.
/// </summary>
/// <remarks>
/// Memory ordering: the thread that runs the job stores its result or exception, then release-stores
/// <c>_done</c>; the owner acquire-loads <c>_done</c> before reading them. The owner may return (and drop
/// the job) the moment <c>_done</c> is set, so <see cref="RunStolen"/> reads everything it still needs
/// (the owner's gate) before setting it.
/// </remarks>
internal abstract class JoinJob
{
    private readonly JoinWorker _owner;
    private readonly ExecutionContext? _context;
    private int _done;

    protected JoinJob(JoinWorker owner)
    {
        _owner = owner;
        _context = WorkLauncher.CaptureContext();
    }

    /// <summary>Whether the job has run to completion. Acquire: its result or exception is then visible.</summary>
    internal bool IsDone => Volatile.Read(ref _done) != 0; // acquire: pairs with the release store in RunStolen

    /// <summary>The exception the job threw, if any; read after <see cref="IsDone"/> (or after running it inline).</summary>
    internal Exception? Error { get; private set; }

    /// <summary>Owner: runs the job on the owner's thread after popping it back (no hand-off, no signal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void RunInline() => RunCaptured();

    /// <summary>Thief: runs the job in the owner's ExecutionContext, then marks it done and wakes the owner.</summary>
    internal void RunStolen()
    {
        ExecutionContext? current = _context is null ? null : ExecutionContext.Capture();
        if (current is null || ReferenceEquals(current, _context))
        {
            RunCaptured();
        }
        else
        {
            ExecutionContext.Restore(_context!);
            try
            {
                RunCaptured();
            }
            finally
            {
                ExecutionContext.Restore(current);
            }
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
internal sealed class ActionJoinJob(JoinWorker owner, Action action) : JoinJob(owner)
{
    protected override void Run() => action();
}

/// <summary>A join side that returns a <typeparamref name="T"/>.</summary>
internal sealed class FuncJoinJob<T>(JoinWorker owner, Func<T> func) : JoinJob(owner)
{
    /// <summary>The result; read after the job is done (or after running it inline).</summary>
    internal T? Result { get; private set; }

    protected override void Run() => Result = func();
}
