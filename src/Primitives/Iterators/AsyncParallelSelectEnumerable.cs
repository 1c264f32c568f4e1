namespace Primitives.Iterators;

/// <summary>
/// The lazy sequence returned by <c>ParallelSelectAsync</c>: each enumeration is an independent run, and nothing
/// runs before the first <see cref="IAsyncEnumerator{T}.MoveNextAsync"/>.
/// </summary>
internal sealed class AsyncParallelSelectEnumerable<T, TResult, TSelector>(object source, TSelector selector, ParallelSelectOptions options) : IAsyncEnumerable<TResult>
    where TSelector : struct, IAsyncItemSelector<T, TResult>
{
    public IAsyncEnumerator<TResult> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new AsyncParallelSelectEnumerator<T, TResult, TSelector>(source, selector, options, cancellationToken);
}
