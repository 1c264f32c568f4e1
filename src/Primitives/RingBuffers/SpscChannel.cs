using System.Threading.Channels;
using Primitives.Internal;

namespace Primitives.RingBuffers;

/// <summary>
/// Creates <see cref="Channel{T}"/> instances for exactly one writer and one reader, backed by this library's
/// single-producer single-consumer buffers: the counterparts of <see cref="Channel.CreateBounded{T}(int)"/> with
/// <c>SingleWriter</c> and <c>SingleReader</c> set.
/// </summary>
/// <remarks>
/// <para><b>Thread safety.</b> At most one writer operation (<c>TryWrite</c>, <c>WriteAsync</c>,
/// <c>WaitToWriteAsync</c>, <c>TryComplete</c>/<c>Complete</c>) at a time, and at most one reader operation
/// (<c>TryRead</c>, <c>TryPeek</c>, <c>ReadAsync</c>, <c>WaitToReadAsync</c>, <c>ReadAllAsync</c>) at a time, as with
/// <c>SingleWriter</c>/<c>SingleReader</c> channels. Unlike the framework's channels, completing the writer is a writer
/// operation: call it from the writing flow (or once no write is in progress), never concurrently with a write.
/// <c>Reader.Count</c> and <c>Reader.Completion</c> may be read from any thread.</para>
/// <para><b>Behaviour.</b> Continuations of waits run asynchronously, never inline on the writing or reading thread.
/// <c>Reader.Completion</c> completes once the writer has completed and every item has been read, with the writer's
/// error if it gave one. A <see cref="ValueTask"/> of an operation that had to wait may be awaited once; reading its
/// result before it completed throws <see cref="InvalidOperationException"/>, as with the framework's channels. Such an
/// operation completes a thread-pool hop after the write or read that satisfies it, not within that call. The full
/// contract and every difference from the framework's channels: docs/channels.md.</para>
/// </remarks>
public static class SpscChannel
{
    /// <summary>
    /// Creates a bounded channel for one writer and one reader, backed by a <see cref="SpscRingBuffer{T}"/>: lock-free
    /// reads and writes with no allocation per item. A full channel makes the writer wait
    /// (<see cref="BoundedChannelFullMode.Wait"/>).
    /// </summary>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <param name="capacity">The maximum number of buffered items: 1 to <see cref="SpscRingBuffer{T}.MaxCapacity"/>.</param>
    /// <returns>The channel.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive or exceeds
    /// <see cref="SpscRingBuffer{T}.MaxCapacity"/>.</exception>
    public static Channel<T> CreateBounded<T>(int capacity)
    {
        if (capacity is < 1 or > SpscRingBuffer<T>.MaxCapacity)
        {
            ThrowHelper.ThrowArgumentOutOfRangeException(nameof(capacity), capacity, $"The capacity must be 1 to {SpscRingBuffer<T>.MaxCapacity}.");
        }

        return new SpscBufferChannel<T, RingBufferAccess<T>>(new RingBufferAccess<T>(new SpscRingBuffer<T>(capacity)));
    }

    /// <summary>
    /// Creates an unbounded channel for one writer and one reader, backed by a <see cref="SpscQueue{T}"/>: lock-free
    /// reads and writes, one allocation per segment of items rather than per item. Writes always succeed until the
    /// writer completes the channel. The counterpart of <see cref="Channel.CreateUnbounded{T}()"/> with
    /// <c>SingleWriter</c> and <c>SingleReader</c> set.
    /// </summary>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <returns>The channel.</returns>
    public static Channel<T> CreateUnbounded<T>() =>
        new SpscBufferChannel<T, QueueAccess<T>>(new QueueAccess<T>(new SpscQueue<T>()));
}
