using System.Collections;
using Primitives.Iterators;

namespace Primitives.CoyoteTests.Iterators.Twins;

/// <summary>The seeded-bug twin behind <see cref="IParallelSelect"/>: every enumeration is a new <see cref="FaultyParallelSelectEnumerator{T, TResult}"/>.</summary>
internal sealed class FaultyParallelSelect(IteratorFault fault) : IParallelSelect
{
    public IEnumerable<TResult> Select<T, TResult>(IEnumerable<T> source, Func<T, TResult> selector, ParallelSelectOptions options) =>
        new Enumerable<T, TResult>(source, selector, options, fault);

    private sealed class Enumerable<T, TResult>(IEnumerable<T> source, Func<T, TResult> selector, ParallelSelectOptions options, IteratorFault fault) : IEnumerable<TResult>
    {
        public IEnumerator<TResult> GetEnumerator() => new FaultyParallelSelectEnumerator<T, TResult>(source, selector, options, fault);

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
