using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>
/// Two real threads move many items through the span members of <see cref="SpscRingBuffer{T}"/>, with spans of
/// varying length so that every span boundary meets the wrap point sooner or later; the consumer checks order
/// and sum, and the producer ends with Complete.
/// </summary>
public class SpscRingBufferSpanStressTests
{
    private const int Many = 10_000_000;
    private const int Million = 1_000_000;

    [Theory]
    [InlineData(1024)]
    [InlineData(1000)]
    [InlineData(1)]
    public void Blocking_spans(int capacity)
    {
        int items = capacity == 1 ? Million / 10 : Many;
        var ring = new SpscRingBuffer<long>(capacity);
        long received = 0, sum = 0;
        TwoThreads.Run(
            () =>
            {
                long next = 0;
                while (next < items)
                {
                    int want = (int)Math.Min(1 + (next % 64), items - next);
                    Assert.True(ring.WaitToWrite(Math.Min(want, capacity)));
                    Span<long> free = ring.GetWriteSpan(want);
                    Assert.NotEqual(0, free.Length);
                    int count = Math.Min(free.Length, want);
                    for (int i = 0; i < count; i++)
                    {
                        free[i] = next + i;
                    }

                    ring.AdvanceWrite(count);
                    next += count;
                }

                ring.Complete();
            },
            () => (received, sum) = SpanReads.DrainInOrder(new RingReader<long>(ring), Math.Min(32, capacity)));
        Assert.Equal(items, received);
        Assert.Equal((long)items * (items - 1) / 2, sum);
    }

    [Theory]
    [InlineData(1024, Many)]
    [InlineData(7, Million)]
    public async Task Async_spans(int capacity, int items)
    {
        var ring = new SpscRingBuffer<long>(capacity);
        Task producer = Task.Run(async () =>
        {
            long next = 0;
            while (next < items)
            {
                Assert.True(await ring.WaitToWriteAsync(1));
                Memory<long> free = ring.GetWriteMemory(16);
                int count = (int)Math.Min(free.Length, items - next);
                for (int i = 0; i < count; i++)
                {
                    free.Span[i] = next + i;
                }

                ring.AdvanceWrite(count);
                next += count;
            }

            ring.Complete();
        });
        Task consumer = Task.Run(async () =>
        {
            long received = 0;
            while (await ring.WaitToReadAsync(Math.Min(4, capacity)))
            {
                ReadOnlyMemory<long> run = ring.GetReadMemory();
                for (int i = 0; i < run.Length; i++)
                {
                    Assert.Equal(received++, run.Span[i]);
                }

                ring.AdvanceRead(run.Length);
            }

            Assert.Equal(items, received);
        });
        await Task.WhenAll(new[] { producer, consumer }).WaitAsync(TwoThreads.Timeout);
    }

    [Fact]
    public void Reference_items_through_spans_arrive_in_order()
    {
        var ring = new SpscRingBuffer<string>(100);
        const int Count = Million;
        TwoThreads.Run(
            () =>
            {
                int next = 0;
                while (next < Count)
                {
                    ring.WaitToWrite();
                    Span<string> free = ring.GetWriteSpan(10);
                    int count = Math.Min(free.Length, Count - next);
                    for (int i = 0; i < count; i++)
                    {
                        free[i] = (next + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }

                    ring.AdvanceWrite(count);
                    next += count;
                }

                ring.Complete();
            },
            () =>
            {
                int expected = 0;
                while (ring.WaitToRead())
                {
                    ReadOnlySpan<string> run = ring.GetReadSpan();
                    foreach (string item in run)
                    {
                        Assert.Equal(expected++.ToString(System.Globalization.CultureInfo.InvariantCulture), item);
                    }

                    ring.AdvanceRead(run.Length);
                }

                Assert.Equal(Count, expected);
            });
    }
}
