using Primitives.Internal;

namespace Primitives.CoyoteTests.Internal;

/// <summary>
/// What the systematic tests need of a wait gate, so that one test body runs against the library's
/// <see cref="WaitGate"/> (through <see cref="LibraryWaitGate"/>) and against its seeded-bug twin.
/// </summary>
internal interface IWaitGate
{
    void NotifyIfWaiting();

    void NotifyAll();

    void Wait<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken);

    ValueTask WaitAsync<TState>(Func<TState, bool> isReady, TState state, CancellationToken cancellationToken);
}
