using System.Runtime.InteropServices;
using Primitives.Internal;

namespace Primitives.ForkJoin;

/// <summary>
/// The hot counters of <see cref="ForkJoinScope"/>, 128 bytes from anything outside this struct, so that
/// the Interlocked traffic of every spawn and completion does not evict the scope's read-only fields
/// (queue, token, context) that the same threads read on every operation.
/// </summary>
/// <remarks>
/// Layout (bytes): <c>[0, 128)</c> padding; <c>[128, 136)</c> <see cref="Pending"/> and
/// <see cref="Runners"/>; <c>[136, 264)</c> padding. The two counters share their line on purpose: a
/// spawn touches both. A unit test checks the offsets.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 3 * CacheLine.Size)]
internal struct ForkJoinScopeCounters
{
    /// <summary>
    /// Unfinished work: 1 for the scope's own hold (dropped by Join/JoinAsync) plus every spawned task not
    /// yet finished (queued or running). Changed only with Interlocked; 0 means finished, for good.
    /// </summary>
    [FieldOffset(CacheLine.Size)]
    internal int Pending;

    /// <summary>Runner work items launched and not yet exited. Changed only with Interlocked.</summary>
    [FieldOffset(CacheLine.Size + sizeof(int))]
    internal int Runners;
}
