using System.Collections.Concurrent;
using Primitives.Iterators;

namespace Primitives.Tests.Iterators;

public class ParallelSelectTests
{
    private static readonly int[] OneItem = [1];

    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    public static TheoryData<int, int, int> Shapes => new()
    {
        // degree, buffer size, chunk size (0 = automatic)
        { 1, 1, 1 },
        { 2, 1, 0 },
        { 2, 4, 3 },
        { 3, 16, 0 },
        { 4, 1024, 0 },
        { 8, 7, 5 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Array_results_come_out_in_input_order(int degree, int bufferSize, int chunkSize)
    {
        int[] source = Enumerable.Range(0, 100_003).ToArray();
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = degree, BufferSize = bufferSize, ChunkSize = chunkSize };

        long expected = 0;
        foreach (long value in source.ParallelSelect(x => (long)x * 3, options))
        {
            Assert.Equal(expected * 3, value);
            expected++;
        }

        Assert.Equal(source.Length, expected);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Enumerable_results_come_out_in_input_order(int degree, int bufferSize, int chunkSize)
    {
        var source = new ProbeSequence(50_001);
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = degree, BufferSize = bufferSize, ChunkSize = chunkSize };

        List<string> results = source.ParallelSelect(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture), options).ToList();

        Assert.Equal(Enumerable.Range(0, 50_001).Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture)), results);
        Assert.Equal(1, source.Enumerators);
        Assert.Equal(1, source.Disposals);
    }

    // Caller-runs: the enumerating thread is one of the MaxDegreeOfParallelism participants, so a degree of 1 spawns
    // no worker at all, and every selector call (and the one localInit call) runs on the enumerating thread.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Degree_one_runs_every_item_on_the_enumerating_thread(bool sequence)
    {
        int consumer = Environment.CurrentManagedThreadId;
        var threads = new ConcurrentDictionary<int, bool>();
        int inits = 0;
        IEnumerable<int> source = sequence ? new ProbeSequence(10_000) : Enumerable.Range(0, 10_000).ToArray();
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 1 };

        List<int> results = source.ParallelSelect(
            () => Interlocked.Increment(ref inits),
            (x, _) =>
            {
                threads[Environment.CurrentManagedThreadId] = true;
                return x + 1;
            },
            options).ToList();

        Assert.Equal(Enumerable.Range(1, 10_000), results);
        Assert.Equal([consumer], threads.Keys);
        Assert.Equal(1, inits);
    }

    // Caller-runs with a worker: where the consumer would wait for the worker's chunk, it claims the next chunk and
    // computes it itself (into its stash), and order still holds. The worker's selector waits until the consumer has
    // computed an item, so a consumer that only waits never gets there (the guard then ends the wait, and the test fails).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_enumerating_thread_computes_chunks_instead_of_waiting(bool sequence)
    {
        int consumer = Environment.CurrentManagedThreadId;
        int onConsumer = 0;
        IEnumerable<int> source = sequence ? new ProbeSequence(2000) : Enumerable.Range(0, 2000).ToArray();
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, ChunkSize = 4 };
        var guard = System.Diagnostics.Stopwatch.StartNew(); // one deadline for the whole run, so a consumer that only waits fails in seconds

        List<int> results = source.ParallelSelect(
            x =>
            {
                if (Environment.CurrentManagedThreadId == consumer)
                {
                    Interlocked.Increment(ref onConsumer); // pairs with the workers' Volatile.Read below
                }
                else
                {
                    SpinWait.SpinUntil(() => Volatile.Read(ref onConsumer) > 0 || guard.Elapsed > TimeSpan.FromSeconds(5)); // pairs with the Interlocked.Increment above
                }

                return x * 2;
            },
            options).ToList();

        Assert.Equal(Enumerable.Range(0, 2000).Select(x => x * 2), results);
        Assert.InRange(Volatile.Read(ref onConsumer), 1, 2000); // pairs with the Interlocked.Increment above
    }

    [Fact]
    public void List_and_read_only_list_sources_are_read_by_index()
    {
        var list = new IndexOnlyList(10_000);
        Assert.Equal(Enumerable.Range(1, 10_000), list.ParallelSelect(x => x + 1).ToList());

        IReadOnlyList<int> readOnly = new System.Collections.ObjectModel.ReadOnlyCollection<int>(Enumerable.Range(0, 5000).ToList());
        Assert.Equal(Enumerable.Range(0, 5000).Select(x => -x), readOnly.ParallelSelect(x => -x).ToList());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(10)]
    public void Small_inputs(int count)
    {
        Assert.Equal(Enumerable.Range(0, count).Select(x => x * x), Enumerable.Range(0, count).ToArray().ParallelSelect(x => x * x).ToList());
        Assert.Equal(Enumerable.Range(0, count).Select(x => x * x), new ProbeSequence(count).ParallelSelect(x => x * x).ToList());
    }

    [Fact]
    public void Nothing_runs_before_enumeration_starts()
    {
        var source = new ProbeSequence(100);
        int calls = 0;
        IEnumerable<int> query = source.ParallelSelect(x => Interlocked.Increment(ref calls));
        using (IEnumerator<int> enumerator = query.GetEnumerator())
        {
            Assert.Equal(0, source.Enumerators);
            Assert.Equal(0, Volatile.Read(ref calls));
        }

        Assert.Equal(0, source.Enumerators);
        Assert.Equal(0, Volatile.Read(ref calls));
    }

    [Fact]
    public void First_results_arrive_before_the_source_ends()
    {
        // The source blocks after 5 items until the consumer has received the first result.
        using var firstResultSeen = new ManualResetEventSlim();
        IEnumerable<int> Source()
        {
            for (int i = 0; i < 5; i++)
            {
                yield return i;
            }

            Assert.True(firstResultSeen.Wait(HangGuard), "the first result never arrived while the source was still open");
            for (int i = 5; i < 10; i++)
            {
                yield return i;
            }
        }

        var results = new List<int>();
        foreach (int x in Source().ParallelSelect(x => x * 10, new ParallelSelectOptions { MaxDegreeOfParallelism = 2 }))
        {
            results.Add(x);
            firstResultSeen.Set();
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(x => x * 10), results);
    }

    [Fact]
    public void Infinite_source_with_Take_works_and_stops_the_workers()
    {
        static IEnumerable<long> Naturals()
        {
            for (long i = 0; ; i++)
            {
                yield return i;
            }
        }

        long calls = 0;
        List<long> results = Naturals().ParallelSelect(x => { Interlocked.Increment(ref calls); return x + 1; }).Take(1000).ToList();

        Assert.Equal(Enumerable.Range(1, 1000).Select(x => (long)x), results);
        long afterDispose = Interlocked.Read(ref calls);
        Thread.Sleep(50);
        Assert.Equal(afterDispose, Interlocked.Read(ref calls)); // no worker is still running the selector
    }

    [Fact]
    public void Chained_stages_see_every_earlier_item_finished()
    {
        // The seed example: stage one records each number; stage two asserts every number up to its own is there.
        var seen = new ConcurrentDictionary<int, bool>();
        int violations = 0;
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 4, BufferSize = 8 };
        List<int> results = Enumerable.Range(0, 20_000)
            .ParallelSelect(x => { seen[x] = true; return x; }, options)
            .ParallelSelect(x =>
            {
                for (int i = Math.Max(0, x - 64); i <= x; i++)
                {
                    if (!seen.ContainsKey(i))
                    {
                        Interlocked.Increment(ref violations);
                    }
                }

                return x;
            }, options)
            .ToList();

        Assert.Equal(0, violations);
        Assert.Equal(Enumerable.Range(0, 20_000), results);
        Assert.Equal(20_000, seen.Count);
    }

    [Theory]
    [InlineData(2, 4)]
    [InlineData(3, 16)]
    public void Memory_is_bounded_and_a_slow_consumer_throttles_the_workers(int degree, int bufferSize)
    {
        long produced = 0;
        long consumed = 0;
        long maxOutstanding = 0;
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = degree, BufferSize = bufferSize, ChunkSize = 1 };
        foreach (int x in new ProbeSequence(5_000).ParallelSelect(x => { Interlocked.Increment(ref produced); return x; }, options))
        {
            long outstanding = Interlocked.Read(ref produced) - ++consumed;
            maxOutstanding = Math.Max(maxOutstanding, outstanding);
            if (x % 500 == 0)
            {
                Thread.Sleep(5); // a slow consumer: the workers fill their rings and must wait
            }
        }

        // Buffered: degree x buffer in the rings (the workers' and, with caller-runs, the consumer's own), plus each
        // worker's unpublished batch and the consumer's batch or own chunk (64 at most each; chunks of one here). The
        // lower end is 0: with caller-runs the consumer may compute everything itself while the pool is busy.
        long bound = ((long)degree * bufferSize) + ((degree + 1) * Math.Min(64, bufferSize));
        Assert.InRange(maxOutstanding, 0, bound);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Selector_failure_yields_exactly_the_prefix_then_the_original_exception(bool indexed)
    {
        const int FailAt = 7_777;
        IEnumerable<int> source = indexed ? Enumerable.Range(0, 100_000).ToArray() : new ProbeSequence(100_000);
        long calls = 0;
        var received = new List<int>();
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 3, BufferSize = 32 };

        var thrown = Assert.Throws<SelectorFailedException>(() =>
        {
            foreach (int x in source.ParallelSelect(x => { Interlocked.Increment(ref calls); return x == FailAt ? Fail(x) : x; }, options))
            {
                received.Add(x);
            }
        });

        Assert.Equal(FailAt, thrown.Item);
        Assert.Contains(nameof(Fail), thrown.StackTrace, StringComparison.Ordinal); // the original stack trace
        Assert.Equal(Enumerable.Range(0, FailAt), received);
        Assert.True(Interlocked.Read(ref calls) < 50_000, $"workers kept taking items after the failure: {calls} calls"); // stopped promptly
        if (source is ProbeSequence probe)
        {
            Assert.Equal(1, probe.Disposals);
        }
    }

    [Fact]
    public void With_several_failures_the_lowest_index_wins_every_run()
    {
        for (int run = 0; run < 30; run++)
        {
            var received = new List<int>();
            var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 4, BufferSize = 4, ChunkSize = 2 };
            var thrown = Assert.Throws<SelectorFailedException>(() =>
            {
                foreach (int x in Enumerable.Range(0, 2000).ToArray().ParallelSelect(x => x is 1500 or 900 or 301 ? Fail(x) : x, options))
                {
                    received.Add(x);
                }
            });

            Assert.Equal(301, thrown.Item);
            Assert.Equal(Enumerable.Range(0, 301), received);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    public void Source_failure_is_thrown_at_its_position(int throwAt)
    {
        var source = new ProbeSequence(5000, throwAt);
        var received = new List<int>();
        var thrown = Assert.Throws<SourceFailedException>(() =>
        {
            foreach (int x in source.ParallelSelect(x => x, new ParallelSelectOptions { MaxDegreeOfParallelism = 2, ChunkSize = 64 }))
            {
                received.Add(x);
            }
        });

        Assert.Equal(throwAt, thrown.Position);
        Assert.Equal(Enumerable.Range(0, throwAt), received);
        Assert.Equal(1, source.Disposals);
    }

    [Fact]
    public void Break_joins_every_worker_and_disposes_the_source_once()
    {
        var source = new ProbeSequence(1_000_000);
        int running = 0;
        long calls = 0;
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 4, BufferSize = 16 };
        foreach (int x in source.ParallelSelect(x => { Interlocked.Increment(ref running); Interlocked.Increment(ref calls); Thread.SpinWait(20); Interlocked.Decrement(ref running); return x; }, options))
        {
            if (x == 100)
            {
                break;
            }
        }

        // Dispose returned: no worker may still be inside the selector, or start another item.
        Assert.Equal(0, Volatile.Read(ref running));
        long after = Interlocked.Read(ref calls);
        Thread.Sleep(50);
        Assert.Equal(after, Interlocked.Read(ref calls));
        Assert.Equal(1, source.Enumerators);
        Assert.Equal(1, source.Disposals);
    }

    [Fact]
    public void First_and_disposing_early_work()
    {
        var source = new ProbeSequence(100_000);
        Assert.Equal(42, source.ParallelSelect(x => x + 42).First());
        Assert.Equal(1, source.Disposals);

        using (IEnumerator<int> e = source.ParallelSelect(x => x).GetEnumerator())
        {
            Assert.True(e.MoveNext());
            Assert.Equal(0, e.Current);
        }

        Assert.Equal(2, source.Disposals);
    }

    [Fact]
    public void Cancellation_ends_the_iteration_with_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        int running = 0;
        var options = new ParallelSelectOptions { CancellationToken = cts.Token, MaxDegreeOfParallelism = 2, BufferSize = 8 };
        var source = new ProbeSequence(10_000_000);
        int received = 0;
        var thrown = Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (int x in source.ParallelSelect(x => { Interlocked.Increment(ref running); Interlocked.Decrement(ref running); return x; }, options))
            {
                if (++received == 1000)
                {
                    cts.Cancel();
                }
            }
        });

        Assert.Equal(cts.Token, thrown.CancellationToken); // the caller's token, as PLINQ and Parallel report it

        Assert.Equal(0, Volatile.Read(ref running));
        Assert.Equal(1, source.Disposals);
    }

    [Fact]
    public void A_cancellation_after_every_result_was_computed_still_ends_the_iteration_with_it()
    {
        using var cts = new CancellationTokenSource();
        int[] source = [0, 1]; // the consumer computes chunk 0 itself, the worker chunk 1 during the pause: only a ring read is left
        var options = new ParallelSelectOptions { CancellationToken = cts.Token, MaxDegreeOfParallelism = 2, ChunkSize = 1 };
        var results = new List<int>();
        OperationCanceledException thrown = Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (int x in source.ParallelSelect(x => x, options))
            {
                results.Add(x);
                if (results.Count == 1)
                {
                    Thread.Sleep(200); // the worker computes chunk 1 meanwhile
                    cts.Cancel();
                }
            }
        });
        Assert.Equal(cts.Token, thrown.CancellationToken);
        Assert.Equal(Enumerable.Range(0, results.Count), results); // a prefix, in order
    }

    [Fact]
    public void Already_cancelled_token_throws_on_first_MoveNext()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        IEnumerable<int> query = Enumerable.Range(0, 10).ParallelSelect(x => x, new ParallelSelectOptions { CancellationToken = cts.Token });
        Assert.ThrowsAny<OperationCanceledException>(() => query.ToList());
    }

    [Fact]
    public void Enumerating_twice_runs_the_pipeline_twice()
    {
        int calls = 0;
        IEnumerable<int> query = Enumerable.Range(0, 1000).ParallelSelect(x => { Interlocked.Increment(ref calls); return x * 2; });
        List<int> first = query.ToList();
        List<int> second = query.ToList();
        Assert.Equal(first, second);
        Assert.Equal(2000, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Nested_parallel_select_does_not_deadlock()
    {
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, BufferSize = 4 };
        var task = Task.Run(() => Enumerable.Range(0, 20)
            .ParallelSelect(i => Enumerable.Range(0, 200).ParallelSelect(j => i * j, options).Sum(), options)
            .ToList());

        List<int> results = await task.WaitAsync(HangGuard); // TimeoutException if nested ParallelSelect hung
        Assert.Equal(Enumerable.Range(0, 20).Select(i => Enumerable.Range(0, 200).Sum(j => i * j)), results);
    }

    [Fact]
    public void Unordered_mode_yields_every_result_once()
    {
        var options = new ParallelSelectOptions { Unordered = true, MaxDegreeOfParallelism = 3, BufferSize = 16 };
        List<int> results = Enumerable.Range(0, 50_000).ToArray().ParallelSelect(x => x, options).ToList();
        results.Sort();
        Assert.Equal(Enumerable.Range(0, 50_000), results);

        List<int> fromEnumerable = new ProbeSequence(30_000).ParallelSelect(x => x, options).ToList();
        fromEnumerable.Sort();
        Assert.Equal(Enumerable.Range(0, 30_000), fromEnumerable);
    }

    [Fact]
    public void Unordered_mode_fails_fast()
    {
        var options = new ParallelSelectOptions { Unordered = true, MaxDegreeOfParallelism = 3, BufferSize = 16 };
        var received = new List<int>();
        Assert.Throws<SelectorFailedException>(() =>
        {
            foreach (int x in Enumerable.Range(0, 100_000).ToArray().ParallelSelect(x => x == 5000 ? Fail(x) : x, options))
            {
                received.Add(x);
            }
        });

        Assert.DoesNotContain(5000, received);
        Assert.Equal(received.Count, received.Distinct().Count());
    }

    [Fact]
    public void Per_worker_state_is_created_once_per_worker_and_never_shared()
    {
        int inits = 0;
        int sharedViolations = 0;
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 3, BufferSize = 8 };
        List<int> results = Enumerable.Range(0, 30_000).ParallelSelect(
            () => { Interlocked.Increment(ref inits); return new int[1]; },
            (x, scratch) =>
            {
                if (Interlocked.Exchange(ref scratch[0], 1) != 0)
                {
                    Interlocked.Increment(ref sharedViolations);
                }

                Volatile.Write(ref scratch[0], 0);
                return x + 1;
            },
            options).ToList();

        Assert.Equal(Enumerable.Range(1, 30_000), results);
        Assert.InRange(Volatile.Read(ref inits), 1, 3);
        Assert.Equal(0, sharedViolations);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => ((IEnumerable<int>)null!).ParallelSelect(x => x));
        Assert.Throws<ArgumentNullException>(() => OneItem.ParallelSelect((Func<int, int>)null!));
        Assert.Throws<ArgumentNullException>(() => OneItem.ParallelSelect<int, int, int>(null!, (x, l) => x));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParallelSelectOptions { MaxDegreeOfParallelism = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParallelSelectOptions { BufferSize = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParallelSelectOptions { ChunkSize = -1 });
    }

    // A worker that fails outside the selector and the source (here: its chunk buffer of 2^24 items of 32 KiB, 512 GiB,
    // cannot be allocated) must end the run with that exception, never hang on the chunk it held and never end normally.
    // With degree 1 no worker runs: the consumer reads the sequence itself, item by item, and needs no chunk buffer.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task A_worker_failure_outside_any_item_ends_the_run_with_it(int degree)
    {
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = degree, ChunkSize = 1 << 24 };
        Task<List<byte>> run = Task.Run(() => Generate(10).ParallelSelect(x => x[0], options).ToList());
        if (degree == 1)
        {
            Assert.Equal(10, (await run.WaitAsync(HangGuard)).Count);
            return;
        }

        await Assert.ThrowsAsync<OutOfMemoryException>(() => run.WaitAsync(HangGuard)); // TimeoutException if it hung

        static IEnumerable<Big> Generate(int count)
        {
            for (int i = 0; i < count; i++)
            {
                yield return default;
            }
        }
    }

    private static int Fail(int item) => throw new SelectorFailedException(item);

    /// <summary>An item of 32 KiB: a chunk buffer of 2^24 of them cannot be allocated.</summary>
    [System.Runtime.CompilerServices.InlineArray(1 << 15)]
    private struct Big
    {
        private byte _first;
    }
}
