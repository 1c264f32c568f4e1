using System.Diagnostics;
using System.Threading.Tasks.Sources;
using Primitives.Internal;

namespace Primitives.RingBuffers;

/// <summary>
/// A single-use view of a parked channel operation: the <see cref="ValueTask"/> handed to the caller of a channel
/// operation that could not finish at once. The waiting itself stays on an internal <see cref="Task"/> (the ring's
/// waits); this object only enforces the <see cref="ValueTask"/> contract the framework's channels enforce, and is
/// reused by the next parked operation of the same side once its result was read. See docs/channels.md.
/// </summary>
/// <remarks>
/// <para>State, and who touches it: <see cref="_task"/> and <see cref="_version"/> are set by the one flow that owns
/// the operation (it took <see cref="_owned"/>); <see cref="_continuation"/> is set once by the awaiter
/// (CompareExchange, so that a second continuation is refused even from another thread) and read by the inner task's
/// completion; <see cref="GetResult"/> clears everything, bumps the version and gives up ownership, in that order.</para>
/// <para>Contract: <see cref="GetResult"/> before the inner task finished throws <see cref="InvalidOperationException"/>
/// and changes nothing (the operation stays usable); a second continuation throws; once the result was read, every
/// call with the old token throws. Continuations run where the inner task completes them: honouring
/// <see cref="ValueTaskSourceOnCompletedFlags.UseSchedulingContext"/> and
/// <see cref="ValueTaskSourceOnCompletedFlags.FlowExecutionContext"/> as <c>await</c> on a Task does.</para>
/// </remarks>
internal class ChannelOperation : IValueTaskSource
{
    private const string PendingMessage = "The operation has not completed yet: await the ValueTask instead of reading its result.";
    private const string SecondContinuationMessage = "A continuation is already registered: a ValueTask may be awaited only once.";
    private const string UsedMessage = "The operation's result was already read: a ValueTask may be awaited only once.";

    private readonly Action _invokeContinuation;
    private Task? _task;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private short _version;
    private int _owned;

    /// <summary>Creates an operation that no one owns yet.</summary>
    internal ChannelOperation() => _invokeContinuation = InvokeContinuation;

    /// <summary>The token of the current use; the caller's ValueTask carries it.</summary>
    protected short Version => Volatile.Read(ref _version); // acquire: pairs with the release in Release

    /// <summary>
    /// The ValueTask of an operation whose work is <paramref name="task"/>: the task itself once it has finished, else
    /// a use of <paramref name="reusable"/> (or of a new operation while an earlier use of it has not read its result).
    /// </summary>
    internal static ValueTask Park(ChannelOperation reusable, Task task)
    {
        if (task.IsCompleted)
        {
            return new ValueTask(task);
        }

        ChannelOperation operation = reusable.TryOwn() ? reusable : Owned(new ChannelOperation());
        operation.Attach(task);
        return new ValueTask(operation, operation.Version);
    }

    /// <summary>Takes <paramref name="operation"/>, which no one else can see yet.</summary>
    protected static TOperation Owned<TOperation>(TOperation operation)
        where TOperation : ChannelOperation
    {
        operation._owned = 1; // plain: not yet shared with any other thread
        return operation;
    }

    /// <summary>Takes this operation for one use; false while an earlier use has not read its result yet.</summary>
    protected bool TryOwn() => Interlocked.CompareExchange(ref _owned, 1, 0) == 0; // pairs with the release in Release

    /// <summary>Owner: makes <paramref name="task"/> the inner task of the current use.</summary>
    protected void Attach(Task task)
    {
        Debug.Assert(Volatile.Read(ref _owned) == 1, "only the owner starts a use"); // acquire: the owner's own TryOwn
        Volatile.Write(ref _task, task); // release: read by GetStatus/OnCompleted/GetResult on the awaiting side
    }

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token)
    {
        Task task = Current(token);
        return !task.IsCompleted ? ValueTaskSourceStatus.Pending
            : task.IsCompletedSuccessfully ? ValueTaskSourceStatus.Succeeded
            : task.IsCanceled ? ValueTaskSourceStatus.Canceled
            : ValueTaskSourceStatus.Faulted;
    }

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Task task = Current(token);
        Volatile.Write(ref _continuationState, state); // release: before the continuation is published below
        if (Interlocked.CompareExchange(ref _continuation, continuation, null) is not null) // pairs with the acquire in InvokeContinuation
        {
            ThrowHelper.ThrowInvalidOperationException(SecondContinuationMessage);
        }

        bool captureContext = (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0;
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.ChannelOperationContinuationDroppedWhenCompleted) && task.IsCompleted)
        {
            return; // SEEDED FAULT: a continuation registered after the inner task finished never runs (lost wake-up)
        }
#endif
        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
        {
            task.ConfigureAwait(captureContext).GetAwaiter().OnCompleted(_invokeContinuation);
        }
        else
        {
            task.ConfigureAwait(captureContext).GetAwaiter().UnsafeOnCompleted(_invokeContinuation);
        }
    }

    /// <inheritdoc/>
    public void GetResult(short token) => Release(token).GetAwaiter().GetResult();

    /// <summary>
    /// Reads the result of the current use: throws if the token is stale or the inner task has not finished (then
    /// nothing changes); else ends the use and returns the finished inner task, whose result or exception the caller
    /// takes.
    /// </summary>
    protected Task Release(short token)
    {
        Task task = Current(token);
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.ChannelOperationResultBeforeCompletion))
        {
            task.Wait(); // SEEDED FAULT: a premature GetResult blocks until the operation completes instead of throwing
        }
#endif
        if (!task.IsCompleted)
        {
            ThrowHelper.ThrowInvalidOperationException(PendingMessage);
        }

        Volatile.Write(ref _task, null); // the owning flow's own use ends here
        Volatile.Write(ref _continuationState, null);
        Volatile.Write(ref _continuation, null);
        Volatile.Write(ref _version, (short)(_version + 1)); // release: a stale token now fails Current; plain read: only the owning flow writes it
        Volatile.Write(ref _owned, 0); // release: pairs with the CompareExchange in TryOwn of the next use
        return task;
    }

    /// <summary>The inner task of the use that <paramref name="token"/> names; throws if that use is over.</summary>
    private Task Current(short token)
    {
        Task? task = Volatile.Read(ref _task); // acquire: pairs with the release in Attach
        if (task is null || token != Version)
        {
            ThrowHelper.ThrowInvalidOperationException(UsedMessage);
        }

        return task!;
    }

    /// <summary>Runs the registered continuation; called by the inner task once it finished.</summary>
    private void InvokeContinuation()
    {
        Action<object?>? continuation = Volatile.Read(ref _continuation); // acquire: pairs with the CompareExchange in OnCompleted
        object? state = Volatile.Read(ref _continuationState); // acquire: stored before the continuation was published
        continuation?.Invoke(state); // null only if the caller misused the ValueTask and read the result without awaiting it
    }
}

/// <summary>A <see cref="ChannelOperation"/> with a result: the ValueTask of a parked read or wait.</summary>
/// <typeparam name="TResult">The type of the result.</typeparam>
internal sealed class ChannelOperation<TResult> : ChannelOperation, IValueTaskSource<TResult>
{
    /// <summary>The generic <see cref="ChannelOperation.Park(ChannelOperation, Task)"/>.</summary>
    internal static ValueTask<TResult> Park(ChannelOperation<TResult> reusable, Task<TResult> task)
    {
        if (task.IsCompleted)
        {
            return new ValueTask<TResult>(task);
        }

        ChannelOperation<TResult> operation = reusable.TryOwn() ? reusable : Owned(new ChannelOperation<TResult>());
        operation.Attach(task);
        return new ValueTask<TResult>(operation, operation.Version);
    }

    /// <inheritdoc/>
    public new TResult GetResult(short token) => ((Task<TResult>)Release(token)).GetAwaiter().GetResult();
}
