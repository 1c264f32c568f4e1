using System.Runtime.CompilerServices;

namespace Primitives.RingBuffers;

/// <summary>Slot handling shared by <see cref="SpscRingBuffer{T}"/> and <see cref="SpscQueue{T}"/>.</summary>
internal static class SpscSlots
{
    /// <summary>Consumer: clears consumed <paramref name="slots"/> when <typeparamref name="T"/> holds references,
    /// so that the buffer never keeps a consumed object alive; a no-op the JIT removes otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ClearIfReferences<T>(Span<T> slots)
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            slots.Clear(); // let the items be collected; ordered before the caller's release of Head
        }
    }
}
