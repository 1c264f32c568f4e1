using Primitives.Tests.Iterators.UserCode;

namespace Primitives.Tests.Iterators;

/// <summary>
/// The user-code sweep for <c>ParallelSelectAsync</c>, over sync and async sources: as
/// <see cref="UserCodeSweepTests"/>, plus the async source's members and callbacks on the token the async selector
/// receives.
/// </summary>
public class AsyncUserCodeSweepTests
{
    public static IEnumerable<object[]> Cases => UserCodeSweep.Cases(async: true);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Failing_user_code_is_safe(Point point, FaultAction action, Position at, Shape shape, bool ordered) =>
        UserCodeSweep.Run(point, action, at, shape, async: true, ordered);
}
