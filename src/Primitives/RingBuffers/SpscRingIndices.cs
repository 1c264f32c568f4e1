using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.RingBuffers;

/// <summary>
/// The indices of <see cref="SpscRingBuffer{T}"/>, laid out so that the producer's group and the
/// consumer's group never share a 128-byte block with each other or with anything outside this struct.
/// </summary>
/// <remarks>
/// <para>Layout (bytes): <c>[0, 128)</c> padding; <c>[128, 168)</c> the producer's group (<see cref="Tail"/>,
/// <see cref="CachedHead"/>, <see cref="WriteStart"/>, <see cref="WriteEnd"/>, <see cref="SpaceNeeded"/>, <see cref="SpaceSpin"/>);
/// <c>[168, 296)</c> padding; <c>[296, 336)</c> the consumer's group (<see cref="Head"/>,
/// <see cref="CachedTail"/>, <see cref="ReadStart"/>, <see cref="ReadEnd"/>, <see cref="DataNeeded"/>, <see cref="DataSpin"/>);
/// <c>[336, 512)</c> padding.</para>
/// <para>Why the gaps are a full 128 bytes: objects are only 8-byte aligned, so a group cannot be placed
/// at the start of a line; two byte ranges never fall into the same 128-byte-aligned block (a cache line
/// and the neighbour that the adjacent-line prefetcher pulls with it) only if at least 128 bytes lie
/// between them. The unit tests check these offsets.</para>
/// <para>Each group holds only what its side writes: the other side reads a group's shared fields
/// (<see cref="Tail"/>, <see cref="Head"/>, and the two wait thresholds while a waiter is announced), never
/// writes them.</para>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 4 * CacheLine.Size)]
internal struct SpscRingIndices
{
    /// <summary>Offset of the producer's group.</summary>
    internal const int ProducerOffset = CacheLine.Size;

    /// <summary>Bytes of each group: four longs and two ints.</summary>
    internal const int GroupSize = 40;

    /// <summary>Offset of the consumer's group: a full block after the end of the producer's group.</summary>
    internal const int ConsumerOffset = ProducerOffset + GroupSize + CacheLine.Size;

    /// <summary>Next sequence the producer writes. Written by the producer (release), read by the consumer (acquire).</summary>
    [FieldOffset(ProducerOffset)]
    internal long Tail;

    /// <summary>The producer's last seen <see cref="Head"/>. Producer-private.</summary>
    [FieldOffset(ProducerOffset + 8)]
    internal long CachedHead;

    /// <summary>The sequence at which the outstanding write span starts; -1 when none is outstanding. Producer-private.</summary>
    [FieldOffset(ProducerOffset + 16)]
    internal long WriteStart;

    /// <summary>The sequence just past the outstanding write span. Producer-private.</summary>
    [FieldOffset(ProducerOffset + 24)]
    internal long WriteEnd;

    /// <summary>Free slots a parked producer waits for. Written by the producer (release) before it announces
    /// itself, read by the consumer (acquire) only while a producer is announced.</summary>
    [FieldOffset(ProducerOffset + 32)]
    internal int SpaceNeeded;

    /// <summary>How the producer's next wait for space spins, learned from its last refresh of <see cref="Head"/>
    /// (<see cref="SpscWakeUp.Learn"/>). Producer-private.</summary>
    [FieldOffset(ProducerOffset + 36)]
    internal SpinPolicy SpaceSpin;

    /// <summary>Next sequence the consumer reads. Written by the consumer (release), read by the producer (acquire).</summary>
    [FieldOffset(ConsumerOffset)]
    internal long Head;

    /// <summary>The consumer's last seen <see cref="Tail"/>. Consumer-private.</summary>
    [FieldOffset(ConsumerOffset + 8)]
    internal long CachedTail;

    /// <summary>The sequence at which the outstanding read span starts; -1 when none is outstanding. Consumer-private.</summary>
    [FieldOffset(ConsumerOffset + 16)]
    internal long ReadStart;

    /// <summary>The sequence just past the outstanding read span. Consumer-private.</summary>
    [FieldOffset(ConsumerOffset + 24)]
    internal long ReadEnd;

    /// <summary>Items a parked consumer waits for. Written by the consumer (release) before it announces itself,
    /// read by the producer (acquire) only while a consumer is announced.</summary>
    [FieldOffset(ConsumerOffset + 32)]
    internal int DataNeeded;

    /// <summary>How the consumer's next wait for data spins, learned from its last refresh of <see cref="Tail"/>
    /// (<see cref="SpscWakeUp.Learn"/>). Consumer-private.</summary>
    [FieldOffset(ConsumerOffset + 36)]
    internal SpinPolicy DataSpin;
}
