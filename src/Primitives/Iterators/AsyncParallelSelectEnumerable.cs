namespace Primitives.Iterators;

/// <summary>
/// The lazy sequence returned by <c>ParallelSelectAsync</c>: each enumeration is an independent run, and nothing
/// runs before the first <see cref="IAsyncEnumerator{T}.MoveNextAsync"/>.
/// </summary>
internal sealed class AsyncParallelSelectEnumerable<T, TResult>(object source, Func<T, CancellationToken, ValueTask<TResult>> selector, ParallelSelectOptions options) : IAsyncEnumerable<TResult>
{
    public IAsyncEnumerator<TResult> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new AsyncParallelSelectEnumerator<T, TResult>(source, selector, options, cancellationToken);
}
