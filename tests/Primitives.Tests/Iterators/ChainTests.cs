using Primitives.Iterators;

namespace Primitives.Tests.Iterators;

/// <summary>
/// Chains (docs/parallel-select.md, "Chains"): a <c>ParallelSelect</c> whose source is another one reads the first
/// stage's results a batch at a time (<see cref="IBatchEnumerator{T}"/>); the results, their order and the failures must
/// be those of reading item by item.
/// </summary>
public class ChainTests
{
    public static TheoryData<int, int, int> Stages => new()
    {
        // degree, chunk size of the second stage (0 = growing), buffer size
        { 1, 0, 4096 },
        { 2, 0, 4096 },
        { 2, 3, 2 },
        { 3, 7, 5 },
        { 4, 0, 64 },
        { 2, 1000, 4096 },
    };

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(3, 1)]
    [InlineData(2, 5)]
    public void ReadBatch_hands_over_what_MoveNext_would(int degree, int chunkSize)
    {
        const int count = 10_007;
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = degree, ChunkSize = chunkSize, BufferSize = 16 };
        using IEnumerator<long> enumerator = Enumerable.Range(0, count).ParallelSelect(x => (long)x * 3, options).GetEnumerator();
        var batches = (IBatchEnumerator<long>)enumerator;
        var random = new Random(degree * 31 + chunkSize);
        var results = new List<long>();
        var buffer = new long[200];
        while (true)
        {
            int wanted = random.Next(0, buffer.Length + 1);
            int copied = batches.ReadBatch(buffer.AsSpan(0, wanted));
            Assert.InRange(copied, 0, wanted);
            if (copied == 0 && wanted > 0)
            {
                break;
            }

            results.AddRange(buffer.AsSpan(0, copied).ToArray());
            if (copied > 0)
            {
                Assert.Equal(buffer[copied - 1], enumerator.Current);
            }

            if (random.Next(4) == 0 && enumerator.MoveNext())
            {
                results.Add(enumerator.Current); // item-by-item moves mixed with batches
            }
        }

        Assert.Equal(Enumerable.Range(0, count).Select(x => (long)x * 3), results);
        Assert.False(enumerator.MoveNext());
    }

    [Theory]
    [MemberData(nameof(Stages))]
    public void A_chain_yields_every_result_in_order(int degree, int chunkSize, int bufferSize)
    {
        const int count = 30_011;
        var first = new ParallelSelectOptions { MaxDegreeOfParallelism = degree, BufferSize = bufferSize };
        var second = new ParallelSelectOptions { MaxDegreeOfParallelism = degree, ChunkSize = chunkSize, BufferSize = bufferSize };
        List<long> results = Enumerable.Range(0, count).ToList()
            .ParallelSelect(x => (long)x * 2, first)
            .ParallelSelect(x => x + 1, second)
            .ParallelSelect(x => x * 5, second)
            .ToList();

        Assert.Equal(Enumerable.Range(0, count).Select(x => (((long)x * 2) + 1) * 5), results);
    }

    // A first-stage failure (selector or source) at item k: the second stage yields exactly the results of items
    // before k, in order, then throws the same exception object.
    [Theory]
    [MemberData(nameof(Stages))]
    public void A_first_stage_failure_comes_out_after_the_results_before_it(int degree, int chunkSize, int bufferSize)
    {
        const int count = 5_000;
        foreach (int failing in new[] { 0, 1, 63, 64, 65, 1500, count - 1 })
        {
            foreach (bool sourceFails in new[] { false, true })
            {
                var failure = new InvalidOperationException($"item {failing}");
                var first = new ParallelSelectOptions { MaxDegreeOfParallelism = degree, BufferSize = bufferSize };
                var second = new ParallelSelectOptions { MaxDegreeOfParallelism = degree, ChunkSize = chunkSize, BufferSize = bufferSize };
                IEnumerable<int> source = sourceFails ? new ProbeSequence(count, throwAt: failing) : Enumerable.Range(0, count);
                IEnumerable<int> chain = source
                    .ParallelSelect(x => !sourceFails && x == failing ? throw failure : x, first)
                    .ParallelSelect(x => x + 1, second);
                var results = new List<int>();
                Exception? error = Record.Exception(() =>
                {
                    foreach (int result in chain)
                    {
                        results.Add(result);
                    }
                });

                Assert.Equal(Enumerable.Range(1, failing), results);
                if (sourceFails)
                {
                    Assert.Equal(failing, Assert.IsType<SourceFailedException>(error).Position);
                }
                else
                {
                    Assert.Same(failure, error);
                }
            }
        }
    }

    // The first stage fails on an item the caller never reaches: with two threads the second stage, reading 100 items at
    // once, has already met the failure when the caller breaks after two results (one thread reads on in short
    // stretches, and may not get there; the outcome must be the same). A sequential chain would never run the selector
    // on that item, and its disposal would throw the source's Dispose exception: so must this one.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Breaking_before_a_first_stage_failure_still_throws_the_sources_Dispose_exception(int degree)
    {
        for (int run = 0; run < 20; run++)
        {
            var source = new DisposeFailingSequence(1_000);
            var options = new ParallelSelectOptions { MaxDegreeOfParallelism = degree };
            IEnumerable<int> chain = source
                .ParallelSelect(x => x == 50 ? throw new SelectorFailedException(x) : x, options)
                .ParallelSelect(x => x, new ParallelSelectOptions { MaxDegreeOfParallelism = degree, ChunkSize = 100 });
            var results = new List<int>();
            Exception? error = Record.Exception(() =>
            {
                foreach (int result in chain)
                {
                    results.Add(result);
                    if (results.Count == 2)
                    {
                        break;
                    }
                }
            });

            Assert.Same(source.Failure, error);
            Assert.Equal([0, 1], results);
            Assert.Equal(1, source.Disposals);
        }
    }

    // Reaching that failure, the caller sees it, and the disposal's exception is dropped (the failure that ended the
    // run wins).
    [Fact]
    public void Reaching_a_first_stage_failure_throws_it_and_not_the_sources_Dispose_exception()
    {
        var source = new DisposeFailingSequence(1_000);
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2 };
        var results = new List<int>();

        var thrown = Assert.Throws<SelectorFailedException>(() =>
        {
            foreach (int result in source.ParallelSelect(x => x == 50 ? throw new SelectorFailedException(x) : x, options).ParallelSelect(x => x, options))
            {
                results.Add(result);
            }
        });

        Assert.Equal(50, thrown.Item);
        Assert.Equal(Enumerable.Range(0, 50), results);
        Assert.Equal(1, source.Disposals);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_chain_throws_its_sources_Dispose_exception_also_when_the_loop_breaks(bool breakEarly)
    {
        for (int run = 0; run < 20; run++)
        {
            var source = new DisposeFailingSequence(10);
            var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 1 };
            IEnumerable<int> chain = source.ParallelSelect(x => x, options).ParallelSelect(x => x, new ParallelSelectOptions { MaxDegreeOfParallelism = 1, ChunkSize = 100 }); // the second stage reads the first to its end at once
            var results = new List<int>();
            Exception? error = Record.Exception(() =>
            {
                foreach (int result in chain)
                {
                    results.Add(result);
                    if (breakEarly)
                    {
                        break;
                    }
                }
            });

            Assert.Same(source.Failure, error); // as a sequential chain's disposal would throw it
            Assert.Equal(breakEarly ? [0] : Enumerable.Range(0, 10), results);
            Assert.Equal(1, source.Disposals);
        }
    }
}
