using System.Runtime.CompilerServices;
using Primitives.CoyoteTests.Harness;
using Primitives.Internal;

namespace Primitives.CoyoteTests.Internal;

/// <summary>
/// Systematic tests of <see cref="WaitGate"/>, the parking mechanism under every blocking and async wait
/// of the library. Each seeded fault of the gate (<c>Gate*</c> in <see cref="FaultId"/>) has a test that runs
/// the same body with the fault turned on, which Coyote must find.
/// </summary>
/// <remarks>
/// The bodies play ping-pong over two gates for a few rounds: each side is in turn the waiter and the
/// signaler, and <see cref="Jitter"/> moves each signal anywhere along the waiter's path (during its
/// spin, between its re-check and its announcement, after it parked).
/// </remarks>
public sealed class WaitGateTests(ITestOutputHelper output)
{
    private const int Rounds = 3;

    /// <summary>Scheduling points a signaler may let pass before signalling a synchronous waiter: a little more than
    /// its spin phase (WaitGate.SpinCount = 50 spins of about 5 points), so that the signal lands anywhere in it.</summary>
    private const int MaxSyncJitter = 350;

    /// <summary>The same for an async waiter, which does not spin: its path to parking is about 20 points.</summary>
    private const int MaxAsyncJitter = 40;

    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: a synchronous waiter returns once the condition was set and NotifyIfWaiting called,
    // whether it saw the condition while spinning, on its re-check, or after parking (no lost wake-up).
    [Fact]
    public void Sync_waiters_are_always_woken() => _coyote.Run(() => PingPongBody(isAsync: false));

    [Fact]
    [SeededFault(FaultId.GateAnnounceAfterRecheck)]
    public void Sync_waiter_announcing_after_the_recheck_is_found()
        => _coyote.ExpectFault(FaultId.GateAnnounceAfterRecheck, () => PingPongBody(isAsync: false), "Deadlock", scale: 4); // found in 6-260 iterations with random seeds: room for the tail

    // Invariant: the same for async waiters, which park on the gate's shared TaskCompletionSource.
    [Fact]
    public void Async_waiters_are_always_woken() => _coyote.Run(() => PingPongBody(isAsync: true));

    [Fact]
    [SeededFault(FaultId.GateAnnounceAfterRecheck)]
    public void Async_waiter_announcing_after_the_recheck_is_found()
        => _coyote.ExpectFault(FaultId.GateAnnounceAfterRecheck, () => PingPongBody(isAsync: true), "Deadlock");

    [Fact]
    [SeededFault(FaultId.GateNoAsyncWake)]
    public void Gate_that_never_completes_the_async_signal_is_found()
        => _coyote.ExpectFault(FaultId.GateNoAsyncWake, () => PingPongBody(isAsync: true), "Deadlock");

    // Invariant: a waiter whose condition never holds is released by cancellation, sync or async,
    // with OperationCanceledException, wherever the cancellation lands (before, during or after parking).
    [Fact]
    public void Cancellation_always_releases_a_waiter() => _coyote.Run(CancellationBody);

    [Fact]
    [SeededFault(FaultId.GateIgnoreCancellation)]
    public void Gate_ignoring_cancellation_is_found()
        => _coyote.ExpectFault(FaultId.GateIgnoreCancellation, CancellationBody, "Deadlock");

    private static async Task PingPongBody(bool isAsync)
    {
        var pingGate = new WaitGate();
        var pongGate = new WaitGate();
        var ping = new StrongBox<int>();
        var pong = new StrongBox<int>();
        int maxJitter = isAsync ? MaxAsyncJitter : MaxSyncJitter;

        Task responder = CoyoteAssert.Run("responder", async () =>
        {
            for (int round = 1; round <= Rounds; round++)
            {
                await WaitAtLeast(pingGate, ping, round, isAsync);
                Jitter.Steps(maxJitter);
                Volatile.Write(ref pong.Value, round); // release: pairs with the acquire in WaitAtLeast
                pongGate.NotifyIfWaiting();
            }
        });

        for (int round = 1; round <= Rounds; round++)
        {
            Jitter.Steps(maxJitter);
            Volatile.Write(ref ping.Value, round); // release: pairs with the acquire in WaitAtLeast
            pingGate.NotifyIfWaiting();
            await WaitAtLeast(pongGate, pong, round, isAsync);
        }

        await responder;
    }

    private static async Task WaitAtLeast(WaitGate gate, StrongBox<int> box, int value, bool isAsync)
    {
        Func<int, bool> isReady = target => Volatile.Read(ref box.Value) >= target; // acquire: pairs with the signaler's release
        if (isAsync)
        {
            await gate.WaitAsync(isReady, value, CancellationToken.None);
        }
        else
        {
            gate.Wait(isReady, value, CancellationToken.None);
        }

        CoyoteAssert.True(Volatile.Read(ref box.Value) >= value, $"woken before the condition held: {box.Value} < {value}"); // acquire: as above
    }

    private static async Task CancellationBody()
    {
        var gate = new WaitGate();
        var never = new StrongBox<int>();
        using var cts = new CancellationTokenSource();
        Func<StrongBox<int>, bool> isReady = box => Volatile.Read(ref box.Value) != 0; // acquire: nobody ever sets it
        Task sync = Task.Run(() => gate.Wait(isReady, never, cts.Token));
        Task async = Task.Run(async () => await gate.WaitAsync(isReady, never, cts.Token));
        Jitter.Steps(MaxSyncJitter);
        cts.Cancel(); // synchronous: the callbacks run here, under Coyote (CancelAsync would run them on an uncontrolled task)
        await CoyoteAssert.CanceledAsync(() => sync, "sync waiter");
        await CoyoteAssert.CanceledAsync(() => async, "async waiter");
    }
}
