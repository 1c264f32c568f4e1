using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
#if PRIMITIVES_FAULTS
using Primitives.Internal;
#endif

namespace Primitives.RingBuffers;

// Design note
// ===========
// A Channel<T> over one SpscRingBuffer<T>. Items, waits and wake-ups are the ring's (see its design
// note); the adapter adds what Channels promise on top:
//   _doneWriting  null until the writer completes, then its error or s_doneWritingSentinel. Set once
//                 with Interlocked.CompareExchange BEFORE the ring's own completion flag, so anyone
//                 who has seen the ring completed (acquire) also sees _doneWriting.
//   _completion   Reader.Completion. It completes when the writer has completed AND the ring is empty.
//                 Either side may be the one to see that moment:
//                 - the writer in TryComplete: it completes the ring (a full fence), issues
//                   Interlocked.MemoryBarrierProcessWide, then checks emptiness;
//                 - the reader after every successful read that finds the ring completed, and when a
//                   wait reports "completed and drained".
//                 This is WaitGate's asymmetric Dekker again: the reader stores Head (release) then
//                 loads the completion flag (acquire); the writer stores the flag then loads Head. The
//                 writer's process-wide barrier makes sure at least one of them sees the other's store,
//                 so the last read and the completion can never miss each other. TrySet* makes the
//                 double completion harmless.
// Errors map as in System.Threading.Channels: WaitToReadAsync/WaitToWriteAsync fault with the
// writer's error itself; ReadAsync/WriteAsync fault with ChannelClosedException wrapping it (an
// OperationCanceledException error cancels instead); Completion faults (or is cancelled) with it.

/// <summary>
/// A bounded <see cref="Channel{T}"/> for one writer and one reader, backed by a
/// <see cref="SpscRingBuffer{T}"/>: lock-free reads and writes with no allocation per item.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <remarks>
/// <para><b>Thread safety.</b> At most one writer operation (<c>TryWrite</c>, <c>WriteAsync</c>,
/// <c>WaitToWriteAsync</c>, <c>TryComplete</c>/<c>Complete</c>) at a time, and at most one reader
/// operation (<c>TryRead</c>, <c>TryPeek</c>, <c>ReadAsync</c>, <c>WaitToReadAsync</c>,
/// <c>ReadAllAsync</c>) at a time, as with <c>SingleWriter</c>/<c>SingleReader</c> channels.
/// Unlike the framework's channels, completing the writer is a writer operation here: call it from the
/// writing flow (or once no write is in progress), never concurrently with a write.
/// <c>Reader.Count</c> and <c>Reader.Completion</c> may be read from any thread.</para>
/// <para><b>Behaviour.</b> Bounded with <see cref="BoundedChannelFullMode.Wait"/> semantics at exactly
/// <see cref="Capacity"/> items. Continuations of waits run asynchronously, never inline on the
/// writing or reading thread. <c>Reader.Completion</c> completes once the writer has completed and every
/// item has been read; with the writer's error if it gave one.</para>
/// </remarks>
public sealed class SpscChannel<T> : Channel<T>
{
    /// <summary>Stands for "completed without an error" in <see cref="_doneWriting"/>; never thrown.</summary>
    private static readonly Exception s_doneWritingSentinel = new ChannelClosedException();

    private readonly SpscRingBuffer<T> _ring;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _doneWriting;

    /// <summary>Creates a channel that holds at most <paramref name="capacity"/> items.</summary>
    /// <param name="capacity">The maximum number of buffered items: 1 to <see cref="SpscRingBuffer{T}.MaxCapacity"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive or too large.</exception>
    public SpscChannel(int capacity)
    {
        _ring = new SpscRingBuffer<T>(capacity);
        Reader = new SpscChannelReader(this);
        Writer = new SpscChannelWriter(this);
    }

    /// <summary>The maximum number of buffered items.</summary>
    /// <remarks>Thread safety: any thread.</remarks>
    public int Capacity => _ring.Capacity;

    /// <summary>The writer's completion: null while it may still write.</summary>
    private Exception? DoneWriting => Volatile.Read(ref _doneWriting); // acquire: pairs with the CompareExchange in TryComplete

    private bool TryComplete(Exception? error)
    {
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.ChannelCompletionErrorDropped))
        {
            error = null; // SEEDED FAULT: the writer's error is dropped: the reader sees a clean end
        }
#endif
        if (Interlocked.CompareExchange(ref _doneWriting, error ?? s_doneWritingSentinel, null) is not null) // full fence; pairs with the acquire in DoneWriting
        {
            return false;
        }

        _ring.Complete(); // after _doneWriting: a reader that sees the ring completed sees the error
        Interlocked.MemoryBarrierProcessWide(); // pairs with the reader's release of Head + acquire of the ring's flag (design note)
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.ChannelCompleteWithoutDrainCheck))
        {
            return true; // SEEDED FAULT: a reader that read the last item before this completion never completes Completion
        }
#endif
        CompleteReaderIfDrained();
        return true;
    }

    /// <summary>Completes Reader.Completion if the writer has completed and no item is left. Any thread.</summary>
    private void CompleteReaderIfDrained()
    {
        Exception? error = DoneWriting;
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.ChannelCompletionBeforeDrained) && error is not null)
        {
            _completion.TrySetResult(); // SEEDED FAULT: Completion ends while items remain to be read
            return;
        }
#endif
        if (error is null || !_ring.IsEmpty) // IsEmpty: acquire loads of both indices
        {
            return;
        }

        if (error is OperationCanceledException canceled)
        {
            _completion.TrySetCanceled(canceled.CancellationToken);
        }
        else if (error != s_doneWritingSentinel)
        {
            _completion.TrySetException(error);
        }
        else
        {
            _completion.TrySetResult();
        }
    }

    /// <summary>The result of a wait that found the channel completed: false, or the writer's error.</summary>
    private ValueTask<bool> CompletedWaitResult()
    {
        Exception error = DoneWriting!;
        return error == s_doneWritingSentinel ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(error);
    }

    /// <summary>What a read or write of a completed channel throws: ChannelClosedException, or the cancellation.</summary>
    private Exception CreateClosedException()
    {
        Exception error = DoneWriting!;
        return error is OperationCanceledException ? error
            : error != s_doneWritingSentinel ? new ChannelClosedException(error)
            : new ChannelClosedException();
    }

    private sealed class SpscChannelReader(SpscChannel<T> parent) : ChannelReader<T>
    {
        private readonly SpscRingBuffer<T> _ring = parent._ring;

        public override Task Completion => parent._completion.Task;

        public override bool CanCount => true;

        public override int Count => _ring.Count;

        public override bool CanPeek => true;

        public override bool TryPeek([MaybeNullWhen(false)] out T item) => _ring.TryPeek(out item);

        public override bool TryRead([MaybeNullWhen(false)] out T item)
        {
            if (!_ring.TryRead(out item))
            {
                return false;
            }

            if (_ring.IsCompleted) // acquire, after TryRead's release of Head: see the design note
            {
                parent.CompleteReaderIfDrained();
            }

            return true;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            ValueTask<bool> wait = _ring.WaitToReadAsync(cancellationToken);
            if (!wait.IsCompletedSuccessfully)
            {
                return WaitToReadAsyncSlow(wait);
            }

            return wait.Result ? new ValueTask<bool>(true) : Drained();
        }

        public override ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<T>(cancellationToken);
            }

            return TryRead(out T? item) ? new ValueTask<T>(item) : ReadAsyncSlow(cancellationToken);
        }

        private ValueTask<bool> Drained()
        {
            parent.CompleteReaderIfDrained();
            return parent.CompletedWaitResult();
        }

        private async ValueTask<bool> WaitToReadAsyncSlow(ValueTask<bool> wait) =>
            await wait.ConfigureAwait(false) || await Drained().ConfigureAwait(false);

        private async ValueTask<T> ReadAsyncSlow(CancellationToken cancellationToken)
        {
            while (await _ring.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (TryRead(out T? item))
                {
                    return item;
                }
            }

            parent.CompleteReaderIfDrained();
            throw parent.CreateClosedException();
        }
    }

    private sealed class SpscChannelWriter(SpscChannel<T> parent) : ChannelWriter<T>
    {
        private readonly SpscRingBuffer<T> _ring = parent._ring;

        public override bool TryComplete(Exception? error = null) => parent.TryComplete(error);

        public override bool TryWrite(T item) => parent.DoneWriting is null && _ring.TryEnqueue(item);

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }

            if (parent.DoneWriting is not null)
            {
                return parent.CompletedWaitResult();
            }

            ValueTask<bool> wait = _ring.WaitToWriteAsync(cancellationToken);
            if (!wait.IsCompletedSuccessfully)
            {
                return WaitToWriteAsyncSlow(wait);
            }

            return wait.Result ? new ValueTask<bool>(true) : parent.CompletedWaitResult();
        }

        public override ValueTask WriteAsync(T item, CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellationToken);
            }

            if (parent.DoneWriting is not null)
            {
                return ValueTask.FromException(parent.CreateClosedException());
            }

            return _ring.TryEnqueue(item) ? default : WriteAsyncSlow(item, cancellationToken);
        }

        private async ValueTask<bool> WaitToWriteAsyncSlow(ValueTask<bool> wait) =>
            await wait.ConfigureAwait(false) || await parent.CompletedWaitResult().ConfigureAwait(false);

        private async ValueTask WriteAsyncSlow(T item, CancellationToken cancellationToken)
        {
            while (await _ring.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_ring.TryEnqueue(item))
                {
                    return;
                }
            }

            throw parent.CreateClosedException();
        }
    }
}
