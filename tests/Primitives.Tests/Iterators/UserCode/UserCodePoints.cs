namespace Primitives.Tests.Iterators.UserCode;

/// <summary>A place where <c>ParallelSelect</c>/<c>ParallelSelectAsync</c> runs user code.</summary>
public enum Point
{
    /// <summary>IEnumerable source: GetEnumerator.</summary>
    SequenceGetEnumerator,

    /// <summary>IEnumerable source: MoveNext, on the move to item <c>at</c>.</summary>
    SequenceMoveNext,

    /// <summary>IEnumerable source: Current of item <c>at</c>.</summary>
    SequenceCurrent,

    /// <summary>IEnumerable source: Dispose of its enumerator.</summary>
    SequenceDispose,

    /// <summary>IList source (not an array): Count, from call <c>at</c> on.</summary>
    ListCount,

    /// <summary>IList source (not an array): indexer at index <c>at</c>.</summary>
    ListIndexer,

    /// <summary>IReadOnlyList source (not an IList): Count, from call <c>at</c> on.</summary>
    ReadOnlyListCount,

    /// <summary>IReadOnlyList source (not an IList): indexer at index <c>at</c>.</summary>
    ReadOnlyListIndexer,

    /// <summary>The selector on item <c>at</c>, over an IEnumerable source.</summary>
    Selector,

    /// <summary>The selector on item <c>at</c>, over an array.</summary>
    SelectorOverArray,

    /// <summary>The per-worker-state overload's localInit, call <c>at</c>, over an array.</summary>
    LocalInit,

    /// <summary>IAsyncEnumerable source: GetAsyncEnumerator.</summary>
    AsyncGetEnumerator,

    /// <summary>IAsyncEnumerable source: MoveNextAsync, on the move to item <c>at</c>.</summary>
    AsyncMoveNext,

    /// <summary>IAsyncEnumerable source: Current of item <c>at</c>.</summary>
    AsyncCurrent,

    /// <summary>IAsyncEnumerable source: DisposeAsync.</summary>
    AsyncDispose,

    /// <summary>
    /// The async selector on item <c>at</c> registers a throwing callback on the token it receives, then fails:
    /// the callback throws while the run cancels that token (async only).
    /// </summary>
    SelectorTokenCallback,

    /// <summary>
    /// Callbacks the user registered on the caller's options token throw when the selector on item <c>at</c>
    /// cancels that token (the selector swallows the AggregateException from its own Cancel).
    /// </summary>
    CallerTokenCallback,
}

/// <summary>What the fault does.</summary>
public enum FaultAction
{
    /// <summary>Throw <see cref="FaultySource.Failure"/>.</summary>
    Throw,

    /// <summary>
    /// Block until the caller's token is cancelled (the test cancels it once it sees the block). A selector then
    /// throws an OperationCanceledException for the caller's token; a source just goes on, as an enumerator that
    /// knows no token does.
    /// </summary>
    Block,

    /// <summary>Cancel the caller's token (from the selector), then go on.</summary>
    CancelCaller,
}

/// <summary>The kind of source a point needs.</summary>
public enum SourceKind
{
    Sequence,
    List,
    ReadOnlyList,
    Array,
    AsyncSequence,
}

/// <summary>Thrown by a <see cref="FaultySource"/> at its fault point; a fresh object per run.</summary>
public sealed class UserCodeFailedException(string message) : Exception(message);
