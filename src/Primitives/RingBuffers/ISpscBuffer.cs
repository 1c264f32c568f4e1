using System.Diagnostics.CodeAnalysis;

namespace Primitives.RingBuffers;

/// <summary>
/// What a <see cref="System.Threading.Channels.Channel{T}"/> adapter needs from a single-producer
/// single-consumer buffer. Writer members are called by the one producer, reader members by the one
/// consumer; <see cref="Count"/>, <see cref="IsEmpty"/> and <see cref="IsCompleted"/> by any thread.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
internal interface ISpscBuffer<T>
{
    /// <summary>The number of items that can be read now. Any thread; a snapshot.</summary>
    int Count { get; }

    /// <summary>Whether no item can be read now. Any thread; a snapshot (acquire loads of both indices).</summary>
    bool IsEmpty { get; }

    /// <summary>Whether the producer has completed the buffer. Any thread (acquire).</summary>
    bool IsCompleted { get; }

    /// <summary>Producer: adds the item if there is room. Completion is the caller's to check.</summary>
    bool TryEnqueue(T item);

    /// <summary>Producer: marks the end of the items and wakes a parked consumer.</summary>
    void Complete();

    /// <summary>Producer: waits until there is room (true) or the buffer is completed (false).</summary>
    ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default);

    /// <summary>Consumer: removes the next item if there is one.</summary>
    bool TryRead([MaybeNullWhen(false)] out T item);

    /// <summary>Consumer: reads the next item without removing it.</summary>
    bool TryPeek([MaybeNullWhen(false)] out T item);

    /// <summary>Consumer: waits until an item can be read (true) or the buffer is completed and drained (false).</summary>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default);
}
