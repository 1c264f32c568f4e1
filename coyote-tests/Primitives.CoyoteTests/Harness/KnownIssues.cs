namespace Primitives.CoyoteTests.Harness;

/// <summary>
/// Why a systematic test of the library's own code is skipped: something in the code under test that
/// Coyote 1.7.11 cannot run, not a bug Coyote found. Each reason says what change un-skips it
/// (docs/coyote.md, "Known limitations"). The seeded-bug twins of these tests still run, on copies
/// that avoid the construct, so the bodies and the harness stay proven.
/// </summary>
internal static class KnownIssues
{
    public const string PoolingAsyncBuilder =
        "Blocked by src: SpscRingBuffer's async slow paths use [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))], " +
        "which Coyote 1.7.11 rewrites into invalid IL (InvalidProgramException on the first call). " +
        "Un-skip when they use the default builder. See docs/coyote.md, Known limitations.";

    public const string RegistrationDispose =
        "Blocked by src: WaitGate disposes its CancellationTokenRegistration; Dispose waits, outside Coyote's control, " +
        "for the callback running on the cancelling thread, and Coyote reports a potential deadlock where there is none. " +
        "Un-skip when WaitGate calls registration.Unregister() instead. See docs/coyote.md, Known limitations.";

    public const string Both = RegistrationDispose + " And: " + PoolingAsyncBuilder;
}
