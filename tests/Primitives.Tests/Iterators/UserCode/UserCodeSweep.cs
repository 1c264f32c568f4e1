using Primitives.Iterators;

namespace Primitives.Tests.Iterators.UserCode;

/// <summary>Where, relative to the input, the fault fires.</summary>
public enum Position
{
    /// <summary>Before the first MoveNext (the caller's token is cancelled before the enumeration starts).</summary>
    BeforeStart,

    /// <summary>Item 1: in the first chunk.</summary>
    FirstChunk,

    /// <summary>Item count / 2: in a middle chunk.</summary>
    MiddleChunk,

    /// <summary>Item count - 1: in the last chunk.</summary>
    LastChunk,

    /// <summary>The first call of a once-per-run (or per-worker) member.</summary>
    Call1,

    /// <summary>The second call, and every later one, of Count.</summary>
    Call2,
}

/// <summary>Input size and options.</summary>
public enum Shape
{
    /// <summary>10 items; 3 workers, chunks of 3, rings of 4.</summary>
    Small,

    /// <summary>5,000 items; 3 workers, chunks of 64, rings of 16.</summary>
    Large,

    /// <summary>5,000 items; default options (only the token and the mode set).</summary>
    LargeDefault,

    /// <summary>5,000 items; one thread: the enumerating thread computes every item itself (a sequence read item by item).</summary>
    Alone,
}

/// <summary>
/// Runs one case of the user-code sweep: a parallel select over a <see cref="FaultySource"/> whose
/// <see cref="Point"/> fails, bounded by a timeout, then checks every promise the library makes about failing user
/// code, and reports all broken ones together.
/// </summary>
internal static class UserCodeSweep
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);

    private enum Expect
    {
        /// <summary>Exactly the results before item <c>at</c> (ordered), then the original exception.</summary>
        PrefixThenFailure,

        /// <summary>The results of whole chunks from the start (ordered), then the original exception.</summary>
        ChunkPrefixThenFailure,

        /// <summary>No result, then the original exception.</summary>
        NothingThenFailure,

        /// <summary>Every result, then the original exception.</summary>
        EverythingThenFailure,

        /// <summary>Correct results up to item <c>at</c> at most, then an OperationCanceledException for the caller's token.</summary>
        CallerCancelled,

        /// <summary>As <see cref="CallerCancelled"/> (any prefix), or every result if the run finished before it saw the cancellation.</summary>
        CallerCancelledOrComplete,

        /// <summary>Every result and a normal end.</summary>
        Complete,
    }

    /// <summary>Every case of the sweep for one API (sync or async): point x action x position x shape x mode.</summary>
    internal static IEnumerable<object[]> Cases(bool async)
    {
        foreach (Point point in Enum.GetValues<Point>())
        {
            bool asyncOnly = point is Point.AsyncGetEnumerator or Point.AsyncMoveNext or Point.AsyncCurrent or Point.AsyncDispose or Point.SelectorTokenCallback;
            if (!async && asyncOnly)
            {
                continue; // async sources and selector tokens exist only for the async overloads
            }

            FaultAction[] actions = point switch
            {
                Point.CallerTokenCallback => [FaultAction.CancelCaller],
                Point.Selector or Point.SelectorOverArray or Point.SequenceMoveNext or Point.AsyncMoveNext or Point.ListIndexer => [FaultAction.Throw, FaultAction.Block],
                _ => [FaultAction.Throw],
            };
            Position[] positions = point == Point.CallerTokenCallback ? [Position.BeforeStart, Position.FirstChunk, Position.MiddleChunk, Position.LastChunk]
                : FaultySource.IsPerItem(point) ? [Position.FirstChunk, Position.MiddleChunk, Position.LastChunk]
                : point is Point.ListCount or Point.ReadOnlyListCount ? [Position.Call1, Position.Call2]
                : [Position.Call1];
            foreach (FaultAction action in actions)
            {
                foreach (Position position in positions)
                {
                    foreach (Shape shape in Enum.GetValues<Shape>())
                    {
                        yield return [point, action, position, shape, true];
                        yield return [point, action, position, shape, false];
                    }
                }
            }
        }
    }

    internal static void Run(Point point, FaultAction action, Position position, Shape shape, bool async, bool ordered)
    {
        int count = shape == Shape.Small ? 10 : 5000;
        long at = position switch
        {
            Position.BeforeStart => -1, // no item: the test cancels before the run
            Position.FirstChunk => 1,
            Position.MiddleChunk => count / 2,
            Position.LastChunk => count - 1,
            Position.Call1 => 1,
            _ => 2,
        };
        using var caller = new CancellationTokenSource();
        var fixture = new FaultySource(point, action, count, at, caller);
        using CancellationTokenRegistration release = fixture.RegisterRelease();
        using CancellationTokenRegistration userCallback = point == Point.CallerTokenCallback
            ? caller.Token.Register(() => throw fixture.CallbackFailure) // registered before the run: runs after the library's registration
            : default;
        int baseline = CallerTokenProbe.Registrations(caller);
        ParallelSelectOptions options = shape switch
        {
            Shape.Small => new() { MaxDegreeOfParallelism = 3, ChunkSize = 3, BufferSize = 4, Unordered = !ordered, CancellationToken = caller.Token },
            Shape.Large => new() { MaxDegreeOfParallelism = 3, ChunkSize = 64, BufferSize = 16, Unordered = !ordered, CancellationToken = caller.Token },
            Shape.Alone => new() { MaxDegreeOfParallelism = 1, Unordered = !ordered, CancellationToken = caller.Token },
            _ => new() { Unordered = !ordered, CancellationToken = caller.Token },
        };

        if (position == Position.BeforeStart)
        {
            CancelQuietly(caller);
        }

        Task<Outcome> run = async ? StartAsync(fixture, point, options) : StartSync(fixture, point, options);
        if (action == FaultAction.Block)
        {
            Task.WaitAny([run, fixture.Blocked], CaseTimeout);
            if (fixture.Blocked.IsCompleted)
            {
                CancelQuietly(caller); // what a caller does about a call that blocks
            }
        }

        if (!run.Wait(CaseTimeout))
        {
            fixture.ReleaseAll();
            CancelQuietly(caller);
            Assert.Fail($"the enumeration did not end within {CaseTimeout.TotalSeconds} s: it hangs");
        }

        Outcome outcome = run.Result;
        int activeAtEnd = fixture.Active;
        long callsAtEnd = fixture.Calls;
        fixture.End();
        Thread.Sleep(5); // a worker that was not joined would start another call now

        var broken = new List<string>();
        CheckResults(fixture, point, action, ordered, shape, at, caller, outcome, broken);
        if (activeAtEnd != 0)
        {
            broken.Add($"{activeAtEnd} user-code call(s) still running when the enumeration ended: a worker was not joined");
        }

        if (fixture.Calls != callsAtEnd)
        {
            broken.Add($"{fixture.Calls - callsAtEnd} user-code call(s) started after the enumeration ended");
        }

        broken.AddRange(fixture.Violations);
        SourceKind kind = FaultySource.SourceOf(point);
        if (kind is SourceKind.Sequence or SourceKind.AsyncSequence)
        {
            bool getEnumeratorFailed = point is Point.SequenceGetEnumerator or Point.AsyncGetEnumerator && fixture.Fired;
            bool mayNotOpen = position == Position.BeforeStart; // cancelled before the start: opening the source is optional
            if (fixture.Enumerators > 1 || (fixture.Enumerators == 0 && !mayNotOpen))
            {
                broken.Add($"the source's GetEnumerator was called {fixture.Enumerators} times, expected once");
            }

            int expectedDisposals = getEnumeratorFailed || fixture.Enumerators == 0 ? 0 : 1;
            if (fixture.Disposals != expectedDisposals)
            {
                broken.Add($"the source enumerator was disposed {fixture.Disposals} times, expected {expectedDisposals}");
            }
        }

        if (!caller.IsCancellationRequested && CallerTokenProbe.Registrations(caller) != baseline)
        {
            broken.Add($"the run left {CallerTokenProbe.Registrations(caller) - baseline} registration(s) on the caller's token");
        }

        if (fixture.WorkerToken is { } workerToken && !CallerTokenProbe.IsDisposed(workerToken))
        {
            broken.Add("the run's linked token source (the token handed to user code) was not disposed");
        }

        if (action == FaultAction.Block && point is Point.SequenceMoveNext or Point.AsyncMoveNext && fixture.ReadsAfterRelease > FaultySource.ReadsAfterStopAllowed)
        {
            broken.Add($"the source was read {fixture.ReadsAfterRelease} more times after the run was cancelled (allowed: {FaultySource.ReadsAfterStopAllowed})");
        }

        if (broken.Count > 0)
        {
            Assert.Fail($"{broken.Count} promise(s) broken:\n- " + string.Join("\n- ", broken));
        }
    }

    private static Task<Outcome> StartSync(FaultySource fixture, Point point, ParallelSelectOptions options)
    {
        IEnumerable<int> source = FaultySource.SourceOf(point) switch
        {
            SourceKind.Sequence => fixture.Sequence,
            SourceKind.List => fixture.List,
            SourceKind.ReadOnlyList => fixture.ReadOnlyList,
            _ => fixture.Array,
        };
        IEnumerable<int> query = point == Point.LocalInit
            ? source.ParallelSelect(fixture.LocalInit, fixture.SelectWithLocal, options)
            : source.ParallelSelect(fixture.Select, options);
        return Task.Factory.StartNew(
            () =>
            {
                var results = new List<int>();
                try
                {
                    foreach (int result in query)
                    {
                        results.Add(result);
                    }

                    return new Outcome(results, null);
                }
                catch (Exception ex)
                {
                    return new Outcome(results, ex);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    private static Task<Outcome> StartAsync(FaultySource fixture, Point point, ParallelSelectOptions options)
    {
        IAsyncEnumerable<int> query = point == Point.LocalInit
            ? fixture.Array.ParallelSelectAsync(fixture.LocalInit, fixture.SelectWithLocalAsync, options)
            : AsyncQuery(fixture, point, options);
        return Task.Run(async () =>
        {
            var results = new List<int>();
            try
            {
                await foreach (int result in query)
                {
                    results.Add(result);
                }

                return new Outcome(results, null);
            }
            catch (Exception ex)
            {
                return new Outcome(results, ex);
            }
        });
    }

    private static IAsyncEnumerable<int> AsyncQuery(FaultySource fixture, Point point, ParallelSelectOptions options) => FaultySource.SourceOf(point) switch
    {
        SourceKind.Sequence => fixture.Sequence.ParallelSelectAsync(fixture.SelectAsync, options),
        SourceKind.List => fixture.List.ParallelSelectAsync(fixture.SelectAsync, options),
        SourceKind.ReadOnlyList => fixture.ReadOnlyList.ParallelSelectAsync(fixture.SelectAsync, options),
        SourceKind.Array => fixture.Array.ParallelSelectAsync(fixture.SelectAsync, options),
        _ => fixture.AsyncSequence.ParallelSelectAsync(fixture.SelectAsync, options),
    };

    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (AggregateException)
        {
            // the user's own throwing callbacks
        }
    }

    private static void CheckResults(FaultySource fixture, Point point, FaultAction action, bool ordered, Shape shape, long at, CancellationTokenSource caller, Outcome outcome, List<string> broken)
    {
        Expect expect = action switch
        {
            FaultAction.Block => Expect.CallerCancelled,
            FaultAction.CancelCaller => at < 0 ? Expect.CallerCancelled : Expect.CallerCancelledOrComplete,
            _ => point switch
            {
                Point.SequenceGetEnumerator or Point.AsyncGetEnumerator => Expect.NothingThenFailure,
                Point.ListCount or Point.ReadOnlyListCount => fixture.Fired ? Expect.NothingThenFailure : Expect.Complete,
                Point.SequenceDispose or Point.AsyncDispose => Expect.EverythingThenFailure,
                Point.LocalInit => Expect.ChunkPrefixThenFailure,
                _ => Expect.PrefixThenFailure,
            },
        };

        List<int> results = outcome.Results;
        Exception? error = outcome.Error;
        int count = fixture.Count;
        string got = $"yielded {results.Count} result(s), then {(error is null ? "ended normally" : $"threw {error.GetType().Name}: {error.Message}")}";

        // Every result must be the result of some item, at most once.
        var items = new HashSet<int>();
        foreach (int r in results)
        {
            int item = (r - 1) / 2;
            if (r % 2 != 1 || item < 0 || item >= count || !items.Add(item))
            {
                broken.Add($"yielded {r}, which is not a result of a distinct item ({got})");
                return;
            }
        }

        bool isPrefix = results.Select((r, i) => r == FaultySource.Result(i)).All(x => x);
        bool everything = items.Count == count && (!ordered || isPrefix);
        switch (expect)
        {
            case Expect.PrefixThenFailure:
                ExpectSame(fixture.Failure, error, got, broken);
                if (ordered && (!isPrefix || results.Count != at))
                {
                    broken.Add($"expected exactly the {at} result(s) before item {at}, in order; {got}{(items.Any(x => x >= at) ? $" (including items after {at})" : "")}");
                }
                else if (!ordered && items.Contains((int)at))
                {
                    broken.Add($"yielded the result of the failing item {at}");
                }
                else if (!ordered && point is Point.SequenceMoveNext or Point.SequenceCurrent or Point.AsyncMoveNext or Point.AsyncCurrent && items.Any(x => x > at))
                {
                    broken.Add($"yielded results of items after {at}, which a sequence that failed at {at} never produced");
                }

                break;
            case Expect.ChunkPrefixThenFailure:
                ExpectSame(fixture.Failure, error, got, broken);
                if (ordered && (!isPrefix || (shape is Shape.Small or Shape.Large && results.Count % (shape == Shape.Small ? 3 : 64) != 0)))
                {
                    broken.Add($"expected the results of whole chunks from the start, in order; {got}");
                }

                break;
            case Expect.NothingThenFailure:
                ExpectSame(fixture.Failure, error, got, broken);
                if (results.Count != 0)
                {
                    broken.Add($"expected no result; {got}");
                }

                break;
            case Expect.EverythingThenFailure:
                ExpectSame(fixture.Failure, error, got, broken);
                if (!everything)
                {
                    broken.Add($"expected all {count} results{(ordered ? " in order" : "")} before the failure; {got}");
                }

                break;
            case Expect.CallerCancelled:
                ExpectCallerCancellation(caller, error, got, broken);
                if (at < 0 ? results.Count != 0 : ordered && (!isPrefix || results.Count > at))
                {
                    broken.Add(at < 0 ? $"expected no result from a run cancelled before it started; {got}" : $"expected correct results, in order, of items before {at} only; {got}");
                }

                break;
            case Expect.CallerCancelledOrComplete:
                if (error is null)
                {
                    if (!everything)
                    {
                        broken.Add($"ended normally after a cancellation without every result; {got}");
                    }
                }
                else
                {
                    ExpectCallerCancellation(caller, error, got, broken);
                    if (ordered && !isPrefix)
                    {
                        broken.Add($"expected correct results in order before the cancellation; {got}");
                    }
                }

                break;
            default:
                if (error is not null || !everything)
                {
                    broken.Add($"expected all {count} results and a normal end; {got}");
                }

                break;
        }
    }

    private static void ExpectSame(Exception failure, Exception? error, string got, List<string> broken)
    {
        if (error is null)
        {
            broken.Add($"never ended normally is promised, but it did: user code failed; {got}");
        }
        else if (!ReferenceEquals(error, failure))
        {
            broken.Add($"expected the original exception object; {got}");
        }
    }

    private static void ExpectCallerCancellation(CancellationTokenSource caller, Exception? error, string got, List<string> broken)
    {
        if (error is not OperationCanceledException oce)
        {
            broken.Add($"expected an OperationCanceledException for the caller's token; {got}");
        }
        else if (oce.CancellationToken != caller.Token)
        {
            broken.Add($"the OperationCanceledException names another token than the caller's; {got}");
        }
    }

    private sealed record Outcome(List<int> Results, Exception? Error);
}
