using System.Diagnostics;
using System.Globalization;

namespace Primitives.Registry;

/// <summary>
/// The debugger's view of a <see cref="TaskRegistry"/>: its counters, its stop, and the owner of each task that is
/// claimed but not yet released. A snapshot read while the program is paused; it changes nothing.
/// </summary>
internal sealed class TaskRegistryDebugView
{
    private readonly TaskRegistry _registry;

    public TaskRegistryDebugView(TaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
    }

    /// <summary>See <see cref="TaskRegistry.Window"/>.</summary>
    public int Window => _registry.Window;

    /// <summary>See <see cref="TaskRegistry.ClaimedCount"/>.</summary>
    public long Claimed => _registry.ClaimedCount;

    /// <summary>See <see cref="TaskRegistry.ReleasedCount"/>.</summary>
    public long Released => _registry.ReleasedCount;

    /// <summary>The lowest stopped task, or null if the registry was not stopped.</summary>
    public long? StoppedAt => _registry.IsStopped ? _registry.StoppedAt : null;

    /// <summary>See <see cref="TaskRegistry.Error"/>.</summary>
    public Exception? Error => _registry.Error;

    /// <summary>See <see cref="TaskRegistry.IsClosed"/>.</summary>
    public bool IsClosed => _registry.IsClosed;

    /// <summary>Every claimed task not yet released, in order, with its owner once published.</summary>
    public PendingTask[] Pending
    {
        get
        {
            long released = _registry.ReleasedCount;
            long claimed = Math.Min(_registry.ClaimedCount, released + _registry.Window); // the window bounds it; a torn snapshot must not
            var pending = new PendingTask[Math.Max(0, claimed - released)];
            for (int i = 0; i < pending.Length; i++)
            {
                long task = released + i;
                pending[i] = new PendingTask(task, _registry.PeekOwner(task));
            }

            return pending;
        }
    }

    /// <summary>A claimed, unreleased task and its owner (null while unpublished).</summary>
    [DebuggerDisplay("{ToString(),nq}")]
    internal readonly record struct PendingTask(long Task, int? Owner)
    {
        /// <summary>"task 5: owner 2" or "task 6: not published".</summary>
        public override string ToString() => Owner is int owner
            ? string.Create(CultureInfo.InvariantCulture, $"task {Task}: owner {owner}")
            : string.Create(CultureInfo.InvariantCulture, $"task {Task}: not published");
    }
}
