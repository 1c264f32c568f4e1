using System.Collections.Concurrent;

namespace Primitives.Tests.Iterators.UserCode;

/// <summary>
/// One fixture for every place user code runs in a parallel select: it hands out the sources (sequence, list,
/// read-only list, array, async sequence), the selectors and a localInit, makes the chosen <see cref="Point"/> fail
/// at the chosen call, and counts what ran: calls in progress, enumerators, disposals, reads after a stop, and
/// contract violations (concurrent reads, reads after dispose, user code running after the enumeration ended).
/// </summary>
/// <remarks>
/// Per-item points fail on an item position (item <c>at</c>), not on a call count, so that the expected output is
/// exact whatever order the workers call in. Results are <c>2 x item + 1</c>, so every result names its item.
/// </remarks>
internal sealed partial class FaultySource
{
    /// <summary>Most reads a general-sequence source may see after the run stopped: one batch.</summary>
    internal const int ReadsAfterStopAllowed = 64;

    private readonly Point _point;
    private readonly FaultAction _action;
    private readonly long _at;
    private readonly CancellationTokenSource _caller;
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ManualResetEventSlim _released = new();
    private readonly TaskCompletionSource _releasedTask = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _blocked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _tokenLock = new();
    private readonly int[] _selections;
    private CancellationToken _workerToken;
    private int _active;
    private long _calls;
    private int _enumerators;
    private int _disposals;
    private int _countCalls;
    private int _localInits;
    private int _fired;
    private int _ended;
    private int _readerInside;
    private long _readsAfterRelease;

    internal FaultySource(Point point, FaultAction action, int count, long at, CancellationTokenSource caller)
    {
        _point = point;
        _action = action;
        Count = count;
        _at = at;
        _caller = caller;
        _selections = new int[count];
        Failure = new UserCodeFailedException($"{point} failed at {at}");
        CallbackFailure = new UserCodeFailedException($"a token callback registered by {point} failed");
    }

    internal int Count { get; }

    /// <summary>The exception the fault point throws (one object per run: the tests check identity).</summary>
    internal Exception Failure { get; }

    /// <summary>The exception thrown by token callbacks the user registered.</summary>
    internal Exception CallbackFailure { get; }

    internal int Active => Volatile.Read(ref _active);

    internal long Calls => Interlocked.Read(ref _calls);

    internal int Enumerators => Volatile.Read(ref _enumerators);

    internal int Disposals => Volatile.Read(ref _disposals);

    /// <summary>Whether the fault point was reached (and acted).</summary>
    internal bool Fired => Volatile.Read(ref _fired) != 0;

    internal long ReadsAfterRelease => Interlocked.Read(ref _readsAfterRelease);

    internal IReadOnlyCollection<string> Violations => _violations;

    /// <summary>Completes when a Block fault is reached.</summary>
    internal Task Blocked => _blocked.Task;

    /// <summary>The token the library handed to user code (async selector or GetAsyncEnumerator), if any.</summary>
    internal CancellationToken? WorkerToken
    {
        get
        {
            lock (_tokenLock)
            {
                return _workerToken.CanBeCanceled ? _workerToken : null;
            }
        }
    }

    internal IEnumerable<int> Sequence => new FaultySequence(this);

    internal IList<int> List => new FaultyList(this);

    internal IReadOnlyList<int> ReadOnlyList => new FaultyReadOnlyList(this);

    internal int[] Array => Enumerable.Range(0, Count).ToArray();

    internal IAsyncEnumerable<int> AsyncSequence => new FaultyAsyncSequence(this);

    internal static int Result(int item) => (item * 2) + 1;

    /// <summary>The source kind <paramref name="point"/> needs.</summary>
    internal static SourceKind SourceOf(Point point) => point switch
    {
        Point.SequenceGetEnumerator or Point.SequenceMoveNext or Point.SequenceCurrent or Point.SequenceDispose
            or Point.Selector or Point.SelectorTokenCallback or Point.CallerTokenCallback => SourceKind.Sequence,
        Point.ListCount or Point.ListIndexer => SourceKind.List,
        Point.ReadOnlyListCount or Point.ReadOnlyListIndexer => SourceKind.ReadOnlyList,
        Point.SelectorOverArray or Point.LocalInit => SourceKind.Array,
        _ => SourceKind.AsyncSequence,
    };

    /// <summary>Whether <paramref name="point"/> fails on one item (rather than once per run or per worker).</summary>
    internal static bool IsPerItem(Point point) => point is not (Point.SequenceGetEnumerator or Point.SequenceDispose
        or Point.ListCount or Point.ReadOnlyListCount or Point.LocalInit or Point.AsyncGetEnumerator or Point.AsyncDispose);

    /// <summary>Registers, on the caller's token, the callback that releases Block faults; call before the run.</summary>
    /// <remarks>
    /// Registered before the run, it runs after the library's own registration (callbacks run newest first), so
    /// when a blocked call is released the run's linked token is already cancelled.
    /// </remarks>
    internal CancellationTokenRegistration RegisterRelease() => _caller.Token.UnsafeRegister(static s =>
    {
        var self = (FaultySource)s!;
        self._released.Set();
        self._releasedTask.TrySetResult();
    }, this);

    /// <summary>Releases every blocked call whatever happened (used when a run hangs).</summary>
    internal void ReleaseAll()
    {
        _released.Set();
        _releasedTask.TrySetResult();
    }

    /// <summary>Marks the end of the enumeration: user code entered from now on is a violation.</summary>
    internal void End() => Volatile.Write(ref _ended, 1);

    internal int Select(int item)
    {
        Enter("selector");
        try
        {
            CountSelection(item);
            if (IsSelectorPoint && item == _at)
            {
                Fire();
                if (_action == FaultAction.Block)
                {
                    _caller.Token.ThrowIfCancellationRequested(); // a selector that observes the caller's token
                }
            }

            return Result(item);
        }
        finally
        {
            Exit();
        }
    }

    internal int SelectWithLocal(int item, object local) => local is null ? throw new InvalidOperationException("no local state") : Select(item);

    internal ValueTask<int> SelectWithLocalAsync(int item, object local, CancellationToken token) =>
        local is null ? throw new InvalidOperationException("no local state") : SelectAsync(item, token);

    internal object LocalInit()
    {
        Enter("localInit");
        try
        {
            if (_point == Point.LocalInit && Interlocked.Increment(ref _localInits) == _at)
            {
                Fire();
            }

            return new object();
        }
        finally
        {
            Exit();
        }
    }

    internal async ValueTask<int> SelectAsync(int item, CancellationToken token)
    {
        CaptureWorkerToken(token);
        Enter("selector");
        try
        {
            CountSelection(item);
            if (item % 16 == 0)
            {
                await Task.Yield();
            }

            if (IsSelectorPoint && item == _at)
            {
                if (_point == Point.SelectorTokenCallback)
                {
                    token.Register(() => throw CallbackFailure); // stays registered: it throws when the run cancels the token
                    MarkFired();
                    throw Failure;
                }

                if (_action == FaultAction.Block)
                {
                    MarkFired();
                    _blocked.TrySetResult();
                    await WaitForReleaseAsync();
                    _caller.Token.ThrowIfCancellationRequested();
                }
                else
                {
                    Fire();
                }
            }

            return Result(item);
        }
        finally
        {
            Exit();
        }
    }

    private bool IsSelectorPoint => _point is Point.Selector or Point.SelectorOverArray or Point.SelectorTokenCallback or Point.CallerTokenCallback;

    private void CaptureWorkerToken(CancellationToken token)
    {
        if (token.CanBeCanceled)
        {
            lock (_tokenLock)
            {
                _workerToken = token;
            }
        }
    }

    private void Enter(string what)
    {
        Interlocked.Increment(ref _active); // pairs with the test's Volatile.Read in Active
        Interlocked.Increment(ref _calls);
        if (Volatile.Read(ref _ended) != 0)
        {
            _violations.Enqueue($"{what} ran after the enumeration ended");
        }
    }

    /// <summary>The source produces each item once, so the selector must see it at most once.</summary>
    private void CountSelection(int item)
    {
        if ((uint)item >= (uint)_selections.Length)
        {
            _violations.Enqueue($"the selector ran on {item}, which the source never produced");
        }
        else if (Interlocked.Increment(ref _selections[item]) == 2)
        {
            _violations.Enqueue($"the selector ran twice on item {item}, which the source produced once");
        }
    }

    private void Exit() => Interlocked.Decrement(ref _active);

    private void MarkFired() => Volatile.Write(ref _fired, 1);

    /// <summary>Acts at the fault point, synchronously. Throw: throws; Block: waits for the caller's cancellation; CancelCaller: cancels it.</summary>
    private void Fire()
    {
        MarkFired();
        switch (_action)
        {
            case FaultAction.Throw:
                throw Failure;
            case FaultAction.Block:
                _blocked.TrySetResult();
                if (!_released.Wait(TimeSpan.FromSeconds(30)))
                {
                    _violations.Enqueue("a blocked call was never released");
                }

                break;
            case FaultAction.CancelCaller:
                CancelCaller();
                break;
        }
    }

    private async Task WaitForReleaseAsync()
    {
        try
        {
            await _releasedTask.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            _violations.Enqueue("a blocked call was never released");
        }
    }

    private async ValueTask FireAsync()
    {
        if (_action == FaultAction.Block)
        {
            MarkFired();
            _blocked.TrySetResult();
            await WaitForReleaseAsync();
            return;
        }

        Fire();
    }

    private void CancelCaller()
    {
        _caller.Token.Register(() => throw CallbackFailure); // runs first (newest first), before the library's registration
        try
        {
            _caller.Cancel();
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => ReferenceEquals(x, CallbackFailure)))
        {
            // The user's own callbacks threw; the user's code handles it. Every other callback still ran.
        }
    }

    private void EnterReader(string what)
    {
        Enter(what);
        if (Interlocked.Exchange(ref _readerInside, 1) != 0)
        {
            _violations.Enqueue($"{what} ran concurrently with another read of the same enumerator");
        }

        if (Volatile.Read(ref _disposals) != 0)
        {
            _violations.Enqueue($"{what} ran after the enumerator was disposed");
        }
    }

    /// <summary>Counts a MoveNext that started after a Block fault was released (reads the run no longer needs).</summary>
    private void CountReadAfterRelease()
    {
        if (_action == FaultAction.Block && _released.IsSet)
        {
            Interlocked.Increment(ref _readsAfterRelease);
        }
    }

    private void ExitReader()
    {
        Volatile.Write(ref _readerInside, 0);
        Exit();
    }

    private int GetCount(Point point)
    {
        Enter("Count");
        try
        {
            if (_point == point && Interlocked.Increment(ref _countCalls) >= _at)
            {
                Fire();
            }

            return Count;
        }
        finally
        {
            Exit();
        }
    }

    private int GetItem(Point point, int index)
    {
        Enter("indexer");
        try
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, "the library read past the end");
            }

            if (_point == point && index == _at)
            {
                Fire();
            }

            return index;
        }
        finally
        {
            Exit();
        }
    }

    private void OnGetEnumerator(Point point)
    {
        Enter("GetEnumerator");
        try
        {
            if (Interlocked.Increment(ref _enumerators) > 1)
            {
                _violations.Enqueue("GetEnumerator was called more than once");
            }

            if (_point == point)
            {
                Fire();
            }
        }
        finally
        {
            Exit();
        }
    }

    private void OnDispose(Point point)
    {
        Enter("Dispose");
        try
        {
            if (Interlocked.Increment(ref _disposals) > 1)
            {
                _violations.Enqueue("the source enumerator was disposed more than once");
            }

            if (Volatile.Read(ref _readerInside) != 0)
            {
                _violations.Enqueue("the source enumerator was disposed during a read");
            }

            if (_point == point)
            {
                Fire();
            }
        }
        finally
        {
            Exit();
        }
    }
}
