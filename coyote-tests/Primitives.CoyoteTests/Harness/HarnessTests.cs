using Microsoft.Coyote.Rewriting;
using Primitives.CoyoteTests.Harness.Toys;

namespace Primitives.CoyoteTests.Harness;

/// <summary>
/// The harness proves itself before anyone trusts it: rewriting is in place, and Coyote, as configured
/// by <see cref="CoyoteHarness"/>, finds a publication-order bug, a lost wake-up and a livelock in
/// tiny toy primitives, and replays a trace it wrote.
/// </summary>
public sealed class HarnessTests(ITestOutputHelper output)
{
    private readonly CoyoteHarness _coyote = new(output);

    [Fact]
    public void Library_and_test_assemblies_are_rewritten()
    {
        Assert.True(RewritingEngine.IsAssemblyRewritten(typeof(AssemblyMarker).Assembly), typeof(AssemblyMarker).Assembly.Location);
        Assert.True(RewritingEngine.IsAssemblyRewritten(typeof(HarnessTests).Assembly), typeof(HarnessTests).Assembly.Location);
    }

    // Invariant: the consumer reads the value the producer stored (the store happens before the publish).
    [Fact]
    public void Mailbox_publishes_the_value_after_storing_it() => _coyote.Run(() => MailboxBody(ToyFault.None));

    [Fact]
    public void Mailbox_twin_publishing_before_the_store_is_found()
        => _coyote.ExpectBug(() => MailboxBody(ToyFault.PublishBeforeStore), "mailbox lost the value");

    // Invariant: a consumer spinning for a value that is never published is reported as a hang
    // (the max-steps bound fails the iteration instead of ending it silently).
    [Fact]
    public void Mailbox_twin_that_never_publishes_is_reported_as_a_hang()
        => _coyote.ExpectBug(() => MailboxBody(ToyFault.NeverPublish), "bound of", scale: 0.05);

    // Invariant: Wait returns once Set is called, whatever the interleaving (no lost wake-up).
    [Fact]
    public void Latch_never_loses_the_wake_up() => _coyote.Run(() => LatchBody(ToyFault.None));

    [Fact]
    public void Latch_twin_announcing_after_the_check_is_found()
        => _coyote.ExpectBug(() => LatchBody(ToyFault.AnnounceAfterCheck), "Deadlock");

    // A trace written for a found bug replays to the same bug in one iteration.
    [Fact]
    public void A_written_trace_replays_the_bug()
    {
        _coyote.ExpectBug(() => LatchBody(ToyFault.AnnounceAfterCheck), "Deadlock");
        string trace = File.ReadAllText(Path.Combine(CoyoteHarness.TraceDirectory, "seeded", nameof(HarnessTests) + "." + nameof(A_written_trace_replays_the_bug) + ".trace"));

        IReadOnlyCollection<string> reproduced = _coyote.Replay(() => LatchBody(ToyFault.AnnounceAfterCheck), trace);

        Assert.Contains(reproduced, report => report.Contains("Deadlock", StringComparison.Ordinal));
    }

    private static async Task MailboxBody(ToyFault fault)
    {
        var mailbox = new ToyMailbox(fault);
        Task<int> consumer = Task.Run(mailbox.Take);
        mailbox.Put(42);
        int value = await consumer;
        CoyoteAssert.True(value == 42, $"mailbox lost the value: read {value}");
    }

    private static void LatchBody(ToyFault fault)
    {
        var latch = new ToyLatch(fault);
        Task waiter = Task.Run(latch.Wait);
        latch.Set();
        waiter.Wait();
    }
}
