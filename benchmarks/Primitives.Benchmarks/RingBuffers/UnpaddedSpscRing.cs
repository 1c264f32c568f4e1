using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>
/// A copy of <c>SpscRingBuffer&lt;T&gt;</c>'s non-blocking fast paths (<c>TryWrite</c>, <c>TryRead</c>) with
/// the padding taken out, for <c>RingLayoutBenchmarks</c>: the four indices are plain fields of the
/// object, so the producer's (<c>_tail</c>, <c>_cachedHead</c>) and the consumer's (<c>_head</c>,
/// <c>_cachedTail</c>) share cache lines with each other and with the read-only fields, and the slot
/// array has no guard slots at its ends. Everything else is kept, including the completion check and
/// the wake-up checks (<see cref="WaitGate.NotifyIfWaiting"/>), so that layout is the only difference.
/// </summary>
/// <remarks>Not a library type: no blocking, no batch, no waiting for completion. Thread safety: one producer
/// thread calls <see cref="TryWrite"/>, one consumer thread calls <see cref="TryRead"/>.</remarks>
public sealed class UnpaddedSpscRing<T>
{
    private readonly T[] _buffer;
    private readonly int _mask;
    private readonly int _capacity;
    private readonly WaitGate _dataAvailable = new();
    private readonly WaitGate _spaceAvailable = new();
    private int _completed;
    private long _tail;       // producer writes (release), consumer reads (acquire)
    private long _cachedHead; // producer-private
    private long _head;       // consumer writes (release), producer reads (acquire)
    private long _cachedTail; // consumer-private

    /// <summary>Creates a ring that holds at most <paramref name="capacity"/> items.</summary>
    public UnpaddedSpscRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _buffer = new T[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity)];
        _mask = _buffer.Length - 1;
        _capacity = capacity;
    }

    /// <summary>Producer: no more writes (kept so the completion check in <see cref="TryWrite"/> is the ring's).</summary>
    public void Complete() => Volatile.Write(ref _completed, 1); // release: pairs with the acquire in TryWrite

    /// <summary>Producer: writes one item if there is room.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(T item)
    {
        if (Volatile.Read(ref _completed) != 0) // acquire: pairs with the release in Complete, as in the ring
        {
            throw new InvalidOperationException("Completed.");
        }

        long tail = _tail; // plain: only the producer writes _tail
        if (tail - _cachedHead == _capacity && RefreshHead(tail) == 0) // plain: _cachedHead is producer-private
        {
            return false;
        }

        SlotAt(tail) = item; // plain: the slot is the producer's until the release below
        Volatile.Write(ref _tail, tail + 1); // release: the slot store happens first; pairs with the consumer's acquire in RefreshTail
        _dataAvailable.NotifyIfWaiting();
        return true;
    }

    /// <summary>Consumer: reads the oldest item if there is one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead([MaybeNullWhen(false)] out T item)
    {
        long head = _head; // plain: only the consumer writes _head
        if (head == _cachedTail && RefreshTail(head) == 0) // plain: _cachedTail is consumer-private
        {
            item = default;
            return false;
        }

        ref T slot = ref SlotAt(head);
        item = slot; // plain: the slot is the consumer's between the acquire of _tail and the release below
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            slot = default!;
        }

        Volatile.Write(ref _head, head + 1); // release: the slot load happens first; pairs with the producer's acquire in RefreshHead
        _spaceAvailable.NotifyIfWaiting();
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long RefreshHead(long tail)
    {
        long head = Volatile.Read(ref _head); // acquire: pairs with the consumer's release of _head
        _cachedHead = head; // plain: producer-private
        return _capacity - (tail - head);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long RefreshTail(long head)
    {
        long tail = Volatile.Read(ref _tail); // acquire: pairs with the producer's release of _tail
        _cachedTail = tail; // plain: consumer-private
        return tail - head;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref T SlotAt(long sequence) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buffer), (int)sequence & _mask);
}
