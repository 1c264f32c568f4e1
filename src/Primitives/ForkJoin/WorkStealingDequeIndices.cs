using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.ForkJoin;

/// <summary>
/// The indices of a <see cref="WorkStealingDeque"/>, each on its own cache line: thieves CAS <see cref="Top"/> while the
/// owner writes <see cref="Bottom"/> on every push and pop, so sharing a line would make each push miss.
/// </summary>
/// <remarks>
/// Layout (bytes): <c>[0, 128)</c> padding; <c>[128, 136)</c> <see cref="Top"/>; <c>[256, 272)</c> <see cref="Bottom"/>
/// and <see cref="CachedTop"/>, <c>[272, 280)</c> <see cref="Pushes"/> (all the owner's); up to 512 padding. A unit test checks the offsets.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 4 * CacheLine.Size)]
internal struct WorkStealingDequeIndices
{
    /// <summary>The oldest item's index: moved only by CAS (thieves, and the owner racing them for the last item).</summary>
    [FieldOffset(CacheLine.Size)]
    internal long Top;

    /// <summary>One past the newest item's index: written by the owner only.</summary>
    [FieldOffset(2 * CacheLine.Size)]
    internal long Bottom;

    /// <summary>The owner's last read of <see cref="Top"/>: a push re-reads Top only when this makes the deque look full.</summary>
    [FieldOffset((2 * CacheLine.Size) + sizeof(long))]
    internal long CachedTop;

    /// <summary>Pushes so far: written by the owner only; a stealer's hint that a lone item is a new one (see <c>Worker</c>).</summary>
    [FieldOffset((2 * CacheLine.Size) + (2 * sizeof(long)))]
    internal long Pushes;
}
