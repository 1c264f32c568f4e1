using System.Runtime.CompilerServices;

namespace Primitives.ForkJoin;

/// <summary>
/// Starts the work items of <see cref="ForkJoinScope"/> and <see cref="Fork"/> on other threads:
/// the one place that decides how, so that a systematic tester can see every launch.
/// </summary>
/// <remarks>
/// <para>In production a work item goes straight to the thread pool with
/// <see cref="ThreadPool.UnsafeQueueUserWorkItem(IThreadPoolWorkItem, bool)"/>: no Task object, no
/// ExecutionContext capture (the scope flows its own context, see <see cref="ForkJoinScope"/>).</para>
/// <para>Coyote controls <see cref="Task"/> APIs but not <c>ThreadPool.*QueueUserWorkItem</c>, so a
/// launch through the pool would run outside its scheduler. When the AppContext switch
/// <c>Primitives.ForkJoin.LaunchWithTasks</c> is on (the Coyote test project turns it on in a module
/// initializer, before this type is first used) every launch is a <see cref="Task.Run(Action)"/>
/// instead. The switch is read once.</para>
/// </remarks>
internal static class WorkLauncher
{
    /// <summary>The AppContext switch that routes launches through <see cref="Task.Run(Action)"/>.</summary>
    internal const string LaunchWithTasksSwitch = "Primitives.ForkJoin.LaunchWithTasks";

    private static readonly bool s_launchWithTasks = AppContext.TryGetSwitch(LaunchWithTasksSwitch, out bool on) && on;

    /// <summary>Whether launches go through <see cref="Task.Run(Action)"/> (the test switch is on).</summary>
    internal static bool LaunchesWithTasks => s_launchWithTasks;

    /// <summary>Runs <paramref name="item"/>'s <see cref="IThreadPoolWorkItem.Execute"/> on another thread, soon.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Launch(IThreadPoolWorkItem item)
    {
        if (s_launchWithTasks)
        {
            LaunchAsTask(item);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
        }
    }

    /// <summary>
    /// Captures the calling thread's ExecutionContext (null if its flow is suppressed), for work to run in and
    /// for the caller to get back afterwards. Null when launching with tasks: Task.Run flows the launcher's
    /// context itself, and Coyote reports any <see cref="ExecutionContext"/> call as an uncontrolled invocation,
    /// so in that mode the library makes none (a null context means "run in the thread's own, restore nothing";
    /// AsyncLocal isolation is checked by the unit tests, not under Coyote).
    /// </summary>
    internal static ExecutionContext? CaptureContext() => s_launchWithTasks ? null : ExecutionContext.Capture();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LaunchAsTask(IThreadPoolWorkItem item) => _ = Task.Run(item.Execute);
}
