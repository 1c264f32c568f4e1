using System.Runtime.CompilerServices;

namespace Primitives.ForkJoin;

/// <summary>
/// Running scheduler work inline in an <see cref="ExecutionContext"/> the thread already has, without
/// <see cref="ExecutionContext.Run"/>: what <c>Run</c> does on its way out (give the thread back its context and
/// synchronization context if the callee changed them) is done here only when something changed.
/// </summary>
/// <remarks>Thread safety: the calling thread's own context only.</remarks>
internal static class ContextSwitch
{
    /// <summary>Whether the calling thread runs in <paramref name="context"/> now (no switch needed to run in it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsCurrent(ExecutionContext context) => ReferenceEquals(ExecutionContext.Capture(), context);

    /// <summary>
    /// After running code inline that started in <paramref name="context"/> with <paramref name="synchronization"/>:
    /// restores them if it changed them (an AsyncLocal write, a new synchronization context), as
    /// <see cref="ExecutionContext.Run"/> would.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void RestoreAfterInline(ExecutionContext context, SynchronizationContext? synchronization)
    {
        if (!ReferenceEquals(SynchronizationContext.Current, synchronization))
        {
            SynchronizationContext.SetSynchronizationContext(synchronization);
        }

        if (!ReferenceEquals(ExecutionContext.Capture(), context))
        {
            ExecutionContext.Restore(context);
        }
    }
}
