using System.Threading.Channels;
using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>The Channel adapter behaves like a bounded SingleReader/SingleWriter channel.</summary>
public class SpscChannelTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Reads_and_writes_in_order_up_to_capacity()
    {
        var channel = SpscChannel.CreateBounded<int>(3);
        ChannelReader<int> reader = channel.Reader;
        ChannelWriter<int> writer = channel.Writer;
        Assert.True(reader.CanCount);
        Assert.True(reader.CanPeek);
        Assert.False(reader.TryPeek(out _));

        Assert.True(writer.TryWrite(1));
        await writer.WriteAsync(2);
        Assert.True(await writer.WaitToWriteAsync());
        Assert.True(writer.TryWrite(3));
        Assert.False(writer.TryWrite(4));
        Assert.Equal(3, reader.Count);

        Task pending = writer.WriteAsync(4).AsTask();
        Assert.False(pending.IsCompleted);
        Assert.True(reader.TryPeek(out int head));
        Assert.Equal(1, head);
        Assert.True(reader.TryRead(out int first));
        Assert.Equal(1, first);
        await pending.WaitAsync(HangGuard);

        Assert.True(await reader.WaitToReadAsync());
        Assert.Equal(2, await reader.ReadAsync());
        Assert.Equal(3, await reader.ReadAsync());
        Assert.Equal(4, await reader.ReadAsync());
        Assert.Equal(0, reader.Count);
        Assert.False(reader.Completion.IsCompleted);
    }

    [Fact]
    public async Task Completion_waits_for_the_last_read()
    {
        var channel = SpscChannel.CreateBounded<int>(4);
        channel.Writer.TryWrite(1);
        channel.Writer.TryWrite(2);
        Assert.True(channel.Writer.TryComplete());
        Assert.False(channel.Writer.TryComplete());

        Assert.False(channel.Writer.TryWrite(3));
        Assert.False(await channel.Writer.WaitToWriteAsync());
        await Assert.ThrowsAsync<ChannelClosedException>(() => channel.Writer.WriteAsync(3).AsTask());

        Assert.False(channel.Reader.Completion.IsCompleted);
        Assert.True(channel.Reader.TryRead(out int one));
        Assert.Equal(1, one);
        Assert.False(channel.Reader.Completion.IsCompleted);
        Assert.Equal(2, await channel.Reader.ReadAsync());
        await channel.Reader.Completion.WaitAsync(HangGuard);
        Assert.True(channel.Reader.Completion.IsCompletedSuccessfully);

        Assert.False(await channel.Reader.WaitToReadAsync());
        await Assert.ThrowsAsync<ChannelClosedException>(() => channel.Reader.ReadAsync().AsTask());
    }

    [Fact]
    public async Task Completing_an_empty_channel_completes_the_reader_at_once()
    {
        var channel = SpscChannel.CreateBounded<string>(1);
        Task<bool> waiting = channel.Reader.WaitToReadAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        channel.Writer.Complete();
        Assert.False(await waiting.WaitAsync(HangGuard));
        await channel.Reader.Completion.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task A_completion_error_surfaces_as_channels_do()
    {
        var channel = SpscChannel.CreateBounded<int>(2);
        var error = new FormatException("producer failed");
        channel.Writer.TryWrite(1);
        Assert.True(channel.Writer.TryComplete(error));

        Assert.Same(error, await Assert.ThrowsAsync<FormatException>(() => channel.Writer.WaitToWriteAsync().AsTask()));
        ChannelClosedException writeError = await Assert.ThrowsAsync<ChannelClosedException>(() => channel.Writer.WriteAsync(2).AsTask());
        Assert.Same(error, writeError.InnerException);

        Assert.Equal(1, await channel.Reader.ReadAsync()); // items written before the error are still delivered
        Assert.Same(error, await Assert.ThrowsAsync<FormatException>(() => channel.Reader.WaitToReadAsync().AsTask()));
        ChannelClosedException readError = await Assert.ThrowsAsync<ChannelClosedException>(() => channel.Reader.ReadAsync().AsTask());
        Assert.Same(error, readError.InnerException);
        Assert.Same(error, await Assert.ThrowsAsync<FormatException>(() => channel.Reader.Completion.WaitAsync(HangGuard)));
    }

    [Fact]
    public async Task A_cancellation_error_cancels_the_completion()
    {
        var channel = SpscChannel.CreateBounded<int>(2);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        channel.Writer.Complete(new OperationCanceledException(cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.Reader.Completion.WaitAsync(HangGuard));
        Assert.True(channel.Reader.Completion.IsCanceled);
        Task<int> read = channel.Reader.ReadAsync().AsTask();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }

    [Fact]
    public async Task A_pending_read_is_released_by_completion_with_an_error()
    {
        var channel = SpscChannel.CreateBounded<int>(2);
        Task<int> read = channel.Reader.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);
        var error = new InvalidTimeZoneException();
        channel.Writer.Complete(error);
        ChannelClosedException closed = await Assert.ThrowsAsync<ChannelClosedException>(() => read.WaitAsync(HangGuard));
        Assert.Same(error, closed.InnerException);
    }

    [Fact]
    public async Task Cancelling_a_pending_read_loses_no_item()
    {
        var channel = SpscChannel.CreateBounded<int>(2);
        using var cts = new CancellationTokenSource();
        Task<int> read = channel.Reader.ReadAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(HangGuard));
        Assert.True(channel.Writer.TryWrite(7));
        Assert.Equal(7, await channel.Reader.ReadAsync());
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
