using System.Diagnostics.CodeAnalysis;
using Primitives.RingBuffers;

namespace Primitives.CoyoteTests.RingBuffers;

/// <summary>
/// The members of <see cref="SpscRingBuffer{T}"/> that the systematic tests drive, so that one test
/// body runs against the library's ring (<see cref="LibraryRing{T}"/>) and against its seeded-bug twin.
/// </summary>
internal interface ISpscRing<T>
{
    bool IsCompleted { get; }

    bool TryWrite(T item);

    int TryWriteBatch(ReadOnlySpan<T> items);

    void Write(T item, CancellationToken cancellationToken = default);

    void WriteBatch(ReadOnlySpan<T> items, CancellationToken cancellationToken = default);

    bool WaitToWrite(CancellationToken cancellationToken = default);

    ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default);

    ValueTask WriteAsync(T item, CancellationToken cancellationToken = default);

    void Complete();

    bool TryRead([MaybeNullWhen(false)] out T item);

    bool TryPeek([MaybeNullWhen(false)] out T item);

    int TryReadBatch(Span<T> destination);

    bool WaitToRead(CancellationToken cancellationToken = default);

    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default);

    T Read(CancellationToken cancellationToken = default);

    ValueTask<T> ReadAsync(CancellationToken cancellationToken = default);
}
