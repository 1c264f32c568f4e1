using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.RingBuffers;

/// <summary>
/// The indices of <see cref="SpscQueue{T}"/>, laid out like <see cref="SpscRingIndices"/>: the producer's group and
/// the consumer's group never share a 128-byte block with each other or with anything outside this struct.
/// </summary>
/// <remarks>
/// <para>Layout (bytes): <c>[0, 128)</c> padding; <c>[128, 144)</c> the producer's group (<see cref="Tail"/>,
/// <see cref="TailIndex"/>); <c>[144, 272)</c> padding; <c>[272, 316)</c> the consumer's group (<see cref="Head"/>,
/// <see cref="CachedTail"/>, <see cref="ReadStart"/>, <see cref="ReadEnd"/>, <see cref="HeadIndex"/>,
/// <see cref="DataNeeded"/>, <see cref="DataSpin"/>); <c>[316, 512)</c> padding. The unit tests check these offsets.</para>
/// <para>The segment references are not here: a generic type cannot have an explicit layout. They are written
/// once per segment, so the lines that hold them are read-mostly.</para>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 4 * CacheLine.Size)]
internal struct SpscQueueIndices
{
    /// <summary>Offset of the producer's group.</summary>
    internal const int ProducerOffset = CacheLine.Size;

    /// <summary>Offset of the consumer's group: a full block after the end of the producer's 16-byte group.</summary>
    internal const int ConsumerOffset = ProducerOffset + 16 + CacheLine.Size;

    /// <summary>Items published so far (the next sequence to write). Written by the producer (release), read by the
    /// consumer and by Count (acquire).</summary>
    [FieldOffset(ProducerOffset)]
    internal long Tail;

    /// <summary>The next slot to write in the producer's segment. Producer-private.</summary>
    [FieldOffset(ProducerOffset + 8)]
    internal int TailIndex;

    /// <summary>Items consumed so far (the next sequence to read). Written by the consumer (release), read by the
    /// producer while a consumer waits, and by Count (acquire).</summary>
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

    /// <summary>The next slot to read in the consumer's segment. Consumer-private.</summary>
    [FieldOffset(ConsumerOffset + 32)]
    internal int HeadIndex;

    /// <summary>Items a parked consumer waits for. Written by the consumer (release) before it announces itself,
    /// read by the producer (acquire) only while a consumer is announced.</summary>
    [FieldOffset(ConsumerOffset + 36)]
    internal int DataNeeded;

    /// <summary>How the consumer's next wait for data spins, learned from its last refresh of <see cref="Tail"/>
    /// (<see cref="SpscWakeUp.Learn"/>). Consumer-private.</summary>
    [FieldOffset(ConsumerOffset + 40)]
    internal SpinPolicy DataSpin;
}
