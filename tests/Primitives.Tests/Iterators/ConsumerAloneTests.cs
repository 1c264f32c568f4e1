using Primitives.Iterators;

namespace Primitives.Tests.Iterators;

/// <summary>
/// The enumerating thread computing alone (docs/parallel-select.md, "The consumer alone: one pass per item"): with one
/// degree of parallelism, or once the workers retired for a cheap selector, it computes each result in
/// <c>MoveNext</c> itself, and reads the source on itself, a stretch at a time, without claims. A selector's throw
/// there reaches the caller as it was; these tests check that the run still ends as for any failure.
/// </summary>
public class ConsumerAloneTests
{
    private static readonly ParallelSelectOptions Alone = new() { MaxDegreeOfParallelism = 1 };

    private static IEnumerable<int> Source(string shape, int count) => shape switch
    {
        "array" => Enumerable.Range(0, count).ToArray(),
        "list" => Enumerable.Range(0, count).ToList(),
        _ => new ProbeSequence(count),
    };

    // The consumer reads on in stretches that start small and double up to 512: the first results come at once, and
    // the source is never read far ahead of them.
    [Fact]
    public void A_sequence_is_read_a_short_stretch_ahead_of_the_results()
    {
        var source = new ProbeSequence(1_000_000);
        using IEnumerator<int> results = source.ParallelSelect(x => x * 2, Alone).GetEnumerator();
        for (int i = 0; i < 5_000; i++)
        {
            Assert.True(results.MoveNext());
            Assert.Equal(i * 2, results.Current);
            if (i == 9)
            {
                Assert.InRange(source.MoveNexts, 10, 21);
            }
        }

        Assert.InRange(source.MoveNexts, 5_000, 5_512);
    }

    [Theory]
    [InlineData("array")]
    [InlineData("list")]
    [InlineData("sequence")]
    public void After_a_selector_failure_the_enumerator_has_ended(string shape)
    {
        IEnumerable<int> source = Source(shape, 10_000);
        IEnumerator<int> results = source.ParallelSelect(x => x == 700 ? throw new SelectorFailedException(x) : x, Alone).GetEnumerator();
        var received = new List<int>();

        var thrown = Assert.Throws<SelectorFailedException>(() =>
        {
            while (results.MoveNext())
            {
                received.Add(results.Current);
            }
        });

        Assert.Equal(700, thrown.Item);
        Assert.Equal(Enumerable.Range(0, 700), received);
        long reads = (source as ProbeSequence)?.MoveNexts ?? 0;
        Assert.False(results.MoveNext()); // no result after the failure, and no second call of the selector on item 700
        if (source is ProbeSequence sequence)
        {
            Assert.Equal(1, sequence.Disposals); // the move after the failure shut the run down
            Assert.Equal(reads, sequence.MoveNexts); // and read nothing more
        }

        results.Dispose();
    }

    [Fact]
    public void A_source_failure_reaches_the_caller_after_the_results_before_it()
    {
        var source = new ProbeSequence(10_000, throwAt: 4_321);
        var received = new List<int>();

        var thrown = Assert.Throws<SourceFailedException>(() =>
        {
            foreach (int x in source.ParallelSelect(x => x, Alone))
            {
                received.Add(x);
            }
        });

        Assert.Equal(4_321, thrown.Position);
        Assert.Equal(Enumerable.Range(0, 4_321), received);
        Assert.Equal(1, source.Disposals);
    }

    // The selector's exception went to the caller before the foreach disposed the enumerator: what the source's Dispose
    // throws then must not replace it.
    [Fact]
    public void A_selector_failure_wins_over_a_failing_source_disposal()
    {
        var source = new DisposeFailingSequence(10_000);

        Assert.Throws<SelectorFailedException>(() =>
        {
            foreach (int x in source.ParallelSelect(x => x == 700 ? throw new SelectorFailedException(x) : x, Alone))
            {
            }
        });

        Assert.Equal(1, source.Disposals);
    }

    [Fact]
    public void A_failing_source_disposal_at_the_end_is_thrown()
    {
        var source = new DisposeFailingSequence(1_000);
        var received = new List<int>();

        var thrown = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (int x in source.ParallelSelect(x => x, Alone))
            {
                received.Add(x);
            }
        });

        Assert.Same(source.Failure, thrown);
        Assert.Equal(Enumerable.Range(0, 1_000), received);
        Assert.Equal(1, source.Disposals);
    }

    [Theory]
    [InlineData("array")]
    [InlineData("sequence")]
    public void Cancellation_reaches_a_consumer_computing_alone(string shape)
    {
        using var cancellation = new CancellationTokenSource();
        IEnumerable<int> source = Source(shape, 1_000_000);
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 1, CancellationToken = cancellation.Token };
        int received = 0;

        var thrown = Assert.Throws<OperationCanceledException>(() =>
        {
            foreach (int x in source.ParallelSelect(x => x == 1_000 ? Cancel(cancellation, x) : x, options))
            {
                received++;
            }
        });

        Assert.Equal(cancellation.Token, thrown.CancellationToken);
        Assert.InRange(received, 1_001, 3_000); // soon after: far before the end
        if (source is ProbeSequence sequence)
        {
            Assert.Equal(1, sequence.Disposals);
        }

        static int Cancel(CancellationTokenSource cancellation, int x)
        {
            cancellation.Cancel();
            return x;
        }
    }

    // The second stage reads the first a batch at a time; the first stage's failure falls inside a batch: the results
    // before it in that batch still reach the caller, then its exception.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_first_stage_failure_inside_a_batch_comes_after_every_result_before_it(int degree)
    {
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = degree };
        int[] source = Enumerable.Range(0, 20_000).ToArray();
        var received = new List<int>();

        var thrown = Assert.Throws<SelectorFailedException>(() =>
        {
            foreach (int x in source.ParallelSelect(x => x == 3_001 ? throw new SelectorFailedException(x) : x, options).ParallelSelect(x => x, options))
            {
                received.Add(x);
            }
        });

        Assert.Equal(3_001, thrown.Item);
        Assert.Equal(Enumerable.Range(0, 3_001), received);
    }

    // While workers run, a selector failure on an item the enumerating thread computes leaves MoveNext as it was; the
    // next move (or Dispose) stops and joins the workers, and ends the results.
    [Fact]
    public void After_a_failure_in_the_consumers_own_chunk_the_next_move_joins_the_workers()
    {
        int consumer = Environment.CurrentManagedThreadId;
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, ChunkSize = 64 };
        IEnumerator<int> results = Enumerable.Range(0, 2_000_000).ToArray().ParallelSelect(
            x =>
            {
                Thread.SpinWait(200); // far above the cheap-selector threshold: the worker keeps running
                return Environment.CurrentManagedThreadId == consumer && x > 1_000 && x % 64 == 5 ? throw new SelectorFailedException(x) : x;
            },
            options).GetEnumerator();

        Assert.Throws<SelectorFailedException>(() =>
        {
            while (results.MoveNext())
            {
            }
        });

        Assert.False(results.MoveNext());
        Assert.Equal(0, ((ParallelSelectRun<int>)results).ActiveWorkerCount);
        results.Dispose();
    }

    [Fact]
    public void An_empty_sequence_runs_no_per_worker_initializer()
    {
        int inits = 0;

        List<int> results = new ProbeSequence(0).ParallelSelect(() => Interlocked.Increment(ref inits), (x, local) => x + local, Alone).ToList();

        Assert.Empty(results);
        Assert.Equal(0, inits);
    }

    [Fact]
    public void Per_worker_state_is_created_once_for_a_consumer_alone()
    {
        int inits = 0;
        var source = new ProbeSequence(5_000);

        List<int> results = source.ParallelSelect(() => Interlocked.Increment(ref inits), (x, local) => x + local, Alone).ToList();

        Assert.Equal(Enumerable.Range(1, 5_000), results);
        Assert.Equal(1, inits);
    }
}
