namespace Primitives.Iterators;

/// <summary>
/// How a worker turns an item into a result. Implemented by structs so that the worker loop, which is generic
/// over the selector type, is specialized by the JIT and the call to the user's delegate is direct.
/// </summary>
internal interface IItemSelector<T, TResult>
{
    /// <summary>Prepares this copy for one worker (runs the user's per-worker initializer, if any). Worker thread.</summary>
    void InitializeForWorker();

    /// <summary>Runs the user's selector on one item. Worker thread.</summary>
    TResult Select(T item);
}

/// <summary>A selector without per-worker state.</summary>
internal struct PlainSelector<T, TResult>(Func<T, TResult> selector) : IItemSelector<T, TResult>
{
    private readonly Func<T, TResult> _selector = selector;

    public readonly void InitializeForWorker()
    {
    }

    public readonly TResult Select(T item) => _selector(item);
}

/// <summary>A selector with per-worker state created by a user initializer, like <c>Parallel.For</c>'s local init.</summary>
internal struct LocalStateSelector<T, TLocal, TResult>(Func<TLocal> localInit, Func<T, TLocal, TResult> selector) : IItemSelector<T, TResult>
{
    private readonly Func<TLocal> _localInit = localInit;
    private readonly Func<T, TLocal, TResult> _selector = selector;
    private TLocal _local = default!; // plain: each worker owns its own copy of this struct

    public void InitializeForWorker() => _local = _localInit();

    public readonly TResult Select(T item) => _selector(item, _local);
}

/// <summary>
/// How an async worker turns an item into a result: the asynchronous <see cref="IItemSelector{T, TResult}"/>. Each
/// worker loop owns one copy (an element of the run's array of per-worker selectors).
/// </summary>
internal interface IAsyncItemSelector<T, TResult>
{
    /// <summary>Prepares this copy for one worker (runs the user's per-worker initializer, if any). Worker, before its first item.</summary>
    void InitializeForWorker();

    /// <summary>Runs the user's selector on one item. Worker.</summary>
    ValueTask<TResult> SelectAsync(T item, CancellationToken cancellationToken);
}

/// <summary>An asynchronous selector without per-worker state.</summary>
internal struct PlainAsyncSelector<T, TResult>(Func<T, CancellationToken, ValueTask<TResult>> selector) : IAsyncItemSelector<T, TResult>
{
    private readonly Func<T, CancellationToken, ValueTask<TResult>> _selector = selector;

    public readonly void InitializeForWorker()
    {
    }

    public readonly ValueTask<TResult> SelectAsync(T item, CancellationToken cancellationToken) => _selector(item, cancellationToken);
}

/// <summary>An asynchronous selector with per-worker state created by a user initializer.</summary>
internal struct LocalStateAsyncSelector<T, TLocal, TResult>(Func<TLocal> localInit, Func<T, TLocal, CancellationToken, ValueTask<TResult>> selector) : IAsyncItemSelector<T, TResult>
{
    private readonly Func<TLocal> _localInit = localInit;
    private readonly Func<T, TLocal, CancellationToken, ValueTask<TResult>> _selector = selector;
    private TLocal _local = default!; // plain: each worker loop owns its own copy of this struct

    public void InitializeForWorker() => _local = _localInit();

    public readonly ValueTask<TResult> SelectAsync(T item, CancellationToken cancellationToken) => _selector(item, _local, cancellationToken);
}
