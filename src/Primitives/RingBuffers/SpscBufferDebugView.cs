using System.Diagnostics;

namespace Primitives.RingBuffers;

/// <summary>A buffer whose readable items the debugger can list: <see cref="SpscRingBuffer{T}"/> and
/// <see cref="SpscQueue{T}"/>.</summary>
/// <typeparam name="T">The type of the items.</typeparam>
internal interface ISpscSnapshot<T>
{
    /// <summary>The readable items, oldest first: a snapshot for the debugger. Any thread; racy by nature.</summary>
    T[] SnapshotItems();
}

/// <summary>What the debugger shows inside a <see cref="SpscRingBuffer{T}"/> or a <see cref="SpscQueue{T}"/>: its
/// readable items, oldest first.</summary>
/// <typeparam name="T">The type of the items.</typeparam>
internal sealed class SpscBufferDebugView<T>
{
    private readonly ISpscSnapshot<T> _buffer;

    /// <summary>Creates the view of <paramref name="buffer"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    public SpscBufferDebugView(ISpscSnapshot<T> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        _buffer = buffer;
    }

    /// <summary>The readable items, oldest first (a snapshot).</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.RootHidden)]
    public T[] Items => _buffer.SnapshotItems();
}
