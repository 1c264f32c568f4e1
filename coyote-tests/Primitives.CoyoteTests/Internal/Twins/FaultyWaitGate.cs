using System.Runtime.CompilerServices;

namespace Primitives.CoyoteTests.Internal.Twins;

/// <summary>
/// Seeded-bug twin of <c>Primitives.Internal.WaitGate</c>: the same code, copied from
/// src/Primitives/Internal/WaitGate.cs (main @ bf00532), with one switchable fault
/// (<see cref="GateFault"/>). With <see cref="GateFault.None"/> it behaves like the original; keep it
/// in sync when the original changes (docs/coyote.md). See the original for the design note.
/// </summary>
internal sealed class FaultyWaitGate(GateFault fault) : IWaitGate
{
    private const int SpinCount = 50;

    private readonly object _lock = new();
    private int _waiters;
    private TaskCompletionSource? _asyncSignal;

    internal bool HasWaiters => Volatile.Read(ref _waiters) != 0; // acquire: pairs with the Interlocked announce in Wait/WaitAsync

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void NotifyIfWaiting()
    {
        if (Volatile.Read(ref _waiters) != 0) // acquire: pairs with the Interlocked announce + process-wide barrier in Wait/WaitAsync
        {
            NotifyAll();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public void NotifyAll()
    {
        TaskCompletionSource? signal;
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
            signal = _asyncSignal;
            if (fault != GateFault.NoAsyncWake)
            {
                _asyncSignal = null;
            }
        }

        if (fault != GateFault.NoAsyncWake)
        {
            signal?.TrySetResult();
        }
    }

    public void Wait<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken)
    {
        if (SpinUntil(isReady, state))
        {
            return;
        }

        WaitSlow(isReady, state, cancellationToken);
    }

    internal static bool SpinUntil<TState>(Func<TState, bool> isReady, TState state)
    {
        SpinWait spinner = default;
        for (int i = 0; i < SpinCount; i++)
        {
            if (isReady(state))
            {
                return true;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
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
            registration.Unregister(); // not Dispose: as in the original
        }
    }

    private void WaitLocked<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            bool ready = fault == GateFault.AnnounceAfterRecheck && isReady(state); // SEEDED FAULT (when on): checks first
            Interlocked.Increment(ref _waiters); // announce: pairs with the acquire load in NotifyIfWaiting
            try
            {
                Interlocked.MemoryBarrierProcessWide();
                if (fault == GateFault.AnnounceAfterRecheck)
                {
                    while (!ready)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        Monitor.Wait(_lock);
                        ready = isReady(state);
                    }
                }
                else
                {
                    while (!isReady(state))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        Monitor.Wait(_lock);
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref _waiters); // retract: pairs with the acquire load in NotifyIfWaiting
            }
        }
    }

    public ValueTask WaitAsync<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken)
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
            registration.Unregister(); // not Dispose: as in the original
        }
    }

    private async ValueTask WaitForSignalsAsync<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_lock)
            {
                bool checkedEarly = fault == GateFault.AnnounceAfterRecheck && isReady(state); // SEEDED FAULT (when on)
                Interlocked.Increment(ref _waiters); // announce: pairs with the acquire load in NotifyIfWaiting
                Interlocked.MemoryBarrierProcessWide();
                bool ready = fault == GateFault.AnnounceAfterRecheck ? checkedEarly : isReady(state);
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
        return cancellationToken.CanBeCanceled && fault != GateFault.IgnoreCancellation
            ? cancellationToken.UnsafeRegister(static gate => ((FaultyWaitGate)gate!).NotifyAll(), this)
            : default;
    }
}
