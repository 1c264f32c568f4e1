using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Primitives.Internal;

/// <summary>
/// Throw helpers kept out of line so that the hot paths that call them stay small and inlinable.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn, StackTraceHidden]
    internal static void ThrowInvalidOperationException(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn, StackTraceHidden]
    internal static void ThrowArgumentException(string message, string paramName) => throw new ArgumentException(message, paramName);

    [DoesNotReturn, StackTraceHidden]
    internal static void ThrowArgumentOutOfRangeException(string paramName, object? actualValue, string message) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, message);

    [DoesNotReturn, StackTraceHidden]
    internal static T ThrowInvalidOperationException<T>(string message) => throw new InvalidOperationException(message);
}
