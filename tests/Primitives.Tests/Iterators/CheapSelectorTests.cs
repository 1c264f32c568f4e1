using Primitives.Iterators;

namespace Primitives.Tests.Iterators;

/// <summary>
/// Cheap selectors (docs/parallel-select.md, "Cheap selectors"): in the synchronous ordered form a worker that measures
/// the selector below the threshold retires after its chunk, and the enumerating thread computes the rest. These tests
/// force the decision (every selector counts as cheap after one result) so that they do not depend on timing.
/// </summary>
public class CheapSelectorTests
{
    public static TheoryData<string, int, int> Shapes => new()
    {
        // source, degree, chunk size (0 = automatic)
        { "array", 2, 0 },
        { "array", 4, 7 },
        { "list", 2, 0 },
        { "list", 3, 5 },
        { "sequence", 2, 0 },
        { "sequence", 4, 3 },
        { "chain", 2, 0 },
        { "chain", 3, 16 },
    };

    /// <summary>Options under which every worker retires after its first chunk.</summary>
    private static ParallelSelectOptions Retiring(int degree, int chunkSize = 0, int bufferSize = 4096) => new()
    {
        MaxDegreeOfParallelism = degree,
        ChunkSize = chunkSize,
        BufferSize = bufferSize,
        CheapSelectorNanoseconds = double.PositiveInfinity,
        CostSampleItems = 1,
        CostWarmUpItems = 0,
    };

    private static IEnumerable<int> Source(string shape, int count) => shape switch
    {
        "array" => Enumerable.Range(0, count).ToArray(),
        "list" => Enumerable.Range(0, count).ToList(),
        _ => new ProbeSequence(count),
    };

    // The last worker to retire must not close the registry while the enumerating thread still claims chunks: the
    // walk would end at the chunks published so far, and results would be lost.
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Workers_that_retire_leave_every_result_in_order(string shape, int degree, int chunkSize)
    {
        const int count = 20_011;
        ParallelSelectOptions options = Retiring(degree, chunkSize);
        IEnumerable<long> results = shape == "chain"
            ? Source("array", count).ParallelSelect(x => (long)x * 2, options).ParallelSelect(x => x + 1, options)
            : Source(shape, count).ParallelSelect(x => ((long)x * 2) + 1, options);

        Assert.Equal(Enumerable.Range(0, count).Select(x => ((long)x * 2) + 1), results.ToList());
    }

    // A ring smaller than a chunk (growing chunks reach 1024): the enumerating thread claims nothing while a worker
    // runs (it cannot wait for room in a ring it reads itself), so the workers do not retire, and the run ends.
    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 16)]
    public void Workers_do_not_retire_with_rings_smaller_than_a_chunk(int degree, int bufferSize)
    {
        var source = new ProbeSequence(30_000);
        List<int> results = source.ParallelSelect(x => x, Retiring(degree, chunkSize: 0, bufferSize)).ToList();

        Assert.Equal(Enumerable.Range(0, 30_000), results);
        Assert.Equal(1, source.Disposals);
    }

    // Each worker computes at most the chunk it was on when it decided; the enumerating thread computes the rest.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Retired_workers_leave_the_rest_to_the_enumerating_thread(bool sequence)
    {
        const int count = 50_000;
        const int chunkSize = 50;
        const int degree = 3;
        int consumer = Environment.CurrentManagedThreadId;
        int onWorkers = 0;
        IEnumerable<int> source = sequence ? new ProbeSequence(count) : Enumerable.Range(0, count).ToArray();

        List<int> results = source.ParallelSelect(
            x =>
            {
                if (Environment.CurrentManagedThreadId != consumer)
                {
                    Interlocked.Increment(ref onWorkers); // pairs with the Volatile.Read below, after the join
                }

                return x;
            },
            Retiring(degree, chunkSize)).ToList();

        Assert.Equal(Enumerable.Range(0, count), results);
        Assert.InRange(Volatile.Read(ref onWorkers), 0, (degree - 1) * chunkSize); // pairs with the Interlocked.Increment above
    }

    // Chunks of 1000 (and growing ones): the enumerating thread, computing alone, computes its chunk in batches of
    // up to 512, and the failure falls inside one.
    [Theory]
    [InlineData("array", 64)]
    [InlineData("sequence", 64)]
    [InlineData("array", 1000)]
    [InlineData("list", 1000)]
    [InlineData("sequence", 0)]
    public void A_selector_failure_after_the_workers_retired_yields_the_prefix_then_the_exception(string shape, int chunkSize)
    {
        const int failing = 12_345;
        var received = new List<int>();
        var thrown = Assert.Throws<SelectorFailedException>(() =>
        {
            foreach (int x in Source(shape, 20_000).ParallelSelect(x => x == failing ? throw new SelectorFailedException(x) : x, Retiring(2, chunkSize)))
            {
                received.Add(x);
            }
        });

        Assert.Equal(failing, thrown.Item);
        Assert.Equal(Enumerable.Range(0, failing), received);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(0)]
    public void A_source_failure_after_the_workers_retired_is_thrown_at_its_position(int chunkSize)
    {
        const int throwAt = 7_777;
        var source = new ProbeSequence(20_000, throwAt);
        var received = new List<int>();
        var thrown = Assert.Throws<SourceFailedException>(() =>
        {
            foreach (int x in source.ParallelSelect(x => x, Retiring(3, chunkSize)))
            {
                received.Add(x);
            }
        });

        Assert.Equal(throwAt, thrown.Position);
        Assert.Equal(Enumerable.Range(0, throwAt), received);
        Assert.Equal(1, source.Disposals);
    }

    [Fact]
    public void Breaking_after_the_workers_retired_disposes_the_source_once()
    {
        var source = new ProbeSequence(1_000_000);
        foreach (int x in source.ParallelSelect(x => x, Retiring(4, 16)))
        {
            if (x == 10_000)
            {
                break;
            }
        }

        Assert.Equal(1, source.Enumerators);
        Assert.Equal(1, source.Disposals);
    }

    [Fact]
    public void Per_worker_state_is_still_created_at_most_once_per_participant()
    {
        int inits = 0;
        List<int> results = Enumerable.Range(0, 30_000).ToArray().ParallelSelect(
            () => { Interlocked.Increment(ref inits); return 1; },
            (x, one) => x + one,
            Retiring(3, 100)).ToList();

        Assert.Equal(Enumerable.Range(1, 30_000), results);
        Assert.InRange(Volatile.Read(ref inits), 1, 3);
    }

    // The default threshold keeps the workers for a selector far above it: the worker goes on past its timed sample.
    // The enumerating thread's selector calls wait until the worker has computed more than the sample, so a worker that
    // retires after it never gets there (the guard then ends the wait, and the test fails).
    [Fact]
    public void An_expensive_selector_keeps_its_workers()
    {
        const int beyondSample = 300; // the default sample is 256 results
        int consumer = Environment.CurrentManagedThreadId;
        int onWorkers = 0;
        var guard = System.Diagnostics.Stopwatch.StartNew();
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, ChunkSize = 8 };
        List<int> results = Enumerable.Range(0, 4000).ToArray().ParallelSelect(
            x =>
            {
                if (Environment.CurrentManagedThreadId != consumer)
                {
                    Thread.SpinWait(500); // about a microsecond or more per item: far above the threshold
                    Interlocked.Increment(ref onWorkers); // pairs with the Volatile.Read below
                }
                else
                {
                    SpinWait.SpinUntil(() => Volatile.Read(ref onWorkers) > beyondSample || guard.Elapsed > TimeSpan.FromSeconds(10)); // pairs with the Interlocked.Increment above
                }

                return x;
            },
            options).ToList();

        Assert.Equal(Enumerable.Range(0, 4000), results);
        Assert.True(Volatile.Read(ref onWorkers) > beyondSample, $"the worker computed {onWorkers} items: it retired although the selector is expensive"); // pairs with the Interlocked.Increment above
    }

    // A sample that finds the selector dear is taken again later (the code it timed may not have been optimized yet):
    // here the first items are dear (a spin of 50 us each, far above a threshold of 20 us) and the rest cheap. A worker
    // that decided once, on its first sample, would keep about half of the cheap items; one that times again retires
    // soon after the dear items, and the enumerating thread computes the rest. The enumerating thread waits in its
    // first dear item until the worker has started (the pool may start it late), so the worker's first sample is dear.
    [Fact]
    public void A_worker_that_found_the_selector_dear_times_it_again_and_retires_once_it_is_cheap()
    {
        const int count = 200_000;
        const int dear = 1_000;
        int consumer = Environment.CurrentManagedThreadId;
        int onWorker = 0;
        int cheapOnWorker = 0;
        var guard = System.Diagnostics.Stopwatch.StartNew();
        var options = new ParallelSelectOptions
        {
            MaxDegreeOfParallelism = 2,
            ChunkSize = 64,
            CheapSelectorNanoseconds = 20_000,
            CostSampleItems = 64,
            CostWarmUpItems = 0,
        };

        List<int> results = Enumerable.Range(0, count).ToArray().ParallelSelect(
            x =>
            {
                bool worker = Environment.CurrentManagedThreadId != consumer;
                if (worker)
                {
                    Interlocked.Increment(ref onWorker); // pairs with the Volatile.Reads below
                }

                if (x >= dear)
                {
                    if (worker)
                    {
                        Interlocked.Increment(ref cheapOnWorker); // pairs with the Volatile.Read below, after the join
                    }

                    return x;
                }

                SpinWait.SpinUntil(() => worker || Volatile.Read(ref onWorker) > 0 || guard.Elapsed > TimeSpan.FromSeconds(10)); // pairs with the Interlocked.Increment above
                var spin = System.Diagnostics.Stopwatch.StartNew();
                while (spin.Elapsed < TimeSpan.FromMicroseconds(50))
                {
                    Thread.SpinWait(10);
                }

                return x;
            },
            options).ToList();

        Assert.Equal(Enumerable.Range(0, count), results);
        Assert.InRange(Volatile.Read(ref onWorker), 1, count); // the worker ran (pairs with the Interlocked.Increment above)
        Assert.InRange(Volatile.Read(ref cheapOnWorker), 0, 20_000); // pairs with the Interlocked.Increment above
    }
}
