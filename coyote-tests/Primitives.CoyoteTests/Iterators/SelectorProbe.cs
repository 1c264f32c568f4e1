using Microsoft.Coyote.Specifications;

namespace Primitives.CoyoteTests.Iterators;

/// <summary>
/// The selector the iterator tests run (item -> item + <see cref="Offset"/>), instrumented: it counts selector
/// calls in progress and results not yet taken by the consumer (checked against a bound), throws on chosen items,
/// and fails the iteration if a call starts after the consumer's Dispose returned.
/// </summary>
internal sealed class SelectorProbe
{
    /// <summary>Added to each item, so that a default or stale slot (0) never passes for a result.</summary>
    public const int Offset = 100;

    private readonly int _bound;
    private readonly Dictionary<int, Exception> _failures = [];

    /// <summary>Selector calls in progress.</summary>
    private int _active;

    /// <summary>Results computed (counted when the call starts) and not yet taken by the consumer.</summary>
    private int _outstanding;

    /// <summary>1 once the consumer's Dispose has returned.</summary>
    private int _disposed;

    /// <param name="bound">The most results that may be outstanding at once.</param>
    /// <param name="failingItems">Items on which the selector throws (each its own exception).</param>
    public SelectorProbe(int bound = int.MaxValue, params int[] failingItems)
    {
        _bound = bound;
        foreach (int item in failingItems)
        {
            _failures[item] = new InvalidOperationException($"selector failed on item {item}");
        }
    }

    /// <summary>Selector calls in progress.</summary>
    public int Active => Volatile.Read(ref _active); // pairs with the Interlocked updates in Select

    /// <summary>The exception the selector throws on <paramref name="item"/>.</summary>
    public Exception FailureOf(int item) => _failures[item];

    /// <summary>The selector. Worker threads.</summary>
    public int Select(int item)
    {
        Interlocked.Increment(ref _active); // pairs with the consumer's Volatile.Read in Active
        try
        {
            Specification.Assert(Volatile.Read(ref _disposed) == 0, $"a selector call (item {item}) started after Dispose returned"); // pairs with MarkDisposed
            int outstanding = Interlocked.Increment(ref _outstanding); // pairs with Taken's decrement
            Specification.Assert(outstanding <= _bound, $"buffer bound exceeded: {outstanding} results outstanding, bound {_bound}");
            if (_failures.TryGetValue(item, out Exception? failure)) // the dictionary is read-only once workers run
            {
                throw failure;
            }

            return item + Offset;
        }
        finally
        {
            Interlocked.Decrement(ref _active); // pairs with the consumer's Volatile.Read in Active
        }
    }

    /// <summary>The consumer took a result (or the selector threw and produced none). Consumer thread.</summary>
    public void Taken() => Interlocked.Decrement(ref _outstanding); // pairs with the increment in Select

    /// <summary>The consumer's Dispose has returned. Consumer thread.</summary>
    public void MarkDisposed() => Volatile.Write(ref _disposed, 1); // pairs with the check in Select
}
