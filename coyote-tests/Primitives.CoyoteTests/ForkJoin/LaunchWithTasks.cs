using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Primitives.CoyoteTests.ForkJoin;

/// <summary>
/// Turns on the library's "launch with tasks" switch before any test runs, so that ForkJoinScope and
/// ForkJoin start their work items with Task.Run (which Coyote controls) instead of the thread pool
/// (which it does not). The library reads the switch once, on first use: hence a module initializer.
/// </summary>
internal static class LaunchWithTasks
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "A test assembly: the switch must be set before the library first reads it, whichever test runs first.")]
    internal static void Enable() => AppContext.SetSwitch("Primitives.ForkJoin.LaunchWithTasks", true);
}
