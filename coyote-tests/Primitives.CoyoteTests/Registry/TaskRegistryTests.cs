using Primitives.CoyoteTests.Harness;
using Primitives.Internal;
using Primitives.Registry;

namespace Primitives.CoyoteTests.Registry;

/// <summary>
/// Systematic tests of <see cref="TaskRegistry"/>. Each invariant is checked on the registry as shipped, and each
/// seeded fault of the registry (FaultId.Registry*, fault points in src/Primitives/Registry) must be found by the
/// same body run with the fault turned on.
/// </summary>
/// <remarks>
/// The bodies are small (two or three workers, a handful of tasks, a window of one or two) so that slot
/// reuse, a full window and every wait happen within a few hundred scheduling points.
/// </remarks>
public sealed class TaskRegistryTests(ITestOutputHelper output)
{
    /// <summary>Each wait spins up to 50 times (WaitGate) before parking: bodies need more than the default bound.</summary>
    private const int MaxSteps = 20_000;

    /// <summary>Scheduling points a claimer passes over before a claim: covers a block claimer's spin up to its parking (see docs/coyote.md, "Jitter").</summary>
    private const int ClaimJitter = 400;

    /// <summary>Scheduling points the closer passes over before Close: spreads it over a dozen or so claims.</summary>
    private const int CloseJitter = 600;

    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: WaitForOwner(n) returns the owner that was published for n, and the data the owner
    // wrote before Publish, through slot reuse (window 2, five tasks, two workers).
    [Fact]
    public void Consumer_always_gets_the_published_owner() =>
        _coyote.Run(() => OwnerBody(new TaskRegistry(2)), maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.RegistryTagBeforeOwner)]
    public void Storing_the_tag_before_the_owner_is_found() =>
        _coyote.ExpectFault(FaultId.RegistryTagBeforeOwner, () => OwnerBody(new TaskRegistry(2)), "wrong owner | Deadlock", maxSteps: MaxSteps); // under some random seeds the stale owner shows as a wait that never ends

    // Invariant: a claimed number is always below released + window (claimed - released <= window).
    [Fact]
    public void Window_bound_is_never_exceeded() =>
        _coyote.Run(() => WindowBody(new TaskRegistry(1)), maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.RegistryWindowOffByOne)]
    public void An_off_by_one_window_is_found() =>
        _coyote.ExpectFault(FaultId.RegistryWindowOffByOne, () => WindowBody(new TaskRegistry(1)), "window exceeded", maxSteps: MaxSteps);

    // Invariant: of concurrent stops, the lowest task and its error win.
    [Fact]
    public void Lowest_stop_always_wins() =>
        _coyote.Run(() => LowestStopBody(new TaskRegistry(2)), maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.RegistryStopWithoutCas)]
    public void Stopping_without_a_CAS_is_found() =>
        _coyote.ExpectFault(FaultId.RegistryStopWithoutCas, () => LowestStopBody(new TaskRegistry(2)), "lowest stop lost", maxSteps: MaxSteps);

    // Invariant: a consumer waiting for a task is woken by its publication, a claimer waiting for window
    // space by the release, and a consumer waiting for a task that will never come by the stop (false).
    [Fact]
    public void Waiting_consumer_is_always_woken() =>
        _coyote.Run(() => WakeBody(new TaskRegistry(1)), maxSteps: MaxSteps);

    [Fact]
    [SeededFault(FaultId.RegistryPublishWithoutWake)]
    public void Publishing_without_a_wake_up_is_found() =>
        _coyote.ExpectFault(FaultId.RegistryPublishWithoutWake, () => WakeBody(new TaskRegistry(1)), "Deadlock", maxSteps: MaxSteps);

    // Invariant: a block claimer waiting for window space ends (with -1) when other claims move Next up to a
    // stop, although nobody releases: the consumer of a prefix that fits in the window never needs to. The stop
    // is recorded before the claims, or by a third thread racing them (then either the claim that reaches it or
    // the stop itself wakes the waiter).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Block_claimer_is_woken_when_claims_reach_the_stop(bool stopRacing) =>
        _coyote.Run(() => ClaimsReachStopBody(new TaskRegistry(2), stopRacing), stopRacing ? 0.5 : 1, MaxSteps, stopRacing ? "stop-racing" : "stop-first"); // racing: longer waits, half the iterations

    [Fact]
    [SeededFault(FaultId.RegistryClaimReachingStopWithoutWake)]
    public void A_claim_reaching_the_stop_without_a_wake_up_is_found() =>
        _coyote.ExpectFault(FaultId.RegistryClaimReachingStopWithoutWake, () => ClaimsReachStopBody(new TaskRegistry(2), stopRacing: false), "Deadlock", maxSteps: MaxSteps);

    // Invariant: Close, at any moment, ends every claim (block claims and single ones, running, spinning or parked
    // for window space) with -1, and nothing is claimed after it. "drain": a third thread closes while the consumer
    // releases as it goes; the consumer sees exactly the tasks claimed before the close, each published, and then
    // "never" at ClaimedCount. "abandon": the consumer takes task 0, then closes and releases nothing more, so
    // claimers parked for window space have only the close to wake them.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Close_ends_every_claim(bool drain) =>
        _coyote.Run(() => CloseBody(new TaskRegistry(2), drain), drain ? 1 : 0.5, MaxSteps, drain ? "drain" : "abandon"); // abandon: parked claimers, slower iterations

    [Fact]
    [SeededFault(FaultId.RegistryCloseWithoutClaimWake)]
    public void Closing_without_waking_claimers_is_found() =>
        _coyote.ExpectFault(FaultId.RegistryCloseWithoutClaimWake, () => CloseBody(new TaskRegistry(2), drain: false), "Deadlock", maxSteps: MaxSteps);

    private static async Task OwnerBody(TaskRegistry registry)
    {
        const int tasks = 5;
        int[] expectedOwner = new int[tasks];
        long[] data = new long[registry.Window];
        registry.TryStop(tasks, null); // the end: claims at `tasks` return -1
        Task[] workers = new Task[2];
        for (int w = 0; w < workers.Length; w++)
        {
            int owner = w + 1; // never the slots' initial 0
            workers[w] = CoyoteAssert.Run($"worker {owner}", () =>
            {
                long task;
                while ((task = registry.Claim()) >= 0)
                {
                    Volatile.Write(ref expectedOwner[task], owner); // test bookkeeping, before Publish
                    Volatile.Write(ref data[task % data.Length], (task * 10) + owner); // the task's payload, before Publish
                    registry.Publish(task, owner);
                }
            });
        }

        for (long task = 0; task < tasks; task++)
        {
            CoyoteAssert.True(registry.WaitForOwner(task, out int owner), $"task {task} reported as never published");
            int expected = Volatile.Read(ref expectedOwner[task]);
            CoyoteAssert.True(owner == expected, $"wrong owner for task {task}: got {owner}, published {expected}");
            long payload = Volatile.Read(ref data[task % data.Length]);
            CoyoteAssert.True(payload == (task * 10) + owner, $"task {task}: payload {payload} is not the owner's");
            registry.Release(task);
        }

        CoyoteAssert.True(!registry.WaitForOwner(tasks, out _), $"task {tasks}, at the stop, reported as published");
        await Task.WhenAll(workers);
    }

    private static async Task WindowBody(TaskRegistry registry)
    {
        const int tasks = 4;
        registry.TryStop(tasks, null);
        Task[] workers = new Task[2];
        for (int w = 0; w < workers.Length; w++)
        {
            int owner = w;
            workers[w] = CoyoteAssert.Run($"worker {owner}", () =>
            {
                long task;
                while ((task = registry.Claim()) >= 0)
                {
                    long released = registry.ReleasedCount; // only grows: if the claim broke the bound, this shows it unless the consumer moved on
                    CoyoteAssert.True(task < released + registry.Window, $"window exceeded: claimed {task} with {released} released, window {registry.Window}");
                    registry.Publish(task, owner);
                }
            });
        }

        for (long task = 0; task < tasks; task++)
        {
            CoyoteAssert.True(registry.WaitForOwner(task, out _), $"task {task} reported as never published");
            registry.Release(task);
        }

        await Task.WhenAll(workers);
    }

    private static async Task LowestStopBody(TaskRegistry registry)
    {
        long[] stops = [5, 3, 4];
        Exception[] errors = stops.Select(s => new InvalidOperationException($"stop {s}")).ToArray<Exception>();
        Task[] stoppers = stops.Select((s, i) => CoyoteAssert.Run($"stopper {s}", () => registry.TryStop(s, errors[i]))).ToArray();
        await Task.WhenAll(stoppers);
        CoyoteAssert.True(registry.StoppedAt == 3, $"lowest stop lost: StoppedAt is {registry.StoppedAt}");
        CoyoteAssert.True(ReferenceEquals(registry.Error, errors[1]), $"lowest stop lost: error is '{registry.Error?.Message}'");
    }

    private static async Task WakeBody(TaskRegistry registry)
    {
        // Window 1: the worker's second claim waits for the consumer's Release(0), so the stop that ends
        // the body cannot come before the consumer has been woken by the publication of task 0.
        Task worker = CoyoteAssert.Run("worker", () =>
        {
            long first = registry.Claim();
            registry.Publish(first, 7);
            long second = registry.Claim(); // waits for window space: woken by Release
            registry.TryStop(second, new InvalidOperationException("no more"));
        });

        CoyoteAssert.True(registry.WaitForOwner(0, out int owner), "task 0 reported as never published"); // woken by Publish
        CoyoteAssert.True(owner == 7, $"wrong owner for task 0: {owner}");
        registry.Release(0);
        CoyoteAssert.True(!registry.WaitForOwner(1, out _), "task 1, at the stop, reported as published"); // woken by the stop
        await worker;
    }

    private static async Task ClaimsReachStopBody(TaskRegistry registry, bool stopRacing)
    {
        // Window 2, stop at 2: the consumer reads tasks 0 and 1 and never releases. A block claim of two
        // succeeds only as the first claim; after a single claim it waits for window space that never comes,
        // so only the claim that moves Next to the stop (or the stop itself) can end its wait.
        const long stop = 2;
        Task? stopper = stopRacing ? CoyoteAssert.Run("stopper", () => registry.TryStop(stop, null)) : null;
        if (!stopRacing)
        {
            registry.TryStop(stop, null);
        }

        Task block = CoyoteAssert.Run("block claimer", () =>
        {
            long first = registry.ClaimBlock(2);
            CoyoteAssert.True(first is -1 or 0, $"block claimed at {first}, past the window");
            for (long task = first; task >= 0 && task < first + 2; task++)
            {
                registry.Publish(task, 1);
            }
        });
        Task single = CoyoteAssert.Run("single claimer", () =>
        {
            long task = registry.Claim(); // races the block claimer for task 0
            while (task >= 0)
            {
                registry.Publish(task, 2);
                Jitter.Steps(ClaimJitter); // lets the block claimer park before the claim that reaches the stop
                task = registry.Claim();
            }
        });

        for (long task = 0; task < stop; task++)
        {
            CoyoteAssert.True(registry.WaitForOwner(task, out _), $"task {task} reported as never published");
        }

        await Task.WhenAll(stopper is null ? new[] { block, single } : new[] { block, single, stopper });
    }

    private static async Task CloseBody(TaskRegistry registry, bool drain)
    {
        Task block = CoyoteAssert.Run("block claimer", () =>
        {
            long first;
            while ((first = registry.ClaimBlock(2)) >= 0)
            {
                registry.Publish(first, 1);
                registry.Publish(first + 1, 1);
            }
        });
        Task single = CoyoteAssert.Run("single claimer", () =>
        {
            long task;
            while ((task = registry.Claim()) >= 0)
            {
                registry.Publish(task, 2);
            }
        });

        if (!drain)
        {
            CoyoteAssert.True(registry.WaitForOwner(0, out _), "task 0 reported as never published");
            registry.Release(0);
            Jitter.Steps(CloseJitter); // claimers running, spinning or parked on the full window
            registry.Close();
            long closedAt = registry.ClaimedCount;
            await Task.WhenAll(new[] { block, single });
            CoyoteAssert.True(registry.ClaimedCount == closedAt, $"claimed {registry.ClaimedCount} after closing at {closedAt}");
            return;
        }

        Task closer = CoyoteAssert.Run("closer", () =>
        {
            Jitter.Steps(CloseJitter); // a few claims before the close, or a dozen
            registry.Close();
        });

        long next = 0;
        while (registry.WaitForOwner(next, out int owner))
        {
            CoyoteAssert.True(owner is 1 or 2, $"task {next}: owner {owner} was never published");
            registry.Release(next);
            next++;
        }

        CoyoteAssert.True(registry.IsClosed && next == registry.ClaimedCount, $"consumer ended at {next}; closed {registry.IsClosed}, claimed {registry.ClaimedCount}");
        await Task.WhenAll(new[] { block, single, closer });
    }
}
