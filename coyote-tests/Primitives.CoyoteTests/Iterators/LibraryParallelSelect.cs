using Primitives.Iterators;

namespace Primitives.CoyoteTests.Iterators;

/// <summary>The library's <see cref="ParallelSelectExtensions.ParallelSelect{T, TResult}(IEnumerable{T}, Func{T, TResult}, ParallelSelectOptions?)"/> behind <see cref="IParallelSelect"/>.</summary>
internal sealed class LibraryParallelSelect : IParallelSelect
{
    public static LibraryParallelSelect Instance { get; } = new();

    public IEnumerable<TResult> Select<T, TResult>(IEnumerable<T> source, Func<T, TResult> selector, ParallelSelectOptions options) =>
        source.ParallelSelect(selector, options);
}
