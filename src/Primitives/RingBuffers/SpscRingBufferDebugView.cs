using System.Diagnostics;

namespace Primitives.RingBuffers;

/// <summary>What the debugger shows inside a <see cref="SpscRingBuffer{T}"/>: its readable items, oldest first.</summary>
/// <typeparam name="T">The type of the items.</typeparam>
internal sealed class SpscRingBufferDebugView<T>
{
    private readonly SpscRingBuffer<T> _ring;

    /// <summary>Creates the view of <paramref name="ring"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="ring"/> is null.</exception>
    public SpscRingBufferDebugView(SpscRingBuffer<T> ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        _ring = ring;
    }

    /// <summary>The readable items, oldest first (a snapshot).</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.RootHidden)]
    public T[] Items => _ring.SnapshotItems();
}
