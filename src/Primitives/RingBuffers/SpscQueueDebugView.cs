using System.Diagnostics;

namespace Primitives.RingBuffers;

/// <summary>What the debugger shows inside a <see cref="SpscQueue{T}"/>: its readable items, oldest first.</summary>
/// <typeparam name="T">The type of the items.</typeparam>
internal sealed class SpscQueueDebugView<T>
{
    private readonly SpscQueue<T> _queue;

    /// <summary>Creates the view of <paramref name="queue"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="queue"/> is null.</exception>
    public SpscQueueDebugView(SpscQueue<T> queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        _queue = queue;
    }

    /// <summary>The readable items, oldest first (a snapshot).</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.RootHidden)]
    public T[] Items => _queue.SnapshotItems();
}
