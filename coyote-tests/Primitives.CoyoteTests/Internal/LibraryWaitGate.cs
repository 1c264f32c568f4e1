using Primitives.Internal;

namespace Primitives.CoyoteTests.Internal;

/// <summary>The library's <see cref="WaitGate"/> behind <see cref="IWaitGate"/>.</summary>
internal sealed class LibraryWaitGate : IWaitGate
{
    private readonly WaitGate _gate = new();

    public void NotifyIfWaiting() => _gate.NotifyIfWaiting();

    public void NotifyAll() => _gate.NotifyAll();

    public void Wait<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken)
        => _gate.Wait(isReady, state, cancellationToken);

    public ValueTask WaitAsync<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken)
        => _gate.WaitAsync(isReady, state, cancellationToken);
}
