using System.Diagnostics.CodeAnalysis;

namespace Primitives.RingBuffers;

// The buffers as type arguments of SpscBufferChannel<T, TBuffer>: one small struct per buffer that forwards to it.
// Being value types, they make the JIT compile the adapter once per buffer with direct, inlinable calls; the
// buffer's own ISpscBuffer<T> implementation would cost an interface call per item.

/// <summary>Forwards <see cref="ISpscBuffer{T}"/> to a <see cref="SpscRingBuffer{T}"/>.</summary>
/// <typeparam name="T">The type of the items.</typeparam>
internal readonly struct RingBufferAccess<T> : ISpscBuffer<T>
{
    private readonly SpscRingBuffer<T> _ring;

    internal RingBufferAccess(SpscRingBuffer<T> ring) => _ring = ring;

    public int Count => _ring.Count;

    public bool IsEmpty => _ring.IsEmpty;

    public bool IsCompleted => _ring.IsCompleted;

    public bool TryEnqueue(T item) => _ring.TryEnqueue(item);

    public void Complete() => _ring.Complete();

    public ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => _ring.WaitToWriteAsync(cancellationToken);

    public bool TryRead([MaybeNullWhen(false)] out T item) => _ring.TryRead(out item);

    public bool TryPeek([MaybeNullWhen(false)] out T item) => _ring.TryPeek(out item);

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _ring.WaitToReadAsync(cancellationToken);
}

/// <summary>Forwards <see cref="ISpscBuffer{T}"/> to a <see cref="SpscQueue{T}"/>.</summary>
/// <typeparam name="T">The type of the items.</typeparam>
internal readonly struct QueueAccess<T> : ISpscBuffer<T>
{
    private readonly SpscQueue<T> _queue;

    internal QueueAccess(SpscQueue<T> queue) => _queue = queue;

    public int Count => _queue.Count;

    public bool IsEmpty => _queue.IsEmpty;

    public bool IsCompleted => _queue.IsCompleted;

    public bool TryEnqueue(T item)
    {
        _queue.Enqueue(item); // unbounded: always room
        return true;
    }

    public void Complete() => _queue.Complete();

    public ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => _queue.WaitToWriteAsync(cancellationToken);

    public bool TryRead([MaybeNullWhen(false)] out T item) => _queue.TryRead(out item);

    public bool TryPeek([MaybeNullWhen(false)] out T item) => _queue.TryPeek(out item);

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _queue.WaitToReadAsync(cancellationToken);
}
