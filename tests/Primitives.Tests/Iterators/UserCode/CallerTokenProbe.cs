using System.Reflection;

namespace Primitives.Tests.Iterators.UserCode;

/// <summary>
/// Whether a run left a registration on the caller's token.
/// </summary>
/// <remarks>
/// <para>Why this way. The library links the caller's token into a <see cref="CancellationTokenSource"/> of its own;
/// that linked source sits in the caller's registration list until it is disposed. Public API offers no count of a
/// source's registrations, and the behavioural alternatives reach only part of the sweep: cancelling the caller's
/// token after the run shows a leak only if something registered on the linked token is still waiting (only async
/// selectors see that token, and a stopped run has already cancelled it), and "memory stays flat over 2,000 runs"
/// is slow and noisy while other tests allocate in parallel.</para>
/// <para>So two checks, both exact and timing-free. (1) <see cref="Registrations"/> counts the callback nodes in the
/// caller's source by reflection; the runtime is pinned by global.json, and if its internals change the probe
/// throws (and <c>UserCodeRegressionTests.Caller_token_probe_sees_registrations</c> fails) instead of silently
/// reporting zero. (2) For async runs, public API only: <see cref="IsDisposed"/> on the token the library handed to
/// user code; a disposed linked source has unregistered from the caller's token.</para>
/// </remarks>
internal static class CallerTokenProbe
{
    private static readonly FieldInfo? s_registrations = typeof(CancellationTokenSource).GetField("_registrations", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>The number of callbacks registered on <paramref name="source"/> and not yet unregistered or run.</summary>
    internal static int Registrations(CancellationTokenSource source)
    {
        if (s_registrations is null)
        {
            throw new InvalidOperationException("CancellationTokenSource._registrations not found: update CallerTokenProbe for this runtime");
        }

        object? registrations = s_registrations.GetValue(source);
        if (registrations is null)
        {
            return 0;
        }

        FieldInfo callbacks = registrations.GetType().GetField("Callbacks", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("Registrations.Callbacks not found: update CallerTokenProbe for this runtime");
        object? node = callbacks.GetValue(registrations);
        int count = 0;
        while (node is not null)
        {
            count++;
            FieldInfo next = node.GetType().GetField("Next", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                ?? throw new InvalidOperationException("CallbackNode.Next not found: update CallerTokenProbe for this runtime");
            node = next.GetValue(node);
        }

        return count;
    }

    /// <summary>Whether the source behind <paramref name="token"/> was disposed (public API: WaitHandle throws then).</summary>
    internal static bool IsDisposed(CancellationToken token)
    {
        try
        {
            _ = token.WaitHandle;
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}
