using System.Runtime.CompilerServices;
using Primitives.Iterators;
using Primitives.Tests.Iterators.UserCode;

namespace Primitives.Tests.Iterators;

/// <summary>
/// Focused regression tests for the failures of user code that once lost data or leaked, one per defect, each small
/// enough to read as a repro (the sweep in <see cref="UserCodeSweepTests"/> covers every point systematically).
/// </summary>
public class UserCodeRegressionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void Caller_token_probe_sees_registrations()
    {
        using var source = new CancellationTokenSource();
        Assert.Equal(0, CallerTokenProbe.Registrations(source));
        CancellationTokenRegistration first = source.Token.Register(() => { });
        using (CancellationTokenSource.CreateLinkedTokenSource(source.Token))
        {
            Assert.Equal(2, CallerTokenProbe.Registrations(source));
        }

        Assert.Equal(1, CallerTokenProbe.Registrations(source));
        first.Dispose();
        Assert.Equal(0, CallerTokenProbe.Registrations(source));

        var linked = CancellationTokenSource.CreateLinkedTokenSource(source.Token);
        CancellationToken token = linked.Token;
        Assert.False(CallerTokenProbe.IsDisposed(token));
        linked.Dispose();
        Assert.True(CallerTokenProbe.IsDisposed(token));
    }

    // 1. A list (not an array) whose indexer throws in the last chunk: the enumeration ended normally, one result short.
    [Theory]
    [InlineData(Point.ListIndexer, false)]
    [InlineData(Point.ListIndexer, true)]
    [InlineData(Point.ReadOnlyListIndexer, false)]
    [InlineData(Point.ReadOnlyListIndexer, true)]
    public void A_list_indexer_failing_in_the_last_chunk_is_thrown_not_lost(Point point, bool async)
    {
        using var caller = new CancellationTokenSource();
        var fixture = new FaultySource(point, FaultAction.Throw, count: 10, at: 9, caller);
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, ChunkSize = 3 };

        (List<int> results, Exception? error) = Drain(fixture, point, options, async);

        Assert.Equal(Enumerable.Range(0, 9).Select(FaultySource.Result), results);
        Assert.Same(fixture.Failure, error);
    }

    // 1, mid-list. A failure inside chunk n is recorded only after the worker has published the chunk (with its
    // shortened length) and run user code on it, so the consumer can finish chunk n and go on to chunk n + 1 first.
    // Made deterministic with localInit, which runs after the publication of a worker's first chunk: the worker whose
    // indexer failed (at the first index of chunk 1, so the chunk is empty) waits in localInit until the consumer has
    // yielded a result past the failing index, or 1 s. Sync only: the async overload has no localInit, and its window
    // is too short to hit reliably.
    [Fact]
    public void A_list_indexer_failing_mid_list_yields_nothing_after_the_failing_index()
    {
        var list = new ThrowingList(count: 64, throwAt: 4);
        var pastFailure = new ManualResetEventSlim();
        var results = new List<int>();
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, ChunkSize = 4 };

        Exception? error = Record.Exception(() =>
        {
            foreach (int r in list.ParallelSelect(
                () =>
                {
                    if (list.FailedOnThisThread)
                    {
                        pastFailure.Wait(TimeSpan.FromSeconds(1)); // the failing worker is slow to record its failure
                    }
                    else
                    {
                        Thread.Sleep(100); // every worker claims its first chunk before any claims a second
                    }

                    return 0;
                },
                (x, _) => x,
                options))
            {
                results.Add(r);
                if (r > 4)
                {
                    pastFailure.Set();
                }
            }
        });

        Assert.Equal([0, 1, 2, 3], results);
        Assert.Same(list.Failure, error);
    }

    // 2. A callback registered on the async selector's token throws when the run cancels that token: DisposeAsync
    // stopped half way (workers not joined, source not disposed, linked token source not disposed).
    [Fact]
    public async Task DisposeAsync_finishes_shutdown_when_a_callback_on_the_selector_token_throws()
    {
        var source = new ProbeSequence(100_000);
        var callbackFailure = new InvalidOperationException("callback failed");
        CancellationToken workerToken = default;
        int running = 0;
        long calls = 0;
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, ChunkSize = 16, BufferSize = 16 };
        IAsyncEnumerator<int> enumerator = source.ParallelSelectAsync(
            async (x, token) =>
            {
                Interlocked.Increment(ref running);
                Interlocked.Increment(ref calls);
                try
                {
                    if (x == 0)
                    {
                        workerToken = token;
                        token.Register(() => throw callbackFailure);
                    }

                    await Task.Yield();
                    return x;
                }
                finally
                {
                    Interlocked.Decrement(ref running);
                }
            },
            options).GetAsyncEnumerator();

        Assert.True(await enumerator.MoveNextAsync());
        Exception? disposeError = await Record.ExceptionAsync(async () => await enumerator.DisposeAsync().AsTask().WaitAsync(Timeout));
        long callsAfterDispose = Interlocked.Read(ref calls);
        await Task.Delay(20);

        Assert.True(disposeError is null || ReferenceEquals(disposeError, callbackFailure)
            || (disposeError is AggregateException agg && agg.Flatten().InnerExceptions.Contains(callbackFailure)), $"DisposeAsync threw {disposeError}");
        Assert.Equal(1, source.Disposals);
        Assert.Equal(0, Volatile.Read(ref running));
        Assert.Equal(callsAfterDispose, Interlocked.Read(ref calls));
        Assert.True(CallerTokenProbe.IsDisposed(workerToken), "the run's linked token source was not disposed");
    }

    // 2, on a failure: the callback's exception replaced the selector's, and shutdown stopped half way.
    [Fact]
    public async Task A_throwing_callback_on_the_selector_token_does_not_replace_the_selector_failure()
    {
        using var caller = new CancellationTokenSource();
        var fixture = new FaultySource(Point.SelectorTokenCallback, FaultAction.Throw, count: 1000, at: 100, caller);
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, ChunkSize = 8, CancellationToken = caller.Token };
        var results = new List<int>();

        Exception? error = await Record.ExceptionAsync(async () =>
        {
            await foreach (int r in fixture.Sequence.ParallelSelectAsync(fixture.SelectAsync, options))
            {
                results.Add(r);
            }
        }).WaitAsync(Timeout);

        Assert.Same(fixture.Failure, error);
        Assert.Equal(Enumerable.Range(0, 100).Select(FaultySource.Result), results);
        Assert.Equal(1, fixture.Disposals);
        Assert.Equal(0, fixture.Active);
    }

    // 3. A source whose Dispose throws: shutdown skipped the rest (linked token source not disposed, registration on
    // the caller's token left behind), at the end of the results and on an early break.
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void A_source_whose_Dispose_throws_still_unregisters_from_the_callers_token(bool async, bool breakEarly)
    {
        using var caller = new CancellationTokenSource();
        var fixture = new FaultySource(Point.SequenceDispose, FaultAction.Throw, count: 100, at: 1, caller);
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, ChunkSize = 8, CancellationToken = caller.Token };
        var results = new List<int>();

        Task run = Task.Run(async () =>
        {
            if (async)
            {
                await foreach (int r in fixture.Sequence.ParallelSelectAsync(fixture.SelectAsync, options))
                {
                    results.Add(r);
                    if (breakEarly)
                    {
                        break;
                    }
                }
            }
            else
            {
                foreach (int r in fixture.Sequence.ParallelSelect(fixture.Select, options))
                {
                    results.Add(r);
                    if (breakEarly)
                    {
                        break;
                    }
                }
            }
        });
        Assert.True(((IAsyncResult)run).AsyncWaitHandle.WaitOne(Timeout), "the enumeration hangs");

        Assert.Same(fixture.Failure, run.Exception?.InnerException);
        Assert.Equal(breakEarly ? 1 : 100, results.Count);
        Assert.Equal(1, fixture.Disposals);
        Assert.Equal(0, CallerTokenProbe.Registrations(caller));
        if (fixture.WorkerToken is { } token)
        {
            Assert.True(CallerTokenProbe.IsDisposed(token), "the run's linked token source was not disposed");
        }
    }

    // 4. A token cancelled before the first MoveNext: the OperationCanceledException named the run's internal token.
    [Fact]
    public void A_token_cancelled_before_the_first_MoveNext_is_named_in_the_exception_sync()
    {
        using var caller = new CancellationTokenSource();
        caller.Cancel();
        var options = new ParallelSelectOptions { CancellationToken = caller.Token };

        var oce = Assert.ThrowsAny<OperationCanceledException>(() => new ProbeSequence(100).ParallelSelect(x => x, options).ToList());

        Assert.Equal(caller.Token, oce.CancellationToken);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_token_cancelled_before_the_first_MoveNext_is_named_in_the_exception_async(bool withCancellation)
    {
        using var caller = new CancellationTokenSource();
        caller.Cancel();
        var options = new ParallelSelectOptions { CancellationToken = withCancellation ? default : caller.Token };
        IAsyncEnumerable<int> query = new ProbeSequence(100).ParallelSelectAsync((x, _) => ValueTask.FromResult(x), options);

        var oce = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int _ in query.WithCancellation(withCancellation ? caller.Token : default))
            {
            }
        });

        Assert.Equal(caller.Token, oce.CancellationToken);
    }

    // 5. After a stop, a general-sequence source was read to the end of the chunk being read (up to 1,024 MoveNext
    // calls). The reader blocks at item 1 of a 1,024-item chunk until the caller cancels, then goes on, as an
    // enumerator that knows no token does; the library must stop reading within one batch.
    [Theory]
    [InlineData(Point.SequenceMoveNext, false)]
    [InlineData(Point.SequenceMoveNext, true)]
    [InlineData(Point.AsyncMoveNext, true)]
    public async Task After_a_cancellation_a_sequence_source_is_not_read_to_the_end_of_its_chunk(Point point, bool async)
    {
        using var caller = new CancellationTokenSource();
        var fixture = new FaultySource(point, FaultAction.Block, count: 5000, at: 1, caller);
        using CancellationTokenRegistration release = fixture.RegisterRelease();
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, ChunkSize = 1024, CancellationToken = caller.Token };

        Task<(List<int>, Exception?)> run = Task.Run(() => Drain(fixture, point, options, async));
        await fixture.Blocked.WaitAsync(Timeout);
        caller.Cancel();
        (_, Exception? error) = await run.WaitAsync(Timeout);

        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.True(fixture.ReadsAfterRelease <= FaultySource.ReadsAfterStopAllowed, $"the source was read {fixture.ReadsAfterRelease} more times after the cancellation");
    }

    // 5, after a selector failure (async source: it sees the run's token, so it can block until the run stops).
    [Fact]
    public async Task After_a_selector_failure_an_async_source_is_not_read_to_the_end_of_its_chunk()
    {
        var readerBlocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long readsAfterStop = 0;
        var failure = new InvalidOperationException("selector failed");

        async IAsyncEnumerable<int> Source([EnumeratorCancellation] CancellationToken token = default)
        {
            for (int i = 0; i < 5000; i++)
            {
                if (i == 1025)
                {
                    readerBlocked.TrySetResult();
                    await Task.Delay(System.Threading.Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default); // until the run stops, then go on
                }

                if (token.IsCancellationRequested)
                {
                    Interlocked.Increment(ref readsAfterStop);
                }

                yield return i;
            }
        }

        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, ChunkSize = 1024 };
        Exception? error = await Record.ExceptionAsync(async () =>
        {
            await foreach (int _ in Source().ParallelSelectAsync(
                async (x, _) =>
                {
                    if (x == 0)
                    {
                        await readerBlocked.Task.WaitAsync(Timeout, CancellationToken.None); // the other worker is in the middle of chunk 1
                        throw failure;
                    }

                    return x;
                },
                options))
            {
            }
        }).WaitAsync(Timeout);

        Assert.Same(failure, error);
        Assert.True(Interlocked.Read(ref readsAfterStop) <= FaultySource.ReadsAfterStopAllowed, $"the source was read {readsAfterStop} more times after the run stopped");
    }

    // 6 (new). A source whose Current throws: "buffer[read++] = enumerator.Current" counted the slot before the throw,
    // so the selector ran on a stale or default item from the worker's scratch buffer and a bogus result came out
    // before the exception.
    [Theory]
    [InlineData(Point.SequenceCurrent, false)]
    [InlineData(Point.SequenceCurrent, true)]
    [InlineData(Point.AsyncCurrent, true)]
    public void A_source_whose_Current_throws_yields_no_bogus_result(Point point, bool async)
    {
        using var caller = new CancellationTokenSource();
        var fixture = new FaultySource(point, FaultAction.Throw, count: 10, at: 5, caller);
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 1, ChunkSize = 4 };

        (List<int> results, Exception? error) = Drain(fixture, point, options, async);

        Assert.Equal(Enumerable.Range(0, 5).Select(FaultySource.Result), results); // today: one more result, of an item left in the worker's scratch buffer by its previous chunk
        Assert.Same(fixture.Failure, error);
    }

    /// <summary>Enumerates the fixture's source with its selector to the end or the first exception, bounded by <see cref="Timeout"/>.</summary>
    private static (List<int> Results, Exception? Error) Drain(FaultySource fixture, Point point, ParallelSelectOptions options, bool async)
    {
        var results = new List<int>();
        Exception? error = null;
        async Task Body()
        {
            try
            {
                await DrainInto(results, fixture, point, options, async);
            }
            catch (Exception ex)
            {
                error = ex; // caught here: an OperationCanceledException would make the task Canceled, without an exception
            }
        }

        Task run = async
            ? Task.Run(Body)
            : Task.Factory.StartNew(() => Body().GetAwaiter().GetResult(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default); // its own thread: the pool may be short
        Assert.True(((IAsyncResult)run).AsyncWaitHandle.WaitOne(Timeout), "the enumeration hangs");
        return (results, Volatile.Read(ref error));
    }

    private static async Task DrainInto(List<int> results, FaultySource fixture, Point point, ParallelSelectOptions options, bool async)
    {
        SourceKind kind = FaultySource.SourceOf(point);
        if (kind == SourceKind.AsyncSequence)
        {
            await foreach (int r in fixture.AsyncSequence.ParallelSelectAsync(fixture.SelectAsync, options))
            {
                results.Add(r);
            }

            return;
        }

        IEnumerable<int> source = kind switch
        {
            SourceKind.List => fixture.List,
            SourceKind.ReadOnlyList => fixture.ReadOnlyList,
            SourceKind.Array => fixture.Array,
            _ => fixture.Sequence,
        };
        if (async)
        {
            await foreach (int r in source.ParallelSelectAsync(fixture.SelectAsync, options))
            {
                results.Add(r);
            }
        }
        else
        {
            foreach (int r in source.ParallelSelect(fixture.Select, options))
            {
                results.Add(r);
            }
        }
    }

    /// <summary>A read-only list of 0..count-1 whose indexer throws at one index, remembering the thread it threw on.</summary>
    private sealed class ThrowingList(int count, int throwAt) : IReadOnlyList<int>
    {
        [ThreadStatic]
        private static ThrowingList? t_failedOn;

        public Exception Failure { get; } = new InvalidOperationException($"indexer failed at {throwAt}");

        public bool FailedOnThisThread => ReferenceEquals(t_failedOn, this);

        public int Count => count;

        public int this[int index]
        {
            get
            {
                if (index == throwAt)
                {
                    t_failedOn = this;
                    throw Failure;
                }

                return index;
            }
        }

        public IEnumerator<int> GetEnumerator() => throw new InvalidOperationException("lists must be read by index");

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
