using System.Runtime.CompilerServices;
using Primitives.Iterators;

namespace Primitives.Tests.Iterators;

public class ParallelSelectAsyncTests
{
    private static async IAsyncEnumerable<int> AsyncRange(int count, int throwAt = -1, Action? onDispose = null)
    {
        try
        {
            for (int i = 0; i < count; i++)
            {
                if (i == throwAt)
                {
                    throw new SourceFailedException(i);
                }

                if (i % 100 == 0)
                {
                    await Task.Yield();
                }

                yield return i;
            }
        }
        finally
        {
            onDispose?.Invoke();
        }
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (T item in source)
        {
            list.Add(item);
        }

        return list;
    }

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(2, 4, 3)]
    [InlineData(4, 64, 0)]
    public async Task Results_come_out_in_input_order_for_every_source_kind(int degree, int bufferSize, int chunkSize)
    {
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = degree, BufferSize = bufferSize, ChunkSize = chunkSize };
        static async ValueTask<long> Selector(int x, CancellationToken ct)
        {
            if (x % 7 == 0)
            {
                await Task.Yield();
            }

            return x * 2L;
        }

        IEnumerable<long> expected = Enumerable.Range(0, 20_000).Select(x => x * 2L);
        Assert.Equal(expected, await ToListAsync(Enumerable.Range(0, 20_000).ToArray().ParallelSelectAsync(Selector, options)));
        Assert.Equal(expected, await ToListAsync(new ProbeSequence(20_000).ParallelSelectAsync(Selector, options)));
        Assert.Equal(expected, await ToListAsync(AsyncRange(20_000).ParallelSelectAsync(Selector, options)));
    }

    [Fact]
    public async Task Empty_and_tiny_sources()
    {
        Assert.Empty(await ToListAsync(Array.Empty<int>().ParallelSelectAsync((x, _) => ValueTask.FromResult(x))));
        Assert.Empty(await ToListAsync(AsyncRange(0).ParallelSelectAsync((x, _) => ValueTask.FromResult(x))));
        Assert.Equal([5], await ToListAsync(AsyncRange(1).ParallelSelectAsync((x, _) => ValueTask.FromResult(x + 5))));
    }

    [Fact]
    public async Task Selector_failure_yields_exactly_the_prefix_then_the_exception()
    {
        var received = new List<int>();
        int disposals = 0;
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 3, BufferSize = 8 };
        var thrown = await Assert.ThrowsAsync<SelectorFailedException>(async () =>
        {
            await foreach (int x in AsyncRange(50_000, onDispose: () => Interlocked.Increment(ref disposals))
                .ParallelSelectAsync(async (x, ct) => { await Task.Yield(); return x == 2024 ? throw new SelectorFailedException(x) : x; }, options))
            {
                received.Add(x);
            }
        });

        Assert.Equal(2024, thrown.Item);
        Assert.Equal(Enumerable.Range(0, 2024), received);
        Assert.Equal(1, Volatile.Read(ref disposals));
    }

    [Fact]
    public async Task Async_source_failure_is_thrown_at_its_position()
    {
        var received = new List<int>();
        await Assert.ThrowsAsync<SourceFailedException>(async () =>
        {
            await foreach (int x in AsyncRange(10_000, throwAt: 333).ParallelSelectAsync((x, _) => ValueTask.FromResult(x), new ParallelSelectOptions { ChunkSize = 10 }))
            {
                received.Add(x);
            }
        });

        Assert.Equal(Enumerable.Range(0, 333), received);
    }

    [Fact]
    public async Task Break_stops_and_joins_the_workers_and_disposes_the_source_once()
    {
        int disposals = 0;
        int running = 0;
        long calls = 0;
        await foreach (int x in AsyncRange(1_000_000, onDispose: () => Interlocked.Increment(ref disposals))
            .ParallelSelectAsync(async (x, ct) =>
            {
                Interlocked.Increment(ref running);
                Interlocked.Increment(ref calls);
                await Task.Yield();
                Interlocked.Decrement(ref running);
                return x;
            }, new ParallelSelectOptions { MaxDegreeOfParallelism = 4, BufferSize = 16 }))
        {
            if (x == 300)
            {
                break;
            }
        }

        Assert.Equal(0, Volatile.Read(ref running));
        long after = Interlocked.Read(ref calls);
        await Task.Delay(50);
        Assert.Equal(after, Interlocked.Read(ref calls));
        Assert.Equal(1, Volatile.Read(ref disposals));
    }

    [Fact]
    public async Task WithCancellation_cancels_the_iteration()
    {
        using var cts = new CancellationTokenSource();
        int received = 0;
        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int x in AsyncRange(1_000_000).ParallelSelectAsync((x, _) => ValueTask.FromResult(x)).WithCancellation(cts.Token))
            {
                if (++received == 500)
                {
                    await cts.CancelAsync();
                }
            }
        });

        Assert.InRange(received, 500, 1_000_000 - 1);
        Assert.Equal(cts.Token, thrown.CancellationToken); // the caller's token, not the run's internal one
    }

    [Fact]
    public async Task Unordered_mode_yields_every_result_once()
    {
        var options = new ParallelSelectOptions { Unordered = true, MaxDegreeOfParallelism = 3, BufferSize = 16 };
        List<int> results = await ToListAsync(AsyncRange(10_000).ParallelSelectAsync(async (x, _) => { await Task.Yield(); return x; }, options));
        results.Sort();
        Assert.Equal(Enumerable.Range(0, 10_000), results);
    }

    // Per-worker state: at most one state per worker (MaxDegreeOfParallelism in all), and a state is never used by two
    // selector calls at once, across awaits, for sync and async sources, ordered and unordered.
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Per_worker_state_is_created_once_per_worker_and_never_shared(bool asyncSource, bool unordered)
    {
        const int degree = 3;
        int inits = 0;
        int overlaps = 0;
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = degree, BufferSize = 16, Unordered = unordered };
        Func<StrongBox<int>> localInit = () =>
        {
            Interlocked.Increment(ref inits);
            return new StrongBox<int>();
        };
        async ValueTask<long> Selector(int x, StrongBox<int> local, CancellationToken ct)
        {
            if (Interlocked.Increment(ref local.Value) != 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            if (x % 5 == 0)
            {
                await Task.Yield();
            }

            Interlocked.Decrement(ref local.Value);
            return x * 2L;
        }

        IAsyncEnumerable<long> query = asyncSource
            ? AsyncRange(10_000).ParallelSelectAsync(localInit, Selector, options)
            : Enumerable.Range(0, 10_000).ParallelSelectAsync(localInit, Selector, options);
        List<long> results = await ToListAsync(query);
        if (unordered)
        {
            results.Sort();
        }

        Assert.Equal(Enumerable.Range(0, 10_000).Select(x => x * 2L), results);
        Assert.InRange(Volatile.Read(ref inits), 1, degree);
        Assert.Equal(0, Volatile.Read(ref overlaps));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_failing_localInit_ends_the_iteration_with_its_exception(bool unordered)
    {
        var failure = new InvalidOperationException("localInit");
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, BufferSize = 4, ChunkSize = 3, Unordered = unordered };
        IAsyncEnumerable<int> query = Enumerable.Range(0, 1_000).ParallelSelectAsync<int, object, int>(
            () => throw failure, (x, _, _) => ValueTask.FromResult(x), options);

        Exception thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => ToListAsync(query));
        Assert.Same(failure, thrown);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => ((IEnumerable<int>)null!).ParallelSelectAsync((x, _) => ValueTask.FromResult(x)));
        Assert.Throws<ArgumentNullException>(() => ((IAsyncEnumerable<int>)null!).ParallelSelectAsync((x, _) => ValueTask.FromResult(x)));
        Assert.Throws<ArgumentNullException>(() => AsyncRange(1).ParallelSelectAsync((Func<int, CancellationToken, ValueTask<int>>)null!));
        Assert.Throws<ArgumentNullException>(() => ((IEnumerable<int>)null!).ParallelSelectAsync(() => 0, (x, _, _) => ValueTask.FromResult(x)));
        Assert.Throws<ArgumentNullException>(() => ((IAsyncEnumerable<int>)null!).ParallelSelectAsync(() => 0, (x, _, _) => ValueTask.FromResult(x)));
        Assert.Throws<ArgumentNullException>(() => AsyncRange(1).ParallelSelectAsync((Func<int>)null!, (x, _, _) => ValueTask.FromResult(x)));
        Assert.Throws<ArgumentNullException>(() => Enumerable.Range(0, 1).ParallelSelectAsync(() => 0, (Func<int, int, CancellationToken, ValueTask<int>>)null!));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_call_while_a_MoveNextAsync_is_pending_is_refused_and_the_run_goes_on(bool dispose)
    {
        using var release = new SemaphoreSlim(0);
        await using IAsyncEnumerator<int> results = Enumerable.Range(0, 50).ToArray()
            .ParallelSelectAsync(async (x, ct) =>
            {
                if (x == 0)
                {
                    await release.WaitAsync(ct); // keeps the first MoveNextAsync pending
                }

                return x;
            })
            .GetAsyncEnumerator();
        Task<bool> first = results.MoveNextAsync().AsTask();
        Assert.False(first.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => { _ = dispose ? results.DisposeAsync().AsTask() : results.MoveNextAsync().AsTask(); }); // thrown by the call itself
        release.Release();
        Assert.True(await first);
        var seen = new List<int> { results.Current };
        while (await results.MoveNextAsync())
        {
            seen.Add(results.Current);
        }

        Assert.Equal(Enumerable.Range(0, 50), seen); // the refused call changed nothing
    }

    [Fact]
    public async Task A_huge_degree_over_a_short_list_allocates_per_worker_not_per_degree()
    {
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 50_000_000 };
        long before = GC.GetTotalAllocatedBytes();
        var results = new List<int>();
        int[] source = [1, 2, 3];
        await foreach (int result in source.ParallelSelectAsync((x, _) => new ValueTask<int>(x), options).ConfigureAwait(false))
        {
            results.Add(result);
        }

        Assert.Equal(source, results);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 100_000_000, "per-degree arrays: 50M selector slots would take 400 MB");
    }

    [Fact]
    public async Task A_cancellation_after_every_result_was_computed_still_ends_the_iteration_with_it()
    {
        using var cts = new CancellationTokenSource();
        int[] source = Enumerable.Range(0, 1000).ToArray();
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, CancellationToken = cts.Token };
        var results = new List<int>();
        OperationCanceledException oce = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int result in source.ParallelSelectAsync((x, _) => new ValueTask<int>(x), options))
            {
                results.Add(result);
                if (results.Count == 1)
                {
                    await Task.Delay(200); // the workers compute the rest meanwhile
                    await cts.CancelAsync();
                }
            }
        });
        Assert.Equal(cts.Token, oce.CancellationToken);
        Assert.Equal(Enumerable.Range(0, results.Count), results); // a prefix, in order
    }
}
