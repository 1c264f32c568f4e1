using System.Runtime.CompilerServices;

namespace Primitives.Registry;

// The waiting half of TaskRegistry: the slow paths that spin, then park on a WaitGate, and the
// asynchronous forms. Design note: docs/task-registry.md ("Waiting").
public sealed partial class TaskRegistry
{
    /// <summary>What <see cref="TryClaim"/> returns when the window is full.</summary>
    private const long WindowFull = -2;

    /// <summary>Claim's wait condition: a claim can succeed now, or claiming has ended.</summary>
    private static readonly Func<(TaskRegistry Registry, int Count), bool> s_canClaimOrEnded =
        static state => state.Registry.CanClaimOrEnded(state.Count);

    /// <summary>The consumer's wait condition: the task is published, or it never will be.</summary>
    private static readonly Func<(TaskRegistry Registry, long Task), bool> s_isPublishedOrNever =
        static state => state.Registry.TryReadOwner(state.Task, out _) || state.Registry.WillNeverBePublished(state.Task);

    /// <summary>Takes the next task number without blocking a thread while the window is full.</summary>
    /// <param name="cancellationToken">Cancels the wait; no number is taken then.</param>
    /// <returns>The task number, or -1 once the registry is closed, or stopped at or below the next number.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before a number was taken.</exception>
    public ValueTask<long> ClaimAsync(CancellationToken cancellationToken = default) => ClaimBlockAsyncCore(1, cancellationToken);

    /// <summary>Takes <paramref name="count"/> consecutive task numbers without blocking a thread while the window is too full.</summary>
    /// <param name="count">How many numbers to take (1 to <see cref="Window"/>).</param>
    /// <param name="cancellationToken">Cancels the wait; no number is taken then.</param>
    /// <returns>The first number of the block, or -1 once the registry is closed, or stopped at or below the block's first number.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive or exceeds <see cref="Window"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the numbers were taken.</exception>
    internal ValueTask<long> ClaimBlockAsync(int count, CancellationToken cancellationToken = default)
    {
        ValidateCount(count);
        return ClaimBlockAsyncCore(count, cancellationToken);
    }

    /// <summary>
    /// Returns the owner of <paramref name="task"/> without blocking a thread while it is not yet published.
    /// </summary>
    /// <param name="task">A task number not yet released, less than <see cref="ReleasedCount"/> + <see cref="Window"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>
    /// The owner (non-negative), or -1 when <paramref name="task"/> will never be published (see
    /// <see cref="WaitForOwner"/> for when that is).
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="task"/> is negative or already released.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="task"/> lies a full window beyond the released tasks, so it could never be claimed: waiting would never end.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public ValueTask<int> WaitForOwnerAsync(long task, CancellationToken cancellationToken = default)
    {
        ValidateWaitTask(task);
        if (TryReadOwner(task, out int owner))
        {
            return new ValueTask<int>(owner);
        }

        return WaitForOwnerAsyncSlow(task, cancellationToken);
    }

    private long ClaimCore(int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        long first = TryClaim(count);
        return first != WindowFull ? first : ClaimSlow(count, cancellationToken);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long ClaimSlow(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            _claimGate.Wait(s_canClaimOrEnded, (this, count), cancellationToken);
            long first = TryClaim(count);
            if (first != WindowFull)
            {
                return first;
            }
        }
    }

    private ValueTask<long> ClaimBlockAsyncCore(int count, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<long>(cancellationToken);
        }

        long first = TryClaim(count);
        return first != WindowFull ? new ValueTask<long>(first) : ClaimAsyncSlow(count, cancellationToken);
    }

    private async ValueTask<long> ClaimAsyncSlow(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            await _claimGate.WaitAsync(s_canClaimOrEnded, (this, count), cancellationToken).ConfigureAwait(false);
            long first = TryClaim(count);
            if (first != WindowFull)
            {
                return first;
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool WaitForOwnerSlow(long task, out int owner, CancellationToken cancellationToken)
    {
        _ownerGate.Wait(s_isPublishedOrNever, (this, task), cancellationToken);

        // Re-read the slot even if the wait ended on "never": a failing worker publishes its task and
        // then stops at it, and the stop we saw (acquire) makes that earlier publication visible here.
        return TryReadOwner(task, out owner);
    }

    private async ValueTask<int> WaitForOwnerAsyncSlow(long task, CancellationToken cancellationToken)
    {
        await _ownerGate.WaitAsync(s_isPublishedOrNever, (this, task), cancellationToken).ConfigureAwait(false);
        return TryReadOwner(task, out int owner) ? owner : -1; // re-read after "never": see WaitForOwnerSlow
    }

    /// <summary>True when a claim of <paramref name="count"/> numbers would not have to wait for window space.</summary>
    private bool CanClaimOrEnded(int count)
    {
        long next = Volatile.Read(ref _indices.Next); // acquire: pairs with the CAS in TryClaim and Close
        return (next & ClosedBit) != 0
            || next >= StoppedAt
            || next + count <= Volatile.Read(ref _indices.Released) + _window; // acquire: pairs with the release store in Release
    }
}
