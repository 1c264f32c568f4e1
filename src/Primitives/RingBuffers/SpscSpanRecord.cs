using System.Runtime.CompilerServices;
using Primitives.Internal;

namespace Primitives.RingBuffers;

/// <summary>
/// The checks that an Advance makes, in every build, against the span its side recorded
/// ([WriteStart, WriteEnd) or [ReadStart, ReadEnd), private to that side; Start = -1: none outstanding), shared by
/// <see cref="SpscRingBuffer{T}"/> and <see cref="SpscQueue{T}"/>: misuse throws instead of publishing slots that
/// were never free (or never written).
/// </summary>
internal static class SpscSpanRecord
{
    /// <summary>The message when no write span is outstanding.</summary>
    internal const string NoWriteSpanMessage =
        "No write span is outstanding: call GetWriteSpan or GetWriteMemory first. A span is good for one AdvanceWrite, and any other write discards it.";

    /// <summary>The message when no read span is outstanding.</summary>
    internal const string NoReadSpanMessage =
        "No read span is outstanding: call GetReadSpan or GetReadMemory first. A span is good for one AdvanceRead, and any other read discards it.";

    /// <summary>Throws unless the span [<paramref name="start"/>, <paramref name="end"/>) starts at
    /// <paramref name="position"/> (the side's own index) and <paramref name="count"/> is 0 to its length.</summary>
    /// <exception cref="InvalidOperationException">No span is outstanding at <paramref name="position"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or exceeds the span's length.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CheckAdvance(long start, long end, long position, int count, string noSpanMessage)
    {
        if (start != position)
        {
            ThrowHelper.ThrowInvalidOperationException(noSpanMessage);
        }

        if ((ulong)(uint)count > (ulong)(end - position)) // a negative count is a huge unsigned one
        {
            ThrowHelper.ThrowArgumentOutOfRangeException(nameof(count), count, $"Must be between 0 and the span's length {end - position}.");
        }
    }
}
