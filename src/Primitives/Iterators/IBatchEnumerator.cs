namespace Primitives.Iterators;

/// <summary>
/// An enumerator that hands over several items per call: the synchronous <c>ParallelSelect</c> enumerator, so that a
/// <c>ParallelSelect</c> whose source is another one (a chain) copies the first stage's results a batch at a time
/// instead of one interface call pair per item. Design: docs/parallel-select.md, "Chains".
/// </summary>
internal interface IBatchEnumerator<T>
{
    /// <summary>
    /// Moves past up to <paramref name="destination"/>'s length items, copying them into it: the same items, in the same
    /// order, with the same exceptions, as that many <see cref="System.Collections.IEnumerator.MoveNext"/> and
    /// <see cref="IEnumerator{T}.Current"/> calls would give. Returns how many (at least one); 0 only at the end of the
    /// sequence (or for an empty <paramref name="destination"/>). An exception means no item was copied by this call.
    /// The enumerator's consumer (one thread at a time).
    /// </summary>
    int ReadBatch(Span<T> destination);
}
