using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
#if PRIMITIVES_FAULTS
using Primitives.Internal;
#endif

namespace Primitives.RingBuffers;

/// <summary>
/// A <see cref="Channel{T}"/> for one writer and one reader over any <see cref="ISpscBuffer{T}"/>: the one adapter
/// behind every <see cref="SpscChannel"/> factory method. Design note, contract and deviations: docs/channels.md.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <typeparam name="TBuffer">A struct that forwards to the buffer (<see cref="RingBufferAccess{T}"/>): a value type, so
/// that the JIT compiles this class for each buffer and calls the buffer directly; through the interface, or a class
/// type argument (shared generic code), every item paid an interface call.</typeparam>
/// <remarks>Thread safety: one writer operation at a time (completion included), one reader operation at a time;
/// <c>Reader.Count</c> and <c>Reader.Completion</c> from any thread.</remarks>
internal sealed class SpscBufferChannel<T, TBuffer> : Channel<T>
    where TBuffer : struct, ISpscBuffer<T>
{
    /// <summary>Stands for "completed without an error" in <see cref="_doneWriting"/>; never thrown.</summary>
    private static readonly Exception s_doneWritingSentinel = new ChannelClosedException();

    private readonly TBuffer _buffer;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _doneWriting;
    private int _parkedWriteWriting; // 1 while a parked WriteAsync, woken, writes its item: a completion then leaves the buffer's completion to it

    /// <summary>Creates a channel over <paramref name="buffer"/>, which no one else uses.</summary>
    internal SpscBufferChannel(TBuffer buffer)
    {
        _buffer = buffer;
        Reader = new SpscChannelReader(this);
        Writer = new SpscChannelWriter(this);
    }

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

        bool parkedWriteWriting = Volatile.Read(ref _parkedWriteWriting) != 0; // after the fence above: Dekker with TryParkedWrite's Exchange, then its read of DoneWriting
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.ChannelCompleteDuringParkedWrite))
        {
            parkedWriteWriting = false; // SEEDED FAULT: completes under a parked write that is storing its item: the item lands after Reader.Completion
        }
#endif
        if (parkedWriteWriting)
        {
            return true; // a woken parked write is storing its item: it completes the buffer after the store (TryParkedWrite)
        }

        CompleteBuffer();
        return true;
    }

    /// <summary>Completes the buffer, then Reader.Completion if nothing is left to read. The completing flow; idempotent.</summary>
    private void CompleteBuffer()
    {
        _buffer.Complete(); // after _doneWriting: a reader that sees the buffer completed sees the error
        Interlocked.MemoryBarrierProcessWide(); // pairs with the reader's release of its index + acquire of the completed flag (docs/channels.md, "Design note")
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.ChannelCompleteWithoutDrainCheck))
        {
            return; // SEEDED FAULT: a reader that read the last item before this completion never completes Completion
        }
#endif
        CompleteReaderIfDrained();
    }

    /// <summary>
    /// A parked WriteAsync, woken with room: stores its item unless the writer completed meanwhile (the same flow may
    /// complete while its write is parked). With <see cref="TryComplete"/> it is a Dekker pair: each side writes its flag
    /// with a full fence and then reads the other's, so either this write sees the completion and stores nothing, or the
    /// completion sees this write in flight and leaves the buffer's completion to it, after the store: the item never
    /// lands after Reader.Completion. False when the writer has completed.
    /// </summary>
    private bool TryParkedWrite(T item, out bool stored)
    {
        stored = false;
        Interlocked.Exchange(ref _parkedWriteWriting, 1); // full fence; pairs with TryComplete's read of the flag after its CompareExchange
        if (DoneWriting is not null)
        {
            Volatile.Write(ref _parkedWriteWriting, 0); // release: nothing stored; pairs with TryComplete's read of the flag (it may still see 1: this write then completes the buffer below)
            CompleteBuffer(); // the completion may have seen this write in flight and left it to this write; idempotent
            return false;
        }

        stored = _buffer.TryEnqueue(item);
        Interlocked.Exchange(ref _parkedWriteWriting, 0); // full fence: the store above comes first; pairs with TryComplete's CompareExchange, then its read of the flag
        if (DoneWriting is not null)
        {
            CompleteBuffer(); // the completion saw this write in flight (or raced it): complete after the store; idempotent
        }

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
        if (error is null || !_buffer.IsEmpty) // IsEmpty: acquire loads of both indices
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

    private sealed class SpscChannelReader(SpscBufferChannel<T, TBuffer> parent) : ChannelReader<T>
    {
        private readonly TBuffer _buffer = parent._buffer;
        private readonly ChannelOperation<bool> _waitOperation = new();
        private readonly ChannelOperation<T> _readOperation = new();

        public override Task Completion => parent._completion.Task;

        public override bool CanCount => true;

        public override int Count => _buffer.Count;

        public override bool CanPeek => true;

        public override bool TryPeek([MaybeNullWhen(false)] out T item) => _buffer.TryPeek(out item);

        public override bool TryRead([MaybeNullWhen(false)] out T item)
        {
            if (!_buffer.TryRead(out item))
            {
                return false;
            }

            if (_buffer.IsCompleted) // acquire, after TryRead's release of the read index: see docs/channels.md, "Design note"
            {
                parent.CompleteReaderIfDrained();
            }

            return true;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            ValueTask<bool> wait = _buffer.WaitToReadAsync(cancellationToken); // spins briefly before it parks
            if (!wait.IsCompletedSuccessfully)
            {
                return ChannelOperation<bool>.Park(_waitOperation, WaitToReadAsyncSlow(wait));
            }

            return wait.Result ? new ValueTask<bool>(true) : Drained();
        }

        public override ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<T>(cancellationToken);
            }

            if (TryRead(out T? item))
            {
                return new ValueTask<T>(item);
            }

            // The first wait runs here, so that an item that arrives during the buffer's spin costs no task.
            ValueTask<bool> wait = _buffer.WaitToReadAsync(cancellationToken);
            if (!wait.IsCompletedSuccessfully)
            {
                return ChannelOperation<T>.Park(_readOperation, ReadAsyncSlow(wait, cancellationToken));
            }

            bool readable = wait.Result;
            return readable && TryRead(out item)
                ? new ValueTask<T>(item)
                : ChannelOperation<T>.Park(_readOperation, ReadAsyncSlow(new ValueTask<bool>(readable), cancellationToken));
        }

        private ValueTask<bool> Drained()
        {
            parent.CompleteReaderIfDrained();
            return parent.CompletedWaitResult();
        }

        private async Task<bool> WaitToReadAsyncSlow(ValueTask<bool> wait) =>
            await wait.ConfigureAwait(false) || await Drained().ConfigureAwait(false);

        private async Task<T> ReadAsyncSlow(ValueTask<bool> wait, CancellationToken cancellationToken)
        {
            while (await wait.ConfigureAwait(false))
            {
                if (TryRead(out T? item))
                {
                    return item;
                }

                wait = _buffer.WaitToReadAsync(cancellationToken);
            }

            parent.CompleteReaderIfDrained();
            throw parent.CreateClosedException();
        }
    }

    private sealed class SpscChannelWriter(SpscBufferChannel<T, TBuffer> parent) : ChannelWriter<T>
    {
        private readonly TBuffer _buffer = parent._buffer;
        private readonly ChannelOperation<bool> _waitOperation = new();
        private readonly ChannelOperation _writeOperation = new();

        public override bool TryComplete(Exception? error = null) => parent.TryComplete(error);

        public override bool TryWrite(T item) => parent.DoneWriting is null && _buffer.TryEnqueue(item);

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

            ValueTask<bool> wait = _buffer.WaitToWriteAsync(cancellationToken); // spins briefly before it parks
            if (!wait.IsCompletedSuccessfully)
            {
                return ChannelOperation<bool>.Park(_waitOperation, WaitToWriteAsyncSlow(wait));
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

            if (_buffer.TryEnqueue(item))
            {
                return default;
            }

            // The first wait runs here, so that room that appears during the buffer's spin costs no task.
            ValueTask<bool> wait = _buffer.WaitToWriteAsync(cancellationToken);
            if (!wait.IsCompletedSuccessfully)
            {
                return ChannelOperation.Park(_writeOperation, WriteAsyncSlow(item, wait, cancellationToken));
            }

            bool writable = wait.Result;
            return writable && _buffer.TryEnqueue(item)
                ? default
                : ChannelOperation.Park(_writeOperation, WriteAsyncSlow(item, new ValueTask<bool>(writable), cancellationToken));
        }

        private async Task<bool> WaitToWriteAsyncSlow(ValueTask<bool> wait) =>
            await wait.ConfigureAwait(false) || await parent.CompletedWaitResult().ConfigureAwait(false);

        private async Task WriteAsyncSlow(T item, ValueTask<bool> wait, CancellationToken cancellationToken)
        {
            while (await wait.ConfigureAwait(false))
            {
                if (!parent.TryParkedWrite(item, out bool stored))
                {
                    break; // completed while this write was parked: nothing stored
                }

                if (stored)
                {
                    return;
                }

                wait = _buffer.WaitToWriteAsync(cancellationToken);
            }

            throw parent.CreateClosedException();
        }
    }
}
