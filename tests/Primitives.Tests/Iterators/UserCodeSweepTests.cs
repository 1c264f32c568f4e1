using Primitives.Tests.Iterators.UserCode;

namespace Primitives.Tests.Iterators;

/// <summary>
/// The user-code sweep for <c>ParallelSelect</c>: every place user code runs (source members, list Count and
/// indexer, selector, localInit, callbacks on the caller's token) fails, blocks or cancels, in the first, a middle
/// and the last chunk, small and large inputs, ordered and unordered. See <see cref="UserCodeSweep"/> for the
/// promises each case checks.
/// </summary>
public class UserCodeSweepTests
{
    public static IEnumerable<object[]> Cases => UserCodeSweep.Cases(async: false);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Failing_user_code_is_safe(Point point, FaultAction action, Position at, Shape shape, bool ordered) =>
        UserCodeSweep.Run(point, action, at, shape, async: false, ordered);
}
