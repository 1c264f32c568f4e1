namespace Primitives.Iterators;

/// <summary>
/// The lazy sequence returned by <c>ParallelSelect</c>: each enumeration is an independent run of the pipeline,
/// and nothing runs before the first <see cref="System.Collections.IEnumerator.MoveNext"/>.
/// </summary>
internal sealed class ParallelSelectEnumerable<T, TResult, TSelector>(IEnumerable<T> source, TSelector selector, ParallelSelectOptions options) : IEnumerable<TResult>
    where TSelector : struct, IItemSelector<T, TResult>
{
    public IEnumerator<TResult> GetEnumerator() => new ParallelSelectEnumerator<T, TResult, TSelector>(source, selector, options);

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
