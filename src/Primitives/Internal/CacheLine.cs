namespace Primitives.Internal;

/// <summary>The padding unit of every padded type in the library.</summary>
internal static class CacheLine
{
    /// <summary>
    /// A pair of 64-byte lines: the unit the adjacent-line prefetcher pulls on x64, and the line size of
    /// some Arm64 cores. Two byte ranges never share such a block only if at least this many bytes lie
    /// between them, because objects are only 8-byte aligned.
    /// </summary>
    internal const int Size = 128;
}
