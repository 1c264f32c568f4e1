#if PRIMITIVES_FAULTS
using System.Runtime.CompilerServices;

namespace Primitives.Internal;

/// <summary>
/// The switch of the seeded-fault build: which one <see cref="FaultId"/> is active. This file, and every fault
/// point, exist only when the sources are compiled with <c>PRIMITIVES_FAULTS</c> (the
/// <c>coyote-tests/Primitives.Faults</c> project); the shipped assembly contains neither. See docs/coyote.md,
/// "Seeded faults".
/// </summary>
/// <remarks>
/// <para>A fault point in a source file reads</para>
/// <code>
/// #if PRIMITIVES_FAULTS
///         if (Fault.Is(FaultId.RingPublishBeforeStore)) { ...the broken variant...; return; }
/// #endif
/// </code>
/// <para>The active fault lives in an array element on purpose: Coyote never turns an array access into a
/// scheduling point, so an inactive fault point adds no step to the exploration of the real code.</para>
/// <para><b>Thread safety.</b> Set only between explorations (the Coyote suite runs one test at a time), read by
/// any thread.</para>
/// </remarks>
internal static class Fault
{
    private static readonly int[] s_active = new int[1];

    /// <summary>The active fault; <see cref="FaultId.None"/> for the code as shipped.</summary>
    internal static FaultId Active
    {
        get => (FaultId)s_active[0];
        set => s_active[0] = (int)value;
    }

    /// <summary>Whether <paramref name="fault"/> is the active fault.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Is(FaultId fault) => s_active[0] == (int)fault;
}
#endif
