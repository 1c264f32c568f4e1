using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.Registry;

/// <summary>
/// The two hot counters of <see cref="TaskRegistry"/>, laid out so that the claimers' word and the
/// consumer's word never share a 128-byte block with each other or with anything outside this struct.
/// </summary>
/// <remarks>
/// <para>Layout (bytes): <c>[0, 128)</c> padding; <c>[128, 136)</c> <see cref="Next"/> (written by every
/// claimer with a CAS); <c>[136, 264)</c> padding; <c>[264, 272)</c> <see cref="Released"/> (written by
/// the consumer only); <c>[272, 512)</c> padding.</para>
/// <para>Why the gaps are a full 128 bytes: objects are only 8-byte aligned, so a field cannot be placed
/// at the start of a line; two byte ranges never fall into the same 128-byte-aligned block (a cache line
/// and the neighbour that the adjacent-line prefetcher pulls with it) only if at least 128 bytes lie
/// between them. A unit test checks these offsets.</para>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 4 * CacheLine.Size)]
internal struct TaskRegistryIndices
{
    /// <summary>Offset of <see cref="Next"/>.</summary>
    internal const int NextOffset = CacheLine.Size;

    /// <summary>Offset of <see cref="Released"/>: a full block after the end of <see cref="Next"/>.</summary>
    internal const int ReleasedOffset = NextOffset + sizeof(long) + CacheLine.Size;

    /// <summary>
    /// The number of task numbers claimed so far, with <see cref="TaskRegistry.ClosedBit"/> set once the
    /// registry is closed. Changed only by CAS (claimers and Close); read with acquire.
    /// </summary>
    [FieldOffset(NextOffset)]
    internal long Next;

    /// <summary>
    /// Every task below this number has been released by the consumer. Written by the consumer only
    /// (release), read by claimers (acquire).
    /// </summary>
    [FieldOffset(ReleasedOffset)]
    internal long Released;
}
