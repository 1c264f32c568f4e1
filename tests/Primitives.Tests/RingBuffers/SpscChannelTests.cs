using System.Threading.Channels;
using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>
/// What is particular to <see cref="SpscChannel.CreateBounded{T}(int)"/>: its capacity check and races between the
/// writer's completion and the reader's last read. The channel contract itself is tested by
/// <c>Channels/SpscBoundedChannelTests</c>, next to the framework's channels.
/// </summary>
public class SpscChannelTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(SpscRingBuffer<int>.MaxCapacity + 1)]
    [InlineData(int.MaxValue)]
    public void CreateBounded_refuses_a_capacity_out_of_range(int capacity)
    {
        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => SpscChannel.CreateBounded<int>(capacity));
        Assert.Equal("capacity", error.ParamName);
    }

    [Fact]
    public void CreateBounded_holds_exactly_its_capacity()
    {
        Channel<int> channel = SpscChannel.CreateBounded<int>(3);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(channel.Writer.TryWrite(2));
        Assert.True(channel.Writer.TryWrite(3));
        Assert.False(channel.Writer.TryWrite(4));
        Assert.Equal(3, channel.Reader.Count);
        Assert.False(channel.GetType().IsPublic); // the concrete type stays hidden behind the factory
    }

    [Fact]
    public async Task ReadAllAsync_moves_a_million_items_between_two_flows()
    {
        const int count = 1_000_000;
        var channel = SpscChannel.CreateBounded<int>(256);
        Task producer = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                if (!channel.Writer.TryWrite(i))
                {
                    await channel.Writer.WriteAsync(i);
                }
            }

            channel.Writer.Complete();
        });
        long received = 0;
        await foreach (int item in channel.Reader.ReadAllAsync().WithCancellation(CancellationToken.None))
        {
            Assert.Equal(received++, item);
        }

        await producer.WaitAsync(HangGuard);
        Assert.Equal(count, received);
        await channel.Reader.Completion.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task Completion_is_never_missed_when_the_last_read_races_the_complete()
    {
        // The writer completes right after its last write while the reader takes that item: whichever
        // of the two sees "completed and empty" completes Reader.Completion. Many short races.
        for (int round = 0; round < 1_000; round++)
        {
            var channel = SpscChannel.CreateBounded<int>(1);
            TwoThreads.Run(
                () =>
                {
                    Assert.True(channel.Writer.TryWrite(round));
                    channel.Writer.Complete();
                },
                () =>
                {
                    int item;
                    while (!channel.Reader.TryRead(out item))
                    {
                        Thread.Yield();
                    }

                    Assert.Equal(round, item);
                });
            await channel.Reader.Completion.WaitAsync(HangGuard); // a missed completion times out here
        }
    }
}
