using System.Diagnostics;
using System.Globalization;

namespace Primitives.Registry;

// What a debugger shows of a TaskRegistry: the one-line summary below and TaskRegistryDebugView's fields.
[DebuggerDisplay("{DebuggerDisplay,nq}")]
[DebuggerTypeProxy(typeof(TaskRegistryDebugView))]
public sealed partial class TaskRegistry
{
    /// <summary>"Claimed = 12, Released = 8, Window = 64", then ", StoppedAt = 10" and ", Closed" when they apply.</summary>
    internal string DebuggerDisplay
    {
        get
        {
            long stoppedAt = StoppedAt;
            return string.Create(CultureInfo.InvariantCulture, $"Claimed = {ClaimedCount}, Released = {ReleasedCount}, Window = {Window}")
                + (stoppedAt == long.MaxValue ? string.Empty : string.Create(CultureInfo.InvariantCulture, $", StoppedAt = {stoppedAt}"))
                + (IsClosed ? ", Closed" : string.Empty);
        }
    }

    /// <summary>The owner published for <paramref name="task"/>, or null if its slot does not hold it. For the debugger view.</summary>
    internal int? PeekOwner(long task) => task >= 0 && TryReadOwner(task, out int owner) ? owner : null;
}
