using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using Primitives.Internal;

namespace Primitives.Registry;

// Design note: docs/task-registry.md (algorithm, who owns each field, invariants, memory orderings, waking).
// Each Volatile/Interlocked access below names the access it pairs with.

/// <summary>
/// A lock-free registry of task numbers: workers claim consecutive task numbers and publish which worker
/// owns each; a single consumer then looks the owners up in increasing task order, waiting where needed.
/// The distance between the oldest unreleased task and the newest claimed one is bounded by
/// <see cref="Window"/>. The registry also records a stop: the lowest task number at which work
/// failed or was abandoned.
/// </summary>
/// <remarks>
/// <para><b>Protocol.</b> A worker calls <see cref="Claim"/>, produces the task's data in storage of its own,
/// then calls <see cref="Publish"/>. The consumer calls <see cref="WaitForOwner"/> for task 0, 1, 2, ..., reads
/// the data from the owning worker's storage, then calls <see cref="Release"/>. Whoever learns that no more tasks
/// exist calls <see cref="Close"/>; a worker that fails on task n calls <see cref="TryStop"/> (after
/// <see cref="Publish"/> if it has partial data for the consumer).</para>
/// <para><b>The rule to keep:</b> every number <see cref="Claim"/> hands out must end in <see cref="Publish"/>,
/// or in a <see cref="TryStop"/> at or below it; otherwise the consumer waits for that number until its
/// cancellation token fires. Publish or stop in a <c>catch</c>, as in the example. The consumer may obtain a
/// failing task's owner before the stop is recorded, so it should learn that task n failed from n's own data (a
/// mark the worker wrote before <see cref="Publish"/>), and read <see cref="Error"/> once it has seen the mark or
/// <see cref="WaitForOwner"/> has returned false.</para>
/// <para><b>Memory ordering.</b> Everything a worker wrote before <see cref="Publish"/> is visible to the consumer
/// once <see cref="TryGetOwner"/> or <see cref="WaitForOwner"/> gives it the owner. A claimer handed number n has
/// seen every <see cref="Release"/> of a task at or below n - <see cref="Window"/>, so storage of
/// <see cref="Window"/> or more entries indexed by the task number modulo its length can be reused by the claimer
/// without overwriting data the consumer still reads.</para>
/// <para><b>Thread safety.</b> <see cref="Claim"/>, <see cref="ClaimAsync"/>, <see cref="Publish"/>,
/// <see cref="TryStop"/>, <see cref="Close"/> and the properties may be called from any thread.
/// <see cref="TryGetOwner"/>, <see cref="WaitForOwner"/>, <see cref="WaitForOwnerAsync"/> and
/// <see cref="Release"/> belong to a single logical consumer (successive calls may come from different threads
/// when each happens after the previous one, e.g. across an await).</para>
/// <para>The design (algorithm, invariants, orderings) is described in docs/task-registry.md in the
/// repository.</para>
/// </remarks>
/// <example>
/// A worker that cannot finish a task stops the registry there instead of leaving the number unpublished:
/// <code>
/// long n;
/// while ((n = registry.Claim(token)) >= 0)
/// {
///     try
///     {
///         Produce(n, myStorage);
///     }
///     catch (Exception ex)
///     {
///         registry.TryStop(n, ex); // the consumer stops waiting at n and can read Error
///         throw;
///     }
///
///     registry.Publish(n, owner: me);
/// }
/// </code>
/// </example>
public sealed partial class TaskRegistry
{
    /// <summary>The bit of <see cref="TaskRegistryIndices.Next"/> that marks the registry closed.</summary>
    internal const long ClosedBit = 1L << 62;

    /// <summary>The largest supported <see cref="Window"/>.</summary>
    internal const int MaxWindow = 1 << 28;

    private const long NoTag = -1;

    private readonly int _window;
    private readonly int _mask;
    private readonly Slot[] _slots;
    private readonly WaitGate _claimGate = new();
    private readonly WaitGate _ownerGate = new();
    private StopRecord? _stop;
    private TaskRegistryIndices _indices; // mutable struct: do not make this readonly

    /// <summary>Creates a registry whose claimed tasks stay within <paramref name="window"/> of the oldest unreleased one.</summary>
    /// <param name="window">The most tasks that may be claimed but not yet released at once (1 to 2^28).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="window"/> is not positive or exceeds 2^28.</exception>
    public TaskRegistry(int window)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(window);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, MaxWindow);
        _window = window;
        int length = (int)BitOperations.RoundUpToPowerOf2((uint)window);
        _mask = length - 1;
        _slots = new Slot[length];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i].Tag = NoTag; // plain: the constructor publishes the object before any other thread sees it
        }
    }

    /// <summary>The most tasks that may be claimed and not yet released at the same time.</summary>
    public int Window => _window;

    /// <summary>The lowest task number at which the registry was stopped, or <see cref="long.MaxValue"/> if it was not.</summary>
    /// <remarks>No task at or above it is handed out after the stop, and the consumer is not made to wait for one.</remarks>
    public long StoppedAt => Volatile.Read(ref _stop)?.Task ?? long.MaxValue; // acquire: pairs with the CAS in TryStop

    /// <summary>The error recorded with <see cref="StoppedAt"/>, or null if there is none (no stop, or a stop without error).</summary>
    public Exception? Error => Volatile.Read(ref _stop)?.Error; // acquire: pairs with the CAS in TryStop

    /// <summary>Whether <see cref="TryStop"/> has recorded a stop.</summary>
    public bool IsStopped => Volatile.Read(ref _stop) is not null; // acquire: pairs with the CAS in TryStop

    /// <summary>Whether <see cref="Close"/> has been called.</summary>
    public bool IsClosed => (Volatile.Read(ref _indices.Next) & ClosedBit) != 0; // acquire: pairs with the CAS in Close

    /// <summary>
    /// The number of task numbers handed out so far (a snapshot); once <see cref="IsClosed"/>, the final
    /// number of tasks.
    /// </summary>
    public long ClaimedCount => Volatile.Read(ref _indices.Next) & ~ClosedBit; // acquire: pairs with the CAS in Claim and Close

    /// <summary>The number of tasks the consumer has released (a snapshot): every task below it.</summary>
    public long ReleasedCount => Volatile.Read(ref _indices.Released); // acquire: pairs with the release store in Release

    /// <summary>
    /// Takes the next task number, waiting (spin, then park) while it lies a full <see cref="Window"/>
    /// ahead of the oldest unreleased task.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; no number is taken then.</param>
    /// <returns>The task number, or -1 once the registry is closed, or stopped at or below the next number.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before a number was taken.</exception>
    public long Claim(CancellationToken cancellationToken = default) => ClaimCore(1, cancellationToken);

    /// <summary>
    /// Takes <paramref name="count"/> consecutive task numbers at once, waiting (spin, then park) until
    /// all of them lie inside the <see cref="Window"/>. Each number must still be published on its own.
    /// </summary>
    /// <param name="count">How many numbers to take (1 to <see cref="Window"/>).</param>
    /// <param name="cancellationToken">Cancels the wait; no number is taken then.</param>
    /// <returns>The first number of the block, or -1 once the registry is closed, or stopped at or below the block's first number.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive or exceeds <see cref="Window"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the numbers were taken.</exception>
    internal long ClaimBlock(int count, CancellationToken cancellationToken = default)
    {
        ValidateCount(count);
        return ClaimCore(count, cancellationToken);
    }

    /// <summary>
    /// Records "task <paramref name="task"/> is owned by worker <paramref name="owner"/>" and wakes the
    /// consumer if it waits for it. Everything the caller wrote before this call is visible to the
    /// consumer once it obtains the owner.
    /// </summary>
    /// <param name="task">A task number this worker claimed and has not published yet.</param>
    /// <param name="owner">The owner: any non-negative number meaningful to the caller (e.g. a worker index).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="owner"/> is negative, or <paramref name="task"/> was never claimed.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="task"/> was already published or released.</exception>
    public void Publish(long task, int owner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(owner);
        ref Slot slot = ref _slots[task & _mask];
        if ((ulong)task >= (ulong)ClaimedCount
            || task < Volatile.Read(ref _indices.Released) // acquire: pairs with the release store in Release
            || Volatile.Read(ref slot.Tag) == task) // acquire: pairs with the release store below (a second Publish)
        {
            ThrowBadPublish(task);
        }

#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RegistryTagBeforeOwner))
        {
            Volatile.Write(ref slot.Tag, task); // SEEDED FAULT: the tag is released before the owner is stored
        }
#endif
        Volatile.Write(ref slot.Owner, owner); // ordered before the tag's release store below
        Volatile.Write(ref slot.Tag, task); // release: pairs with the consumer's acquire of Tag in TryReadOwner
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RegistryPublishWithoutWake))
        {
            return; // SEEDED FAULT: a parked consumer is never woken
        }
#endif
        _ownerGate.NotifyIfWaiting();
    }

    /// <summary>
    /// Records a stop at <paramref name="task"/>: no number at or above it is handed out any more, and
    /// the consumer stops waiting there. The lowest stop always wins, however calls interleave.
    /// Wakes every waiting claimer and the consumer.
    /// </summary>
    /// <param name="task">The task at which work stops (a failing worker passes the task that failed, after publishing it).</param>
    /// <param name="error">The failure, or null for a stop without error (e.g. the consumer gave up).</param>
    /// <returns>True if this call lowered <see cref="StoppedAt"/>; false if a stop at or below <paramref name="task"/> was already recorded.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="task"/> is negative.</exception>
    public bool TryStop(long task, Exception? error)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(task);
        StopRecord? current = Volatile.Read(ref _stop); // acquire: pairs with the CAS below
        StopRecord? mine = null;
        while (current is null || task < current.Task)
        {
            mine ??= new StopRecord(task, error);
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.RegistryStopWithoutCas))
            {
                Volatile.Write(ref _stop, mine); // SEEDED FAULT: a lower stop recorded since the read is overwritten
                current = mine; // the CAS below then succeeds unless yet another stop came in between
            }
#endif
            StopRecord? seen = Interlocked.CompareExchange(ref _stop, mine, current); // full fence: pairs with every acquire of _stop
            if (ReferenceEquals(seen, current))
            {
                _claimGate.NotifyIfWaiting();
                _ownerGate.NotifyIfWaiting();
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>
    /// Ends claiming: later claims return -1, and the number of tasks is fixed at <see cref="ClaimedCount"/>.
    /// Wakes every waiting claimer and the consumer. Idempotent.
    /// </summary>
    public void Close()
    {
        long next = Volatile.Read(ref _indices.Next); // acquire: pairs with the CAS in TryClaim
        while ((next & ClosedBit) == 0)
        {
            long seen = Interlocked.CompareExchange(ref _indices.Next, next | ClosedBit, next); // full fence: serializes with every claim
            if (seen == next)
            {
#if PRIMITIVES_FAULTS
                if (!Fault.Is(FaultId.RegistryCloseWithoutClaimWake)) // SEEDED FAULT when active: parked claimers are not woken
#endif
                {
                    _claimGate.NotifyIfWaiting();
                }

                _ownerGate.NotifyIfWaiting();
                return;
            }

            next = seen;
        }
    }

    /// <summary>Looks up the owner of <paramref name="task"/> without waiting.</summary>
    /// <param name="task">A task number not yet released.</param>
    /// <param name="owner">The owner published for <paramref name="task"/>, or -1 if it is not published yet.</param>
    /// <returns>True if <paramref name="task"/> has been published.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="task"/> is negative or already released.</exception>
    public bool TryGetOwner(long task, out int owner)
    {
        ValidateConsumerTask(task);
        return TryReadOwner(task, out owner);
    }

    /// <summary>
    /// Returns the owner of <paramref name="task"/>, waiting (spin, then park) until it is published.
    /// </summary>
    /// <param name="task">A task number not yet released, less than <see cref="ReleasedCount"/> + <see cref="Window"/>.</param>
    /// <param name="owner">The owner published for <paramref name="task"/>, or -1 when the method returns false.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>
    /// True with the owner; false only when <paramref name="task"/> will never be published: the registry is
    /// closed and <paramref name="task"/> &gt;= <see cref="ClaimedCount"/>, or <paramref name="task"/> &gt;=
    /// <see cref="StoppedAt"/> and it was not published before the stop.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="task"/> is negative or already released.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="task"/> lies a full window beyond the released tasks, so it could never be claimed: waiting would never end.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public bool WaitForOwner(long task, out int owner, CancellationToken cancellationToken = default)
    {
        ValidateWaitTask(task);
        if (TryReadOwner(task, out owner))
        {
            return true;
        }

        return WaitForOwnerSlow(task, out owner, cancellationToken);
    }

    /// <summary>
    /// Tells the registry that the consumer is done with every task up to and including
    /// <paramref name="task"/>: their slots may be reused, and claimers waiting for window space wake.
    /// Releasing a task that is already released does nothing.
    /// </summary>
    /// <param name="task">The newest task the consumer is done with; it must have been published.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="task"/> is negative.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="task"/> has not been published.</exception>
    public void Release(long task)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(task);
        long released = Volatile.Read(ref _indices.Released); // the consumer's own field: it is the only writer
        if (task < released)
        {
            return;
        }

        if (task - released >= _window || Volatile.Read(ref _slots[task & _mask].Tag) != task) // acquire: pairs with Publish's release of Tag
        {
            ThrowHelper.ThrowInvalidOperationException($"Task {task} cannot be released: it has not been published.");
        }

        Volatile.Write(ref _indices.Released, task + 1); // release: pairs with the claimers' acquire in TryClaim; the consumer's reads of the tasks come first
        _claimGate.NotifyIfWaiting();
    }

    /// <summary>
    /// Takes <paramref name="count"/> numbers if the window allows it now.
    /// Returns the first number, -1 when closed or stopped, or <see cref="WindowFull"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long TryClaim(int count)
    {
        long next = Volatile.Read(ref _indices.Next); // acquire: pairs with the CAS below and in Close
        while (true)
        {
            if ((next & ClosedBit) != 0 || next >= StoppedAt)
            {
                return -1;
            }

            if (next + count > Volatile.Read(ref _indices.Released) + _window) // acquire: pairs with the release store in Release
            {
#if PRIMITIVES_FAULTS
                if (!Fault.Is(FaultId.RegistryWindowOffByOne) || next + count - 1 > Volatile.Read(ref _indices.Released) + _window) // SEEDED FAULT: one number past the window gets through
#endif
                {
                    return WindowFull;
                }
            }

            long seen = Interlocked.CompareExchange(ref _indices.Next, next + count, next); // full fence: pairs with the acquires of Next
            if (seen == next)
            {
                Debug.Assert(next + count < ClosedBit, $"task numbers exhausted: {next + count}");
                if (next + count >= StoppedAt) // acquire, after the CAS: pairs with the CAS in TryStop (docs/task-registry.md, "The claim that reaches the stop")
                {
                    NotifyClaimersOfTheEnd();
                }

                return next;
            }

            next = seen;
        }
    }

    /// <summary>
    /// Wakes the claimers parked for window space after this thread's claim moved Next to or past the stop: their
    /// condition "Next &gt;= StoppedAt" has just become true without a release. Rare (once per stop), so not inlined.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NotifyClaimersOfTheEnd()
    {
#if PRIMITIVES_FAULTS
        if (Fault.Is(FaultId.RegistryClaimReachingStopWithoutWake))
        {
            return; // SEEDED FAULT: a block claimer parked for window space waits until an unrelated release, close or stop
        }
#endif
        _claimGate.NotifyIfWaiting();
    }

    /// <summary>Reads the slot of <paramref name="task"/>: true with the owner if the slot holds that task.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReadOwner(long task, out int owner)
    {
        ref Slot slot = ref _slots[task & _mask];
        if (Volatile.Read(ref slot.Tag) == task) // acquire: pairs with the release store of Tag in Publish
        {
            owner = Volatile.Read(ref slot.Owner); // ordered after the acquire of Tag; written before it in Publish
            Debug.Assert(owner >= 0, $"published owner {owner} is negative");
            return true;
        }

        owner = -1;
        return false;
    }

    /// <summary>True when <paramref name="task"/> will never be published (closed before it was claimed, or stopped at or below it).</summary>
    private bool WillNeverBePublished(long task)
    {
        if (task >= StoppedAt)
        {
            return true;
        }

        long next = Volatile.Read(ref _indices.Next); // acquire: pairs with the CAS in Close
        return (next & ClosedBit) != 0 && task >= (next & ~ClosedBit);
    }

    private void ValidateCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _window);
    }

    /// <summary>Checks a task the consumer asks about; returns the released count.</summary>
    private long ValidateConsumerTask(long task)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(task);
        long released = Volatile.Read(ref _indices.Released); // the consumer's own field: it is the only writer
        if (task < released)
        {
            ThrowHelper.ThrowArgumentOutOfRangeException(nameof(task), task, $"Task {task} was already released (released count {released}).");
        }

        return released;
    }

    private void ValidateWaitTask(long task)
    {
        long released = ValidateConsumerTask(task);
        if (task - released >= _window)
        {
            ThrowHelper.ThrowInvalidOperationException($"Task {task} can never be claimed before tasks below {task - _window + 1} are released (released count {released}, window {_window}); waiting for it would never end.");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadPublish(long task)
    {
        if ((ulong)task >= (ulong)ClaimedCount)
        {
            ThrowHelper.ThrowArgumentOutOfRangeException(nameof(task), task, $"Task {task} was never claimed (claimed count {ClaimedCount}).");
        }

        ThrowHelper.ThrowInvalidOperationException($"Task {task} was already published or released.");
    }

    /// <summary>One ring entry: the task it holds (its sequence tag) and that task's owner.</summary>
    private struct Slot
    {
        /// <summary>The task whose owner <see cref="Owner"/> is, or <see cref="NoTag"/>. Release-stored by Publish, acquire-loaded by the consumer.</summary>
        public long Tag;

        /// <summary>The owner of task <see cref="Tag"/>; stored before Tag, loaded after it.</summary>
        public int Owner;
    }

    /// <summary>An immutable stop: replaced as a whole, so its task and error are always read together.</summary>
    private sealed class StopRecord(long task, Exception? error)
    {
        public long Task { get; } = task;

        public Exception? Error { get; } = error;
    }
}
