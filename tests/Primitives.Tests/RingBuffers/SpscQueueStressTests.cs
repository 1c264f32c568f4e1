using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>
/// Two real threads move many items through one <see cref="SpscQueue{T}"/>: the consumer checks order and sum, and
/// the producer ends with Complete. Tiny segments put a hand-over (link, leave, spare reuse) every few items.
/// </summary>
public class SpscQueueStressTests
{
    private const int Many = 10_000_000;
    private const int Million = 1_000_000;

    public static TheoryData<int, int> Shapes => new() { { 4, 4 }, { SpscQueue<long>.MinSegmentLength, 1 << 13 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Blocking_single_items(int first, int max)
    {
        var queue = new SpscQueue<long>(first, max);
        long received = 0, sum = 0;
        TwoThreads.Run(
            () =>
            {
                for (long i = 0; i < Many; i++)
                {
                    queue.Write(i);
                }

                queue.Complete();
            },
            () =>
            {
                while (queue.WaitToRead())
                {
                    while (queue.TryRead(out long item))
                    {
                        Assert.Equal(received, item);
                        received++;
                        sum += item;
                    }
                }
            });
        Assert.Equal(Many, received);
        Assert.Equal((long)Many * (Many - 1) / 2, sum);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Batches_and_read_spans(int first, int max)
    {
        var queue = new SpscQueue<long>(first, max);
        long received = 0, sum = 0;
        TwoThreads.Run(
            () =>
            {
                var chunk = new long[97];
                long next = 0;
                while (next < Many)
                {
                    int length = (int)Math.Min(1 + (next % chunk.Length), Many - next);
                    for (int i = 0; i < length; i++)
                    {
                        chunk[i] = next + i;
                    }

                    queue.WriteBatch(chunk.AsSpan(0, length));
                    next += length;
                }

                queue.Complete();
            },
            () => (received, sum) = SpanReads.DrainInOrder(new QueueReader<long>(queue), 32));
        Assert.Equal(Many, received);
        Assert.Equal((long)Many * (Many - 1) / 2, sum);
    }

    [Theory]
    [InlineData(4, 4, Million)]
    [InlineData(SpscQueue<long>.MinSegmentLength, 1 << 13, Many)]
    public async Task Async_reads(int first, int max, int items)
    {
        var queue = new SpscQueue<long>(first, max);
        Task producer = Task.Run(async () =>
        {
            for (long i = 0; i < items; i++)
            {
                Assert.True(await queue.WaitToWriteAsync());
                queue.Write(i);
            }

            queue.Complete();
        });
        Task consumer = Task.Run(async () =>
        {
            long received = 0;
            while (await queue.WaitToReadAsync())
            {
                if (received % 2 == 0)
                {
                    Assert.Equal(received++, await queue.ReadAsync());
                }
                else
                {
                    ReadOnlyMemory<long> run = queue.GetReadMemory();
                    for (int i = 0; i < run.Length; i++)
                    {
                        Assert.Equal(received++, run.Span[i]);
                    }

                    queue.AdvanceRead(run.Length);
                }
            }

            Assert.Equal(items, received);
            await Assert.ThrowsAsync<InvalidOperationException>(() => queue.ReadAsync().AsTask());
        });
        await Task.WhenAll(new[] { producer, consumer }).WaitAsync(TwoThreads.Timeout);
    }

    [Fact]
    public void Reference_items_arrive_in_order()
    {
        var queue = new SpscQueue<string>(3, 3);
        TwoThreads.Run(
            () =>
            {
                for (int i = 0; i < Million; i++)
                {
                    queue.Write(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                queue.Complete();
            },
            () =>
            {
                int expected = 0;
                while (queue.WaitToRead())
                {
                    while (queue.TryRead(out string? item))
                    {
                        Assert.Equal(expected++.ToString(System.Globalization.CultureInfo.InvariantCulture), item);
                    }
                }

                Assert.Equal(Million, expected);
            });
    }
}
