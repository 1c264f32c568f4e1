using System.Reflection;
using Primitives.Internal;
using Primitives.Registry;

namespace Primitives.Tests.Registry;

/// <summary>Single-threaded behaviour of <see cref="TaskRegistry"/>: the protocol, stops, close and argument checks.</summary>
public class TaskRegistryTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>Runs a blocking call on its own thread (so a parked call cannot starve the pool).</summary>
    private static Task<T> OnThread<T>(Func<T> call) =>
        Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Calls an async method for its synchronous argument checks only.</summary>
    private static void Started<T>(ValueTask<T> pending) => _ = pending.AsTask();

    /// <summary>
    /// Asserts that <paramref name="task"/> is still waiting after a short pause. It cannot fail on a
    /// correct registry, however slow the machine; a broken one may slip through on a slow run.
    /// </summary>
    private static async Task AssertStillWaiting(Task task, string because)
    {
        await Task.Delay(50);
        Assert.False(task.IsCompleted, because);
    }

    /// <summary>Waits until a claimer is announced on the registry's claim gate, i.e. past its spin and about to park or parked.</summary>
    private static async Task UntilAClaimerIsParked(TaskRegistry registry, Task claimer)
    {
        var gate = (WaitGate)typeof(TaskRegistry).GetField("_claimGate", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(registry)!;
        using var guard = new CancellationTokenSource(HangGuard);
        while (!gate.HasWaiters)
        {
            Assert.False(claimer.IsCompleted, "the claim was expected to wait");
            await Task.Delay(1, guard.Token);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData((1 << 28) + 1)]
    public void Constructor_rejects_a_bad_window(int window)
    {
        Assert.Throws<ArgumentOutOfRangeException>(nameof(window), () => new TaskRegistry(window));
    }

    [Fact]
    public void Fresh_registry_reports_its_state()
    {
        var registry = new TaskRegistry(5);
        Assert.Equal(5, registry.Window);
        Assert.Equal(0, registry.ClaimedCount);
        Assert.Equal(0, registry.ReleasedCount);
        Assert.False(registry.IsClosed);
        Assert.False(registry.IsStopped);
        Assert.Equal(long.MaxValue, registry.StoppedAt);
        Assert.Null(registry.Error);
    }

    [Fact]
    public void Claim_publish_lookup_release_round_trip()
    {
        var registry = new TaskRegistry(4);
        Assert.Equal(0, registry.Claim());
        Assert.Equal(1, registry.Claim());
        Assert.False(registry.TryGetOwner(0, out int none));
        Assert.Equal(-1, none);

        registry.Publish(1, 7);
        registry.Publish(0, 3);
        Assert.True(registry.TryGetOwner(0, out int owner0));
        Assert.Equal(3, owner0);
        Assert.True(registry.WaitForOwner(1, out int owner1));
        Assert.Equal(7, owner1);

        registry.Release(1);
        Assert.Equal(2, registry.ReleasedCount);
        Assert.Equal(2, registry.ClaimedCount);
    }

    [Fact]
    public void Slots_are_reused_around_the_ring()
    {
        var registry = new TaskRegistry(3); // 4 physical slots: tasks 0, 4, 8 share one
        for (long task = 0; task < 50; task++)
        {
            Assert.Equal(task, registry.Claim());
            registry.Publish(task, (int)(task % 5));
            Assert.True(registry.WaitForOwner(task, out int owner));
            Assert.Equal((int)(task % 5), owner);
            registry.Release(task);
        }
    }

    [Fact]
    public async Task Claim_waits_while_the_window_is_full_and_resumes_on_release()
    {
        var registry = new TaskRegistry(3);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(i, registry.Claim());
            registry.Publish(i, 0);
        }

        Task<long> blocked = OnThread(() => registry.Claim());
        await AssertStillWaiting(blocked, "a fourth claim must wait while window 3 is full");
        Assert.Equal(3, registry.ClaimedCount);

        registry.Release(0);
        await blocked.WaitAsync(HangGuard);
        Assert.Equal(3, await blocked);
    }

    [Fact]
    public async Task ClaimAsync_waits_while_the_window_is_full_and_resumes_on_release()
    {
        var registry = new TaskRegistry(1);
        Assert.Equal(0, await registry.ClaimAsync());
        registry.Publish(0, 0);

        ValueTask<long> pending = registry.ClaimAsync();
        Assert.False(pending.IsCompleted);
        registry.Release(0);
        Assert.Equal(1, await pending.AsTask().WaitAsync(HangGuard));
    }

    [Fact]
    public async Task ClaimBlock_takes_contiguous_numbers_inside_the_window()
    {
        var registry = new TaskRegistry(4);
        Assert.Equal(0, registry.ClaimBlock(3));
        Assert.Equal(3, registry.ClaimBlock(1));
        Assert.Equal(4, registry.ClaimedCount);
        for (int i = 0; i < 4; i++)
        {
            registry.Publish(i, i);
        }

        Task<long> blocked = OnThread(() => registry.ClaimBlock(2));
        registry.Release(0); // one free number: not enough for a block of two
        await AssertStillWaiting(blocked, "a block of 2 must wait until 2 numbers are free");
        registry.Release(1);
        await blocked.WaitAsync(HangGuard);
        Assert.Equal(4, await blocked);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(5)]
    public void ClaimBlock_rejects_a_bad_count(int count)
    {
        var registry = new TaskRegistry(4);
        Assert.Throws<ArgumentOutOfRangeException>(nameof(count), () => registry.ClaimBlock(count));
        Assert.Throws<ArgumentOutOfRangeException>(nameof(count), () => Started(registry.ClaimBlockAsync(count)));
        Assert.Equal(0, registry.ClaimedCount);
    }

    [Fact]
    public void Close_ends_claims_and_fixes_the_end()
    {
        var registry = new TaskRegistry(4);
        Assert.Equal(0, registry.Claim());
        Assert.Equal(1, registry.Claim());
        registry.Close();
        registry.Close(); // idempotent

        Assert.True(registry.IsClosed);
        Assert.Equal(-1, registry.Claim());
        Assert.Equal(-1, registry.ClaimBlock(2));
        Assert.Equal(2, registry.ClaimedCount);

        registry.Publish(1, 9); // claimed before the close: still publishable
        Assert.True(registry.WaitForOwner(1, out int owner));
        Assert.Equal(9, owner);
        Assert.False(registry.WaitForOwner(2, out int none)); // the end
        Assert.Equal(-1, none);
    }

    [Fact]
    public async Task Close_wakes_a_waiting_claimer_and_a_waiting_consumer()
    {
        var registry = new TaskRegistry(1);
        Assert.Equal(0, registry.Claim());
        Task<long> claimer = OnThread(() => registry.Claim());
        Task<bool> consumer = OnThread(() => registry.WaitForOwner(0, out _));
        await AssertStillWaiting(claimer, "must still wait");

        registry.Close();
        await claimer.WaitAsync(HangGuard);
        Assert.Equal(-1, await claimer);
        await AssertStillWaiting(consumer, "task 0 was claimed before the close: the consumer keeps waiting for it");

        registry.Publish(0, 4);
        await consumer.WaitAsync(HangGuard);
        Assert.True(await consumer);
    }

    [Fact]
    public async Task WaitForOwnerAsync_completes_on_publish_and_reports_never_after_close()
    {
        var registry = new TaskRegistry(2);
        Assert.Equal(0, registry.Claim());
        ValueTask<int> pending = registry.WaitForOwnerAsync(0);
        Assert.False(pending.IsCompleted);
        registry.Publish(0, 11);
        Assert.Equal(11, await pending.AsTask().WaitAsync(HangGuard));
        registry.Release(0);

        ValueTask<int> never = registry.WaitForOwnerAsync(1);
        registry.Close();
        Assert.Equal(-1, await never.AsTask().WaitAsync(HangGuard));
    }

    [Fact]
    public void TryStop_keeps_the_lowest_task_and_its_error()
    {
        var registry = new TaskRegistry(8);
        var high = new InvalidOperationException("high");
        var low = new InvalidOperationException("low");

        Assert.True(registry.TryStop(6, high));
        Assert.Equal(6, registry.StoppedAt);
        Assert.Same(high, registry.Error);

        Assert.True(registry.TryStop(2, low));
        Assert.False(registry.TryStop(4, new InvalidOperationException("between")));
        Assert.False(registry.TryStop(2, null)); // a tie does not replace the first record
        Assert.True(registry.IsStopped);
        Assert.Equal(2, registry.StoppedAt);
        Assert.Same(low, registry.Error);

        Assert.True(registry.TryStop(1, null));
        Assert.Null(registry.Error);
    }

    [Fact]
    public void Claims_below_the_stop_continue_and_claims_at_it_end()
    {
        var registry = new TaskRegistry(8);
        Assert.True(registry.TryStop(2, null));
        Assert.Equal(0, registry.Claim());
        Assert.Equal(1, registry.Claim());
        Assert.Equal(-1, registry.Claim());
        Assert.Equal(2, registry.ClaimedCount);
    }

    [Fact]
    public void Consumer_gets_a_task_published_before_its_stop_and_nothing_after()
    {
        var registry = new TaskRegistry(8);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(i, registry.Claim());
        }

        var failure = new InvalidOperationException("task 2 failed");
        registry.Publish(2, 5); // the failing worker publishes its partial task first
        Assert.True(registry.TryStop(2, failure));
        registry.Publish(3, 6); // claimed before the stop; published, but beyond the stop

        Assert.False(registry.TryGetOwner(0, out _));
        registry.Publish(0, 1);
        registry.Publish(1, 1);
        Assert.True(registry.WaitForOwner(0, out _));
        Assert.True(registry.WaitForOwner(1, out _));
        Assert.True(registry.WaitForOwner(2, out int failedOwner));
        Assert.Equal(5, failedOwner);
        Assert.Same(failure, registry.Error);
    }

    [Fact]
    public async Task WaitForOwner_returns_false_for_an_unpublished_task_at_the_stop()
    {
        var registry = new TaskRegistry(4);
        Assert.Equal(0, registry.Claim());
        Task<bool> consumer = OnThread(() => registry.WaitForOwner(0, out _));
        await AssertStillWaiting(consumer, "must still wait");
        registry.TryStop(0, null); // e.g. the consumer's owner gave up
        await consumer.WaitAsync(HangGuard);
        Assert.False(await consumer);
    }

    [Fact]
    public async Task TryStop_wakes_a_waiting_claimer()
    {
        var registry = new TaskRegistry(1);
        Assert.Equal(0, registry.Claim());
        Task<long> claimer = OnThread(() => registry.Claim());
        await AssertStillWaiting(claimer, "must still wait");
        registry.TryStop(1, new InvalidOperationException());
        await claimer.WaitAsync(HangGuard);
        Assert.Equal(-1, await claimer);
    }

    // Regression: a block claimer waiting for window space must also wake when OTHER claims move Next up to a
    // stop recorded above it (its condition "Next >= StoppedAt" becomes true without any release, close or stop).
    [Fact]
    public async Task A_waiting_block_claim_ends_when_other_claims_reach_the_stop()
    {
        var registry = new TaskRegistry(2);
        Assert.True(registry.TryStop(2, null)); // a stop ahead of Next: tasks 0 and 1 may still be claimed
        Assert.Equal(0, registry.Claim());
        ValueTask<long> block = registry.ClaimBlockAsync(2); // needs numbers 1 and 2: the window (2) holds only 1
        Assert.False(block.IsCompleted); // parked: an async claim announces itself before it returns

        Assert.Equal(1, registry.Claim()); // Next reaches the stop: the block can never be claimed now
        Assert.Equal(-1, await block.AsTask().WaitAsync(HangGuard));
    }

    [Fact]
    public async Task A_waiting_block_claim_ends_when_another_block_claim_crosses_the_stop()
    {
        var registry = new TaskRegistry(4);
        Assert.True(registry.TryStop(2, null));
        Assert.Equal(0, registry.Claim());
        Task<long> blocked = OnThread(() => registry.ClaimBlock(4)); // numbers 1 to 4: three past the window
        await UntilAClaimerIsParked(registry, blocked);

        Assert.Equal(1, registry.ClaimBlock(3)); // takes 1, 2, 3: Next (4) is now past the stop
        await blocked.WaitAsync(HangGuard);
        Assert.Equal(-1, await blocked);
    }

    [Fact]
    public async Task Claim_honours_cancellation_and_takes_no_number()
    {
        var registry = new TaskRegistry(1);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => registry.Claim(cts.Token));
        Assert.True(registry.ClaimAsync(cts.Token).AsTask().IsCanceled);
        Assert.Equal(0, registry.ClaimedCount);

        Assert.Equal(0, registry.Claim());
        using var later = new CancellationTokenSource();
        Task<long> blocked = OnThread(() => registry.Claim(later.Token));
        await AssertStillWaiting(blocked, "must still wait");
        later.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked.WaitAsync(HangGuard));
        Assert.Equal(1, registry.ClaimedCount);
    }

    [Fact]
    public async Task WaitForOwner_honours_cancellation()
    {
        var registry = new TaskRegistry(2);
        Assert.Equal(0, registry.Claim());
        using var cts = new CancellationTokenSource();
        Task<bool> waiting = OnThread(() => registry.WaitForOwner(0, out _, cts.Token));
        ValueTask<int> waitingAsync = registry.WaitForOwnerAsync(0, cts.Token);
        await AssertStillWaiting(waiting, "must still wait");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(HangGuard));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waitingAsync.AsTask().WaitAsync(HangGuard));
    }

    [Fact]
    public void Publish_rejects_misuse_without_changing_state()
    {
        var registry = new TaskRegistry(2);
        Assert.Equal(0, registry.Claim());
        Assert.Throws<ArgumentOutOfRangeException>("owner", () => registry.Publish(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>("task", () => registry.Publish(1, 0)); // never claimed
        Assert.Throws<ArgumentOutOfRangeException>("task", () => registry.Publish(-1, 0));
        Assert.False(registry.TryGetOwner(0, out _));

        registry.Publish(0, 2);
        Assert.Throws<InvalidOperationException>(() => registry.Publish(0, 3)); // twice
        Assert.True(registry.TryGetOwner(0, out int owner));
        Assert.Equal(2, owner);

        registry.Release(0);
        Assert.Throws<InvalidOperationException>(() => registry.Publish(0, 3)); // after release
    }

    [Fact]
    public void Consumer_calls_reject_misuse()
    {
        var registry = new TaskRegistry(2);
        Assert.Throws<ArgumentOutOfRangeException>("task", () => registry.TryGetOwner(-1, out _));
        Assert.Throws<ArgumentOutOfRangeException>("task", () => registry.WaitForOwner(-1, out _));
        Assert.Throws<ArgumentOutOfRangeException>("task", () => registry.Release(-1));
        Assert.Throws<ArgumentOutOfRangeException>("task", () => registry.TryStop(-1, null));

        // A task two windows ahead can never be claimed before the consumer releases: waiting would hang.
        Assert.Throws<InvalidOperationException>(() => registry.WaitForOwner(2, out _));
        Assert.Throws<InvalidOperationException>(() => Started(registry.WaitForOwnerAsync(2)));

        Assert.Equal(0, registry.Claim());
        Assert.Throws<InvalidOperationException>(() => registry.Release(0)); // not published
        Assert.Equal(0, registry.ReleasedCount);

        registry.Publish(0, 1);
        registry.Release(0);
        registry.Release(0); // already released: nothing happens
        Assert.Equal(1, registry.ReleasedCount);
        Assert.Throws<ArgumentOutOfRangeException>("task", () => registry.TryGetOwner(0, out _));
        Assert.Throws<ArgumentOutOfRangeException>("task", () => registry.WaitForOwner(0, out _));
    }
}
