using System.Collections;

namespace Primitives.Tests.Iterators.UserCode;

// The sources FaultySource hands out: each member is user code that can fail at the fixture's point.
internal sealed partial class FaultySource
{
    private sealed class FaultySequence(FaultySource owner) : IEnumerable<int>
    {
        public IEnumerator<int> GetEnumerator()
        {
            owner.OnGetEnumerator(Point.SequenceGetEnumerator);
            return new Enumerator(owner);
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private sealed class Enumerator(FaultySource owner) : IEnumerator<int>
        {
            private int _position = -1;

            public int Current
            {
                get
                {
                    owner.EnterReader("Current");
                    try
                    {
                        if (owner._point == Point.SequenceCurrent && _position == owner._at)
                        {
                            owner.Fire();
                        }

                        return _position;
                    }
                    finally
                    {
                        owner.ExitReader();
                    }
                }
            }

            object IEnumerator.Current => Current;

            public bool MoveNext()
            {
                owner.EnterReader("MoveNext");
                owner.CountReadAfterRelease();
                try
                {
                    if (_position + 1 >= owner.Count)
                    {
                        return false;
                    }

                    if (owner._point == Point.SequenceMoveNext && _position + 1 == owner._at)
                    {
                        owner.Fire();
                    }

                    _position++;
                    return true;
                }
                finally
                {
                    owner.ExitReader();
                }
            }

            public void Reset() => throw new NotSupportedException();

            public void Dispose() => owner.OnDispose(Point.SequenceDispose);
        }
    }

    private sealed class FaultyAsyncSequence(FaultySource owner) : IAsyncEnumerable<int>
    {
        public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            owner.CaptureWorkerToken(cancellationToken);
            owner.OnGetEnumerator(Point.AsyncGetEnumerator);
            return new Enumerator(owner);
        }

        private sealed class Enumerator(FaultySource owner) : IAsyncEnumerator<int>
        {
            private int _position = -1;

            public int Current
            {
                get
                {
                    owner.EnterReader("Current");
                    try
                    {
                        if (owner._point == Point.AsyncCurrent && _position == owner._at)
                        {
                            owner.Fire();
                        }

                        return _position;
                    }
                    finally
                    {
                        owner.ExitReader();
                    }
                }
            }

            public async ValueTask<bool> MoveNextAsync()
            {
                owner.EnterReader("MoveNextAsync");
                owner.CountReadAfterRelease();
                try
                {
                    if (_position + 1 >= owner.Count)
                    {
                        return false;
                    }

                    if (_position % 64 == 63)
                    {
                        await Task.Yield();
                    }

                    if (owner._point == Point.AsyncMoveNext && _position + 1 == owner._at)
                    {
                        await owner.FireAsync();
                    }

                    _position++;
                    return true;
                }
                finally
                {
                    owner.ExitReader();
                }
            }

            public ValueTask DisposeAsync()
            {
                owner.OnDispose(Point.AsyncDispose);
                return default;
            }
        }
    }

    private sealed class FaultyList(FaultySource owner) : IndexOnlyListBase
    {
        public override int Count => owner.GetCount(Point.ListCount);

        protected override int GetItem(int index) => owner.GetItem(Point.ListIndexer, index);
    }

    private sealed class FaultyReadOnlyList(FaultySource owner) : IReadOnlyList<int>
    {
        public int Count => owner.GetCount(Point.ReadOnlyListCount);

        public int this[int index] => owner.GetItem(Point.ReadOnlyListIndexer, index);

        public IEnumerator<int> GetEnumerator() => throw new InvalidOperationException("lists must be read by index");

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
