using System.Collections;
using Microsoft.Coyote.Specifications;

namespace Primitives.CoyoteTests.Iterators;

/// <summary>
/// A non-indexed sequence 0, 1, ..., count - 1 (so the iterator reads it through its enumerator, under its lock)
/// that counts its enumerator's disposals and fails the iteration if the enumerator is used after one. Its Dispose
/// throws <paramref name="disposeError"/>, if given, after counting.
/// </summary>
internal sealed class TrackedSequence(int count, Exception? disposeError = null) : IEnumerable<int>
{
    private int _disposals;

    /// <summary>How many times an enumerator of this sequence was disposed.</summary>
    public int Disposals => Volatile.Read(ref _disposals); // pairs with the Interlocked.Increment in Dispose

    public IEnumerator<int> GetEnumerator() => new Enumerator(this, count, disposeError);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private sealed class Enumerator(TrackedSequence owner, int count, Exception? disposeError) : IEnumerator<int>
    {
        // Plain: the iterator calls the enumerator from one thread at a time (under its lock), which orders the calls.
        private int _current = -1;

        public int Current => _current;

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            Specification.Assert(owner.Disposals == 0, "the source enumerator was used after it was disposed");
            if (_current + 1 >= count)
            {
                return false;
            }

            _current++;
            return true;
        }

        public void Dispose()
        {
            Interlocked.Increment(ref owner._disposals); // pairs with the Volatile.Read in Disposals
            if (disposeError is not null)
            {
                throw disposeError;
            }
        }

        public void Reset() => throw new NotSupportedException();
    }
}
