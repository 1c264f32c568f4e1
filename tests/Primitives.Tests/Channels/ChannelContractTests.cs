// The contract tests inspect ValueTasks without awaiting them, read them early and twice, and block on them on
// purpose: that is the contract under test.
#pragma warning disable CA2012 // ValueTasks are inspected and misused on purpose
#pragma warning disable xUnit1030 // ConfigureAwait(false) on an awaiter is one of the registrations under test
#pragma warning disable xUnit1031 // blocking GetResult is one of the operations under test

using System.Threading.Channels;

namespace Primitives.Tests.Channels;

/// <summary>
/// The <see cref="Channel{T}"/> contract for one writer and one reader, run against the framework's channels and
/// ours alike: a fixture per implementation derives from this class (bounded ones from
/// <see cref="BoundedChannelContractTests"/>). A test whose name starts with "Deviation" asserts a documented
/// difference of our channels (docs/channels.md, "Deviations"); every other test holds for all of them.
/// </summary>
public abstract partial class ChannelContractTests
{
    /// <summary>Guards awaits that a broken channel would leave hanging; never a speed assertion.</summary>
    protected static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>
    /// True for the framework's channels: the write or completion that satisfies a parked operation completes that
    /// operation before it returns (only the continuation runs later). Ours complete it a thread-pool hop later.
    /// </summary>
    protected abstract bool CompletesParkedOperationsWithinTheWrite { get; }

    /// <summary>A new, empty channel that holds at least 16 items without making the writer wait.</summary>
    protected abstract Channel<T> CreateChannel<T>();

    [Fact]
    public void The_channel_is_its_own_reader_and_writer()
    {
        Channel<int> channel = CreateChannel<int>();
        ChannelReader<int> reader = channel;
        ChannelWriter<int> writer = channel;
        Assert.Same(channel.Reader, reader);
        Assert.Same(channel.Writer, writer);
    }

    [Fact]
    public void TryWrite_and_TryRead_keep_the_order_and_the_count()
    {
        Channel<int> channel = CreateChannel<int>();
        Assert.True(channel.Reader.CanPeek);
        Assert.False(channel.Reader.TryRead(out int none));
        Assert.Equal(0, none);
        Assert.False(channel.Reader.TryPeek(out none));
        Assert.Equal(0, none);

        for (int item = 1; item <= 10; item++)
        {
            Assert.True(channel.Writer.TryWrite(item));
            AssertCount(channel, item);
        }

        for (int item = 1; item <= 10; item++)
        {
            Assert.True(channel.Reader.TryPeek(out int peeked));
            Assert.Equal(item, peeked);
            Assert.True(channel.Reader.TryRead(out int read));
            Assert.Equal(item, read);
            AssertCount(channel, 10 - item);
        }

        Assert.False(channel.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Synchronous_paths_complete_synchronously()
    {
        Channel<int> channel = CreateChannel<int>();
        Assert.True(channel.Writer.WaitToWriteAsync().IsCompletedSuccessfully);
        ValueTask write = channel.Writer.WriteAsync(1);
        Assert.True(write.IsCompletedSuccessfully);
        ValueTask<bool> wait = channel.Reader.WaitToReadAsync();
        Assert.True(wait.IsCompletedSuccessfully);
        Assert.True(await wait);
        ValueTask<int> read = channel.Reader.ReadAsync();
        Assert.True(read.IsCompletedSuccessfully);
        Assert.Equal(1, await read);
    }

    [Fact]
    public async Task Completion_is_one_task_that_completes_once_the_items_are_read()
    {
        Channel<int> channel = CreateChannel<int>();
        Task completion = channel.Reader.Completion;
        Assert.Same(completion, channel.Reader.Completion);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(channel.Writer.TryWrite(2));
        channel.Writer.Complete();
        Assert.Same(completion, channel.Reader.Completion);
        Assert.False(completion.IsCompleted);

        Assert.True(channel.Reader.TryPeek(out int peeked));
        Assert.Equal(1, peeked);
        Assert.True(channel.Reader.TryRead(out _));
        Assert.False(completion.IsCompleted);
        Assert.Equal(2, await channel.Reader.ReadAsync());
        await completion.WaitAsync(HangGuard);
        Assert.True(completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Completing_an_empty_channel_completes_the_reader_at_once()
    {
        Channel<int> channel = CreateChannel<int>();
        channel.Writer.Complete();
        await channel.Reader.Completion.WaitAsync(HangGuard);
        Assert.False(channel.Reader.TryRead(out _));
        Assert.False(channel.Reader.TryPeek(out _));
    }

    [Fact]
    public void Completing_twice_throws_and_TryComplete_reports_it()
    {
        Channel<int> channel = CreateChannel<int>();
        Assert.True(channel.Writer.TryComplete());
        Assert.False(channel.Writer.TryComplete());
        Assert.False(channel.Writer.TryComplete(new FormatException()));
        Assert.Throws<ChannelClosedException>(() => channel.Writer.Complete());
    }

    [Fact]
    public async Task A_completion_error_faults_Completion_with_that_exception()
    {
        Channel<int> channel = CreateChannel<int>();
        var error = new FormatException("the writer failed");
        Assert.True(channel.Writer.TryWrite(1));
        channel.Writer.Complete(error);
        Assert.False(channel.Reader.Completion.IsCompleted);
        Assert.Equal(1, await channel.Reader.ReadAsync()); // items written before the error are still delivered
        Assert.Same(error, await Assert.ThrowsAsync<FormatException>(() => channel.Reader.Completion.WaitAsync(HangGuard)));
    }

    [Fact]
    public async Task An_OperationCanceledException_error_cancels_Completion_and_is_what_reads_and_writes_throw()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var error = new OperationCanceledException(cts.Token);
        Channel<int> channel = CreateChannel<int>();
        channel.Writer.Complete(error);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.Reader.Completion.WaitAsync(HangGuard));
        Assert.True(channel.Reader.Completion.IsCanceled);
        Assert.Equal(cts.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.Reader.Completion)).CancellationToken);
        Assert.Equal(cts.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await channel.Reader.ReadAsync())).CancellationToken);
        Assert.Equal(cts.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await channel.Writer.WriteAsync(1))).CancellationToken);
        Assert.Equal(cts.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await channel.Reader.WaitToReadAsync())).CancellationToken);
        Assert.Equal(cts.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await channel.Writer.WaitToWriteAsync())).CancellationToken);
    }

    [Fact]
    public async Task After_completion_writes_fail_and_waits_report_the_end()
    {
        Channel<int> channel = CreateChannel<int>();
        channel.Writer.Complete();
        Assert.False(channel.Writer.TryWrite(1));
        ValueTask<bool> waitToWrite = channel.Writer.WaitToWriteAsync();
        Assert.True(waitToWrite.IsCompletedSuccessfully);
        Assert.False(await waitToWrite);
        ValueTask<bool> waitToRead = channel.Reader.WaitToReadAsync();
        Assert.True(waitToRead.IsCompletedSuccessfully);
        Assert.False(await waitToRead);
        await Assert.ThrowsAsync<ChannelClosedException>(async () => await channel.Writer.WriteAsync(1));
        await Assert.ThrowsAsync<ChannelClosedException>(async () => await channel.Reader.ReadAsync());
    }

    [Fact]
    public async Task After_completion_with_an_error_waits_throw_it_and_reads_and_writes_wrap_it()
    {
        Channel<int> channel = CreateChannel<int>();
        var error = new FormatException("the writer failed");
        Assert.True(channel.Writer.TryWrite(1));
        channel.Writer.Complete(error);

        Assert.Same(error, await Assert.ThrowsAsync<FormatException>(async () => await channel.Writer.WaitToWriteAsync()));
        Assert.Same(error, (await Assert.ThrowsAsync<ChannelClosedException>(async () => await channel.Writer.WriteAsync(2))).InnerException);

        Assert.True(await channel.Reader.WaitToReadAsync()); // the item comes first
        Assert.Equal(1, await channel.Reader.ReadAsync());
        Assert.Same(error, await Assert.ThrowsAsync<FormatException>(async () => await channel.Reader.WaitToReadAsync()));
        Assert.Same(error, (await Assert.ThrowsAsync<ChannelClosedException>(async () => await channel.Reader.ReadAsync())).InnerException);
    }

    [Fact]
    public async Task A_parked_WaitToReadAsync_completes_on_a_write()
    {
        Channel<int> channel = CreateChannel<int>();
        ValueTask<bool> wait = channel.Reader.WaitToReadAsync();
        Assert.False(wait.IsCompleted);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(await wait.AsTask().WaitAsync(HangGuard));
        Assert.True(channel.Reader.TryRead(out int item));
        Assert.Equal(1, item);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_parked_WaitToReadAsync_ends_on_completion(bool withError)
    {
        Channel<int> channel = CreateChannel<int>();
        Task<bool> wait = channel.Reader.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);
        var error = new FormatException();
        channel.Writer.Complete(withError ? error : null);
        if (withError)
        {
            Assert.Same(error, await Assert.ThrowsAsync<FormatException>(() => wait.WaitAsync(HangGuard)));
        }
        else
        {
            Assert.False(await wait.WaitAsync(HangGuard));
        }
    }

    [Fact]
    public async Task A_parked_ReadAsync_gets_the_next_write()
    {
        Channel<int> channel = CreateChannel<int>();
        ValueTask<int> read = channel.Reader.ReadAsync();
        Assert.False(read.IsCompleted);
        ValueTask write = channel.Writer.WriteAsync(42);
        Assert.True(write.IsCompletedSuccessfully);
        Assert.Equal(42, await read.AsTask().WaitAsync(HangGuard));
        AssertCount(channel, 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_parked_ReadAsync_fails_with_ChannelClosedException_on_completion(bool withError)
    {
        Channel<int> channel = CreateChannel<int>();
        Task<int> read = channel.Reader.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);
        var error = new FormatException();
        channel.Writer.Complete(withError ? error : null);
        ChannelClosedException closed = await Assert.ThrowsAsync<ChannelClosedException>(() => read.WaitAsync(HangGuard));
        Assert.Same(withError ? error : null, closed.InnerException);
        await channel.Reader.Completion.ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(HangGuard);
    }

    [Fact]
    public async Task Consecutive_parked_reads_each_get_their_item()
    {
        Channel<int> channel = CreateChannel<int>();
        for (int item = 0; item < 10; item++)
        {
            ValueTask<int> read = channel.Reader.ReadAsync();
            await channel.Writer.WriteAsync(item);
            Assert.Equal(item, await read);
            ValueTask<bool> wait = channel.Reader.WaitToReadAsync();
            await channel.Writer.WriteAsync(item);
            Assert.True(await wait);
            Assert.True(channel.Reader.TryRead(out int again));
            Assert.Equal(item, again);
        }
    }

    [Fact]
    public async Task Deviation_a_parked_operation_may_complete_after_the_write_that_satisfies_it_returns()
    {
        Channel<int> channel = CreateChannel<int>();
        ValueTask<int> read = channel.Reader.ReadAsync();
        Assert.False(read.IsCompleted);
        Assert.True(channel.Writer.TryWrite(42));
        if (CompletesParkedOperationsWithinTheWrite)
        {
            Assert.True(read.IsCompleted); // the framework's channels hand the item over inside TryWrite
        }

        // Ours: the read may still be pending here (it finishes one thread-pool hop later); awaiting it is the contract.
        Assert.Equal(42, await read.AsTask().WaitAsync(HangGuard));
    }

    [Fact]
    public async Task ReadAllAsync_yields_every_item_then_ends_at_completion()
    {
        Channel<int> channel = CreateChannel<int>();
        Task writing = Task.Run(async () =>
        {
            for (int item = 0; item < 1000; item++)
            {
                await channel.Writer.WriteAsync(item);
            }

            channel.Writer.Complete();
        });

        int expected = 0;
        await foreach (int item in channel.Reader.ReadAllAsync())
        {
            Assert.Equal(expected++, item);
        }

        Assert.Equal(1000, expected);
        await writing.WaitAsync(HangGuard);
        await channel.Reader.Completion.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task ReadAllAsync_throws_the_writers_error_after_the_items()
    {
        Channel<int> channel = CreateChannel<int>();
        var error = new FormatException();
        Assert.True(channel.Writer.TryWrite(1));
        channel.Writer.Complete(error);
        var seen = new List<int>();
        Assert.Same(error, await Assert.ThrowsAsync<FormatException>(async () =>
        {
            await foreach (int item in channel.Reader.ReadAllAsync())
            {
                seen.Add(item);
            }
        }));
        Assert.Equal([1], seen);
    }

    [Fact]
    public async Task ReadAllAsync_stops_when_its_token_is_cancelled()
    {
        Channel<int> channel = CreateChannel<int>();
        using var cts = new CancellationTokenSource();
        Assert.True(channel.Writer.TryWrite(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int item in channel.Reader.ReadAllAsync(cts.Token))
            {
                Assert.Equal(1, item);
                await cts.CancelAsync(); // the next wait is parked or sees the token
            }
        });
        Assert.True(channel.Writer.TryWrite(2)); // the channel still works
        Assert.Equal(2, await channel.Reader.ReadAsync());
    }

    [Fact]
    public async Task One_writer_and_one_reader_move_many_items_in_order()
    {
        const int Items = 100_000;
        Channel<int> channel = CreateChannel<int>();
        Task writing = Task.Run(async () =>
        {
            for (int item = 0; item < Items; item++)
            {
                await channel.Writer.WriteAsync(item);
            }
        });
        Task reading = Task.Run(async () =>
        {
            for (int item = 0; item < Items; item++)
            {
                Assert.Equal(item, await channel.Reader.ReadAsync());
            }
        });
        await Task.WhenAll(writing, reading).WaitAsync(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task Two_channels_ping_pong()
    {
        const int Rounds = 10_000;
        Channel<int> there = CreateChannel<int>();
        Channel<int> back = CreateChannel<int>();
        Task echo = Task.Run(async () =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                await back.Writer.WriteAsync(await there.Reader.ReadAsync());
            }
        });
        for (int round = 0; round < Rounds; round++)
        {
            await there.Writer.WriteAsync(round);
            Assert.Equal(round, await back.Reader.ReadAsync());
        }

        await echo.WaitAsync(HangGuard);
    }

    /// <summary>Checks <see cref="ChannelReader{T}.Count"/> where the reader supports it.</summary>
    protected static void AssertCount<T>(Channel<T> channel, int expected)
    {
        if (channel.Reader.CanCount)
        {
            Assert.Equal(expected, channel.Reader.Count);
        }
        else
        {
            Assert.Throws<NotSupportedException>(() => channel.Reader.Count);
        }
    }
}
