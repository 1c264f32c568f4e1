using System.Collections;

namespace Primitives.Tests.Iterators;

/// <summary>A sequence that counts enumerator creations and disposals and can fail or block at chosen positions.</summary>
internal sealed class ProbeSequence(long count, long throwAt = -1) : IEnumerable<int>
{
    private int _enumerators;
    private int _disposals;
    private long _moveNexts;

    public int Enumerators => Volatile.Read(ref _enumerators);

    public int Disposals => Volatile.Read(ref _disposals);

    public long MoveNexts => Interlocked.Read(ref _moveNexts);

    public IEnumerator<int> GetEnumerator()
    {
        Interlocked.Increment(ref _enumerators);
        return new Enumerator(this);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private sealed class Enumerator(ProbeSequence owner) : IEnumerator<int>
    {
        private long _next = -1;

        public int Current => checked((int)_next);

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            Interlocked.Increment(ref owner._moveNexts);
            if (_next + 1 == owner._throwAt)
            {
                throw new SourceFailedException(owner._throwAt);
            }

            if (_next + 1 >= owner._count)
            {
                return false;
            }

            _next++;
            return true;
        }

        public void Reset() => throw new NotSupportedException();

        public void Dispose() => Interlocked.Increment(ref owner._disposals);
    }

    private readonly long _count = count;
    private readonly long _throwAt = throwAt;
}

internal sealed class SourceFailedException(long position) : Exception($"source failed at {position}")
{
    public long Position { get; } = position;
}

internal sealed class SelectorFailedException(int item) : Exception($"selector failed on {item}")
{
    public int Item { get; } = item;
}

/// <summary>
/// A read-only IList whose enumerator must never be used (it throws): proves lists are claimed by index. Derived
/// lists give the count and the items.
/// </summary>
internal abstract class IndexOnlyListBase : IList<int>
{
    public abstract int Count { get; }

    public bool IsReadOnly => true;

    public int this[int index]
    {
        get => GetItem(index);
        set => throw new NotSupportedException();
    }

    public IEnumerator<int> GetEnumerator() => throw new InvalidOperationException("lists must be read by index");

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Add(int item) => throw new NotSupportedException();

    public void Clear() => throw new NotSupportedException();

    public bool Contains(int item) => throw new NotSupportedException();

    public void CopyTo(int[] array, int arrayIndex) => throw new NotSupportedException();

    public int IndexOf(int item) => throw new NotSupportedException();

    public void Insert(int index, int item) => throw new NotSupportedException();

    public bool Remove(int item) => throw new NotSupportedException();

    public void RemoveAt(int index) => throw new NotSupportedException();

    protected abstract int GetItem(int index);
}

/// <summary>The items 0 to count - 1, by index only.</summary>
internal sealed class IndexOnlyList(int count) : IndexOnlyListBase
{
    public override int Count => count;

    protected override int GetItem(int index) =>
        (uint)index < (uint)count ? index : throw new ArgumentOutOfRangeException(nameof(index));
}

/// <summary>0..count-1, whose enumerator's Dispose throws <see cref="Failure"/>.</summary>
internal sealed class DisposeFailingSequence(int count) : IEnumerable<int>
{
    private int _disposals;

    public Exception Failure { get; } = new InvalidOperationException("dispose");

    public int Count { get; } = count;

    public int Disposals => Volatile.Read(ref _disposals);

    public IEnumerator<int> GetEnumerator() => new Enumerator(this);

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private sealed class Enumerator(DisposeFailingSequence owner) : IEnumerator<int>
    {
        public int Current { get; private set; } = -1;

        object System.Collections.IEnumerator.Current => Current;

        public bool MoveNext() => ++Current < owner.Count;

        public void Reset() => throw new NotSupportedException();

        public void Dispose()
        {
            Interlocked.Increment(ref owner._disposals);
            throw owner.Failure;
        }
    }
}
