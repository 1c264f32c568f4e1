using Primitives.Iterators;

namespace Primitives.CoyoteTests.Iterators;

/// <summary>
/// What the systematic tests need of the ordered parallel iterator, so that one test body runs against the
/// library's <c>ParallelSelect</c> (through <see cref="LibraryParallelSelect"/>) and against its seeded-bug twin.
/// </summary>
internal interface IParallelSelect
{
    IEnumerable<TResult> Select<T, TResult>(IEnumerable<T> source, Func<T, TResult> selector, ParallelSelectOptions options);
}
