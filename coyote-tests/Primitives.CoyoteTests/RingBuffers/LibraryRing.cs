using System.Diagnostics.CodeAnalysis;
using Primitives.RingBuffers;

namespace Primitives.CoyoteTests.RingBuffers;

/// <summary>The library's <see cref="SpscRingBuffer{T}"/> behind <see cref="ISpscRing{T}"/>.</summary>
internal sealed class LibraryRing<T>(int capacity) : ISpscRing<T>
{
    private readonly SpscRingBuffer<T> _ring = new(capacity);

    public bool IsCompleted => _ring.IsCompleted;

    public bool TryWrite(T item) => _ring.TryWrite(item);

    public int TryWriteBatch(ReadOnlySpan<T> items) => _ring.TryWriteBatch(items);

    public void Write(T item, CancellationToken cancellationToken = default) => _ring.Write(item, cancellationToken);

    public void WriteBatch(ReadOnlySpan<T> items, CancellationToken cancellationToken = default) => _ring.WriteBatch(items, cancellationToken);

    public bool WaitToWrite(CancellationToken cancellationToken = default) => _ring.WaitToWrite(cancellationToken);

    public ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => _ring.WaitToWriteAsync(cancellationToken);

    public ValueTask WriteAsync(T item, CancellationToken cancellationToken = default) => _ring.WriteAsync(item, cancellationToken);

    public void Complete() => _ring.Complete();

    public bool TryRead([MaybeNullWhen(false)] out T item) => _ring.TryRead(out item);

    public bool TryPeek([MaybeNullWhen(false)] out T item) => _ring.TryPeek(out item);

    public int TryReadBatch(Span<T> destination) => _ring.TryReadBatch(destination);

    public bool WaitToRead(CancellationToken cancellationToken = default) => _ring.WaitToRead(cancellationToken);

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _ring.WaitToReadAsync(cancellationToken);

    public T Read(CancellationToken cancellationToken = default) => _ring.Read(cancellationToken);

    public ValueTask<T> ReadAsync(CancellationToken cancellationToken = default) => _ring.ReadAsync(cancellationToken);
}
