using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>
/// A real producer thread and a real consumer thread move many items through one ring; the consumer
/// checks that every item arrives once, in order (which also checks the sum), and the producer ends
/// with Complete so that the consumer's end-of-stream detection is exercised too.
/// </summary>
public class SpscRingBufferStressTests
{
    private const int Many = 10_000_000;
    private const int Million = 1_000_000;

    private sealed class Box(long value)
    {
        public long Value { get; } = value;
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(1000)]
    public void NonBlocking_single_items(int capacity)
    {
        var ring = new SpscRingBuffer<long>(capacity);
        long received = 0, sum = 0;
        TwoThreads.Run(
            () =>
            {
                var spinner = default(SpinWait);
                for (long i = 0; i < Many; i++)
                {
                    while (!ring.TryWrite(i))
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }

                ring.Complete();
            },
            () =>
            {
                var spinner = default(SpinWait);
                while (true)
                {
                    if (ring.TryRead(out long item))
                    {
                        Assert.Equal(received, item);
                        received++;
                        sum += item;
                    }
                    else if (ring.IsCompleted && !ring.TryPeek(out _))
                    {
                        break;
                    }
                    else
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }
            });
        Assert.Equal(Many, received);
        Assert.Equal((long)Many * (Many - 1) / 2, sum);
    }

    [Fact]
    public void NonBlocking_batches_of_varying_size()
    {
        var ring = new SpscRingBuffer<int>(1000);
        long received = 0;
        TwoThreads.Run(
            () =>
            {
                var chunk = new int[97];
                var spinner = default(SpinWait);
                int next = 0;
                while (next < Many)
                {
                    int length = Math.Min(1 + (next % chunk.Length), Many - next);
                    for (int i = 0; i < length; i++)
                    {
                        chunk[i] = next + i;
                    }

                    int written = ring.TryWriteBatch(chunk.AsSpan(0, length));
                    next += written;
                    if (written == 0)
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }

                ring.Complete();
            },
            () =>
            {
                var destination = new int[61];
                var spinner = default(SpinWait);
                while (true)
                {
                    int read = ring.TryReadBatch(destination.AsSpan(0, 1 + (int)(received % destination.Length)));
                    for (int i = 0; i < read; i++)
                    {
                        Assert.Equal(received++, destination[i]);
                    }

                    if (read == 0)
                    {
                        if (!ring.WaitToRead())
                        {
                            break;
                        }

                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }
            });
        Assert.Equal(Many, received);
    }

    [Fact]
    public void NonBlocking_reference_items()
    {
        var ring = new SpscRingBuffer<Box>(256);
        long received = 0;
        TwoThreads.Run(
            () =>
            {
                for (long i = 0; i < Million; i++)
                {
                    var box = new Box(i);
                    while (!ring.TryWrite(box))
                    {
                        Thread.Yield();
                    }
                }

                ring.Complete();
            },
            () =>
            {
                while (ring.WaitToRead())
                {
                    while (ring.TryRead(out Box? box))
                    {
                        Assert.Equal(received++, box.Value);
                    }
                }
            });
        Assert.Equal(Million, received);
    }

    [Theory]
    [InlineData(64, Many)]
    [InlineData(1, Million / 10)] // every item is a hand-off: the park/wake path is taken constantly
    public void Blocking_single_items(int capacity, int count)
    {
        var ring = new SpscRingBuffer<int>(capacity);
        long received = 0;
        TwoThreads.Run(
            () =>
            {
                for (int i = 0; i < count; i++)
                {
                    ring.Write(i);
                }

                ring.Complete();
            },
            () =>
            {
                while (ring.WaitToRead())
                {
                    Assert.Equal(received++, ring.Read());
                }

                Assert.Throws<InvalidOperationException>(() => ring.Read());
            });
        Assert.Equal(count, received);
    }

    [Fact]
    public void Blocking_reference_items()
    {
        var ring = new SpscRingBuffer<Box>(100);
        long received = 0;
        TwoThreads.Run(
            () =>
            {
                for (long i = 0; i < Million; i++)
                {
                    ring.Write(new Box(i));
                }

                ring.Complete();
            },
            () =>
            {
                while (true)
                {
                    Box box;
                    try
                    {
                        box = ring.Read();
                    }
                    catch (InvalidOperationException) when (ring.IsCompleted)
                    {
                        break;
                    }

                    Assert.Equal(received++, box.Value);
                }
            });
        Assert.Equal(Million, received);
    }

    [Fact]
    public void Blocking_batches()
    {
        var ring = new SpscRingBuffer<int>(100);
        long received = 0;
        TwoThreads.Run(
            () =>
            {
                var chunk = new int[64];
                for (int next = 0; next < Many; next += chunk.Length)
                {
                    int length = Math.Min(chunk.Length, Many - next);
                    for (int i = 0; i < length; i++)
                    {
                        chunk[i] = next + i;
                    }

                    ring.WriteBatch(chunk.AsSpan(0, length));
                }

                ring.Complete();
            },
            () =>
            {
                var destination = new int[50];
                while (ring.WaitToRead())
                {
                    int read = ring.TryReadBatch(destination);
                    Assert.True(read > 0, "WaitToRead returned true, so an item must be there");
                    for (int i = 0; i < read; i++)
                    {
                        Assert.Equal(received++, destination[i]);
                    }
                }
            });
        Assert.Equal(Many, received);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(1)]
    public async Task Async_single_items(int capacity)
    {
        int count = capacity == 1 ? Million / 10 : Million;
        var ring = new SpscRingBuffer<int>(capacity);
        Task producer = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                await ring.WriteAsync(i);
            }

            ring.Complete();
        });
        Task<long> consumer = Task.Run(async () =>
        {
            long received = 0;
            while (await ring.WaitToReadAsync())
            {
                Assert.Equal(received++, await ring.ReadAsync());
            }

            await Assert.ThrowsAsync<InvalidOperationException>(() => ring.ReadAsync().AsTask());
            return received;
        });
        await Task.WhenAll(new[] { producer, consumer }).WaitAsync(TwoThreads.Timeout);
        Assert.Equal(count, await consumer);
    }

    [Fact]
    public async Task Async_reference_items()
    {
        var ring = new SpscRingBuffer<Box>(128);
        Task producer = Task.Run(async () =>
        {
            for (long i = 0; i < Million; i++)
            {
                if (!ring.TryWrite(new Box(i)))
                {
                    Assert.True(await ring.WaitToWriteAsync());
                    i--; // retry the same sequence
                }
            }

            ring.Complete();
        });
        Task<long> consumer = Task.Run(async () =>
        {
            long received = 0;
            while (await ring.WaitToReadAsync())
            {
                while (ring.TryRead(out Box? box))
                {
                    Assert.Equal(received++, box.Value);
                }
            }

            return received;
        });
        await Task.WhenAll(new[] { producer, consumer }).WaitAsync(TwoThreads.Timeout);
        Assert.Equal(Million, await consumer);
    }
}
