using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.RingBuffers;

/// <summary>
/// The indices of <see cref="SpscRingBuffer{T}"/>, laid out so that the producer's group and the
/// consumer's group never share a 128-byte block with each other or with anything outside this struct.
/// </summary>
/// <remarks>
/// <para>Layout (bytes): <c>[0, 128)</c> padding; <c>[128, 144)</c> the producer's group (<see cref="Tail"/>,
/// <see cref="CachedHead"/>); <c>[144, 272)</c> padding; <c>[272, 288)</c> the consumer's group
/// (<see cref="Head"/>, <see cref="CachedTail"/>); <c>[288, 512)</c> padding.</para>
/// <para>Why the gaps are a full 128 bytes: objects are only 8-byte aligned, so a group cannot be placed
/// at the start of a line; two byte ranges never fall into the same 128-byte-aligned block (a cache line
/// and the neighbour that the adjacent-line prefetcher pulls with it) only if at least 128 bytes lie
/// between them. The unit tests check these offsets.</para>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 4 * CacheLine.Size)]
internal struct SpscRingIndices
{
    /// <summary>Offset of the producer's group.</summary>
    internal const int ProducerOffset = CacheLine.Size;

    /// <summary>Offset of the consumer's group: a full block after the end of the producer's 16-byte group.</summary>
    internal const int ConsumerOffset = ProducerOffset + 16 + CacheLine.Size;

    /// <summary>Next sequence the producer writes. Written by the producer (release), read by the consumer (acquire).</summary>
    [FieldOffset(ProducerOffset)]
    internal long Tail;

    /// <summary>The producer's last seen <see cref="Head"/>. Producer-private.</summary>
    [FieldOffset(ProducerOffset + 8)]
    internal long CachedHead;

    /// <summary>Next sequence the consumer reads. Written by the consumer (release), read by the producer (acquire).</summary>
    [FieldOffset(ConsumerOffset)]
    internal long Head;

    /// <summary>The consumer's last seen <see cref="Tail"/>. Consumer-private.</summary>
    [FieldOffset(ConsumerOffset + 8)]
    internal long CachedTail;
}
