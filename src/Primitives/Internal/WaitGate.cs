using System.Runtime.CompilerServices;

namespace Primitives.Internal;

/// <summary>
/// The one parking mechanism of the library: a waiter spins briefly, then parks until a condition
/// holds; a signaler that has just made the condition true wakes it. No wake-up is ever lost, and
/// the signaler's fast path is a single <see cref="Volatile.Read(ref readonly int)"/>.
/// </summary>
/// <remarks>
/// <para><b>Design.</b> This is an event count in the style of Vyukov's, made asymmetric so that the
/// cost sits on the side that is about to sleep anyway.</para>
/// <list type="bullet">
/// <item>Waiter (slow path, any thread): under <c>_lock</c>, announce itself with
/// <c>Interlocked.Increment(ref _waiters)</c>, then issue
/// <see cref="Interlocked.MemoryBarrierProcessWide"/>, then re-check the condition, and only if it is
/// still false <see cref="Monitor.Wait(object)"/> (sync) or await a shared
/// <see cref="TaskCompletionSource"/> (async). Every wake-up re-checks the condition.</item>
/// <item>Signaler (fast path, the thread that made the condition true with a release store):
/// <see cref="NotifyIfWaiting"/> reads <c>_waiters</c> with a plain acquire load and, only if it is
/// non-zero, takes <c>_lock</c> and pulses.</item>
/// </list>
/// <para><b>Why no wake-up is lost.</b> It is Dekker's pattern: the signaler stores the condition
/// then loads <c>_waiters</c>; the waiter stores <c>_waiters</c> then loads the condition. On x86 and
/// Arm a store followed by a load of another location may be reordered, so one side needs a full
/// fence. Instead of paying a fence on every signal, the waiter's process-wide barrier forces every
/// other core's earlier stores to be visible before its re-check: either the signaler's load of
/// <c>_waiters</c> came after the announcement became visible (it sees the waiter and pulses), or
/// the signaler's store of the condition came before the barrier (the waiter's re-check sees it and
/// does not sleep). The pulse itself cannot slip between the re-check and <c>Monitor.Wait</c>
/// because both happen under <c>_lock</c>, which the signaler must take to pulse. This is the
/// asymmetric-fence technique of the CLR's GC suspension and of Linux's <c>membarrier(2)</c>.</para>
/// <para><b>Ownership.</b> <c>_waiters</c> is written only with Interlocked operations by waiters;
/// <c>_asyncSignal</c> is read and written only under <c>_lock</c>. Conditions are the caller's
/// state: they must be read with acquire loads (<see cref="Volatile"/>) inside the predicate.</para>
/// <para><b>Coyote.</b> Monitor, TaskCompletionSource, Volatile and Interlocked are all scheduling
/// points that Coyote controls, so it explores every interleaving of announce, re-check and signal.
/// (It models a sequentially consistent machine, so the process-wide barrier is argued above rather
/// than checked.)</para>
/// </remarks>
internal sealed class WaitGate
{
    /// <summary>
    /// Spin iterations before parking; enough to ride out a short hand-off between two cores. Parking costs a
    /// process-wide barrier and a wake-up (for async waiters also a task completion and a pool hop): microseconds
    /// that a short spin saves whenever the other side is a few items away.
    /// </summary>
    internal const int SpinCount = 50;

    /// <summary>
    /// The pause a <see cref="SpinPolicy.Patient"/> waiter adds before each spinning (not yielding) poll, in
    /// <see cref="Thread.SpinWait"/> iterations: about a quarter of a microsecond on the x64 machines measured (3 iterations
    /// polled too often to help; 20 helped no more than 8).
    /// </summary>
    internal const int PatientPauseIterations = 8;

    private readonly object _lock = new();

    /// <summary>Announced waiters (sync and async). Written by waiters with Interlocked, read by signalers.</summary>
    private int _waiters;

    /// <summary>Shared completion source that async waiters await; guarded by <c>_lock</c>.</summary>
    private TaskCompletionSource? _asyncSignal;

    /// <summary>Whether any waiter is announced (a snapshot, for diagnostics and tests).</summary>
    internal bool HasWaiters => Volatile.Read(ref _waiters) != 0; // acquire: pairs with the Interlocked announce in Wait/WaitAsync

    /// <summary>
    /// Called by a signaler right after the release store that may make a waiter's condition true.
    /// Cheap when nobody waits: one acquire load.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void NotifyIfWaiting()
    {
        if (Volatile.Read(ref _waiters) != 0) // acquire: pairs with the Interlocked announce + process-wide barrier in Wait/WaitAsync
        {
            NotifyAll();
        }
    }

    /// <summary>Wakes every waiter unconditionally (completion, cancellation, stop).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void NotifyAll()
    {
        TaskCompletionSource? signal;
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.GateNoAsyncWake))
            {
                return; // SEEDED FAULT: the async waiters' signal is neither taken nor completed
            }
#endif
            signal = _asyncSignal;
            _asyncSignal = null;
        }

        // Completed outside the lock; continuations run asynchronously anyway.
        signal?.TrySetResult();
    }

    /// <summary>
    /// Blocks until <paramref name="isReady"/> returns true: spins briefly, then parks.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before the condition held.</exception>
    internal void Wait<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken, SpinPolicy spinPolicy = SpinPolicy.Eager)
    {
        if (SpinUntil(isReady, state, spinPolicy))
        {
            return;
        }

        WaitSlow(isReady, state, cancellationToken);
    }

    /// <summary>
    /// Spins up to <see cref="SpinCount"/> times; true as soon as the condition holds. <see cref="Wait"/> calls it
    /// first; async callers call it on their synchronous fast path, before they allocate an async state machine,
    /// and only then <see cref="WaitAsync"/>, which parks without spinning again.
    /// </summary>
    internal static bool SpinUntil<TState>(Func<TState, bool> isReady, TState state, SpinPolicy policy = SpinPolicy.Eager)
    {
        SpinWait spinner = default;
        for (int i = 0; i < SpinCount; i++)
        {
            if (isReady(state))
            {
                return true;
            }

            if (policy == SpinPolicy.Patient && !spinner.NextSpinWillYield)
            {
                Thread.SpinWait(PatientPauseIterations); // polls less often: see SpinPolicy.Patient
            }

            spinner.SpinOnce(sleep1Threshold: -1); // never Thread.Sleep(1): parking is the next step
        }

        return isReady(state);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitSlow<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken)
    {
        CancellationTokenRegistration registration = RegisterCancellation(cancellationToken);
        try
        {
            WaitLocked(isReady, state, cancellationToken);
        }
        finally
        {
            registration.Unregister(); // not Dispose: it would block on a callback in flight, a wait Coyote cannot see; a late NotifyAll is harmless
        }
    }

    private void WaitLocked<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
#if PRIMITIVES_FAULTS
            bool checkedEarly = Fault.Is(FaultId.GateAnnounceAfterRecheck) && isReady(state); // SEEDED FAULT: checks before announcing
#endif
            Interlocked.Increment(ref _waiters); // announce: pairs with the acquire load in NotifyIfWaiting
            try
            {
                Interlocked.MemoryBarrierProcessWide(); // makes every signaler's earlier release store visible to the re-check below
#if PRIMITIVES_FAULTS
                if (Fault.Is(FaultId.GateAnnounceAfterRecheck) && !checkedEarly)
                {
                    Monitor.Wait(_lock); // SEEDED FAULT: parks on that early check; a signal between it and the announcement is lost
                }
#endif
                while (!isReady(state))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Monitor.Wait(_lock); // released by NotifyAll, which pulses under _lock
                }
            }
            finally
            {
                Interlocked.Decrement(ref _waiters); // retract: pairs with the acquire load in NotifyIfWaiting
            }
        }
    }

    /// <summary>
    /// Completes when <paramref name="isReady"/> returns true, without blocking a thread. It does not spin: callers
    /// that want to spin do so first with <see cref="SpinUntil"/>, on their synchronous fast path.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before the condition held.</exception>
    internal ValueTask WaitAsync<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken)
    {
        if (isReady(state))
        {
            return ValueTask.CompletedTask;
        }

        return WaitAsyncSlow(isReady, state, cancellationToken);
    }

    private async ValueTask WaitAsyncSlow<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken)
    {
        CancellationTokenRegistration registration = RegisterCancellation(cancellationToken);
        try
        {
            await WaitForSignalsAsync(isReady, state, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            registration.Unregister(); // see WaitSlow
        }
    }

    private async ValueTask WaitForSignalsAsync<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_lock)
            {
#if PRIMITIVES_FAULTS
                bool checkedEarly = Fault.Is(FaultId.GateAnnounceAfterRecheck) && isReady(state); // SEEDED FAULT: checks before announcing
#endif
                Interlocked.Increment(ref _waiters); // announce: pairs with the acquire load in NotifyIfWaiting
                Interlocked.MemoryBarrierProcessWide(); // see the design note: the re-check below sees every earlier signal
                bool ready = isReady(state);
#if PRIMITIVES_FAULTS
                if (Fault.Is(FaultId.GateAnnounceAfterRecheck))
                {
                    ready = checkedEarly; // SEEDED FAULT: decides on the check made before the announcement
                }
#endif
                if (ready || cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Decrement(ref _waiters); // retract: nothing to wait for
                    if (ready)
                    {
                        return;
                    }

                    throw new OperationCanceledException(cancellationToken);
                }

                signal = (_asyncSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            try
            {
                await signal.ConfigureAwait(false); // completed by NotifyAll
            }
            finally
            {
                Interlocked.Decrement(ref _waiters); // retract: pairs with the acquire load in NotifyIfWaiting
            }
        }
    }

    private CancellationTokenRegistration RegisterCancellation(CancellationToken cancellationToken)
    {
        // Never called under _lock: a token that is already cancelled runs NotifyAll synchronously, which takes it.
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.GateIgnoreCancellation))
        {
            return default; // SEEDED FAULT: a cancelled waiter that has parked is never woken
        }
#endif
        return cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static gate => ((WaitGate)gate!).NotifyAll(), this)
            : default;
    }
}

/// <summary>How a <see cref="WaitGate"/> waiter spins before it parks.</summary>
internal enum SpinPolicy
{
    /// <summary><see cref="SpinWait"/>'s own backoff: the first polls come tens of nanoseconds apart. For waits that
    /// usually end within a hand-off between two cores and whose condition the other side does not rewrite per item.</summary>
    Eager,

    /// <summary>
    /// <see cref="SpinWait"/>'s backoff with a pause of <see cref="WaitGate.PatientPauseIterations"/> before each
    /// spinning poll. For a waiter that polls an index the other side rewrites on every item (an SPSC consumer waiting
    /// for data, a producer waiting for space): each poll pulls that cache line away from the writer, whose next store
    /// then misses, so polling tens of nanoseconds apart slows the very side being waited for. With the pause the writer
    /// publishes a run of items between polls, and the waiter takes them as a batch. The cost is latency: a wait that
    /// has begun sees a new item up to one pause late, so the SPSC types choose it per wait, only while the other side
    /// streams (SpscWakeUp.Learn). docs/ring-buffer.md ("Design decisions: the single-item path") has the figures.
    /// </summary>
    Patient,
}
