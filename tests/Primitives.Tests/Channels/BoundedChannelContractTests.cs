// The contract tests inspect ValueTasks without awaiting them, read them early and twice, and block on them on
// purpose: that is the contract under test.
#pragma warning disable CA2012 // ValueTasks are inspected and misused on purpose
#pragma warning disable xUnit1030 // ConfigureAwait(false) on an awaiter is one of the registrations under test
#pragma warning disable xUnit1031 // blocking GetResult is one of the operations under test

using System.Threading.Channels;

namespace Primitives.Tests.Channels;

/// <summary>
/// The contract of a bounded channel for one writer and one reader, whose full mode is
/// <see cref="BoundedChannelFullMode.Wait"/>: the writer waits for room. Adds to <see cref="ChannelContractTests"/>
/// what only a channel that can be full shows.
/// </summary>
public abstract class BoundedChannelContractTests : ChannelContractTests
{
    /// <summary>A new, empty channel that holds at most <paramref name="capacity"/> items.</summary>
    protected abstract Channel<T> CreateBounded<T>(int capacity);

    /// <inheritdoc/>
    protected override Channel<T> CreateChannel<T>() => CreateBounded<T>(16);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_full_channel_refuses_TryWrite_and_counts_its_capacity(int capacity)
    {
        Channel<int> channel = CreateFull(capacity);
        Assert.False(channel.Writer.TryWrite(-1));
        AssertCount(channel, capacity);
        Assert.True(channel.Reader.TryRead(out int first));
        Assert.Equal(0, first);
        Assert.True(channel.Writer.TryWrite(capacity));
        Assert.False(channel.Writer.TryWrite(-1));
    }

    [Fact]
    public async Task A_parked_WriteAsync_completes_once_the_reader_frees_a_slot()
    {
        Channel<int> channel = CreateFull(2);
        ValueTask write = channel.Writer.WriteAsync(2);
        Assert.False(write.IsCompleted);
        Assert.True(channel.Reader.TryRead(out int item));
        Assert.Equal(0, item);
        await write.AsTask().WaitAsync(HangGuard);
        Assert.Equal(1, await channel.Reader.ReadAsync());
        Assert.Equal(2, await channel.Reader.ReadAsync());
    }

    [Fact]
    public async Task A_parked_WaitToWriteAsync_reports_room_once_the_reader_frees_a_slot()
    {
        Channel<int> channel = CreateFull(1);
        ValueTask<bool> wait = channel.Writer.WaitToWriteAsync();
        Assert.False(wait.IsCompleted);
        Assert.True(channel.Reader.TryRead(out _));
        Assert.True(await wait.AsTask().WaitAsync(HangGuard));
        Assert.True(channel.Writer.TryWrite(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Completing_from_the_writing_flow_ends_its_parked_WriteAsync(bool withError)
    {
        Channel<int> channel = CreateFull(1);
        Task write = channel.Writer.WriteAsync(1).AsTask();
        Assert.False(write.IsCompleted);
        var error = new FormatException();
        channel.Writer.Complete(withError ? error : null);
        ChannelClosedException closed = await Assert.ThrowsAsync<ChannelClosedException>(() => write.WaitAsync(HangGuard));
        Assert.Same(withError ? error : null, closed.InnerException);
        Assert.True(channel.Reader.TryRead(out int item)); // the buffered item is still delivered, the parked one is not
        Assert.Equal(0, item);
        Assert.False(channel.Reader.TryRead(out _));
        await channel.Reader.Completion.ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(HangGuard);
    }

    [Fact]
    public async Task Completing_ends_a_parked_WaitToWriteAsync_with_false()
    {
        Channel<int> channel = CreateFull(1);
        Task<bool> wait = channel.Writer.WaitToWriteAsync().AsTask();
        Assert.False(wait.IsCompleted);
        channel.Writer.Complete();
        Assert.False(await wait.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task Cancelling_a_parked_WriteAsync_cancels_it_and_does_not_write_the_item()
    {
        Channel<int> channel = CreateFull(1);
        using var cts = new CancellationTokenSource();
        Task write = channel.Writer.WriteAsync(1, cts.Token).AsTask();
        Assert.False(write.IsCompleted);
        await cts.CancelAsync();
        await AssertCanceled(write, cts.Token);
        Assert.True(channel.Reader.TryRead(out int item));
        Assert.Equal(0, item);
        Assert.False(channel.Reader.TryRead(out _));
        await channel.Writer.WriteAsync(2).AsTask().WaitAsync(HangGuard); // the channel still works
        Assert.Equal(2, await channel.Reader.ReadAsync());
    }

    [Fact]
    public async Task Cancelling_a_parked_WaitToWriteAsync_cancels_it_with_its_token()
    {
        Channel<int> channel = CreateFull(1);
        using var cts = new CancellationTokenSource();
        Task<bool> wait = channel.Writer.WaitToWriteAsync(cts.Token).AsTask();
        Assert.False(wait.IsCompleted);
        await cts.CancelAsync();
        await AssertCanceled(wait, cts.Token);
    }

    [Fact]
    public async Task GetResult_of_a_parked_write_throws_instead_of_blocking()
    {
        Channel<int> channel = CreateFull(1);
        ValueTask write = channel.Writer.WriteAsync(1);
        Assert.False(write.IsCompleted);
        await AssertThrowsWithoutBlocking(() => write.GetAwaiter().GetResult());
        Assert.True(channel.Reader.TryRead(out _));
        await write.AsTask().WaitAsync(HangGuard); // unchanged by the early GetResult

        ValueTask<bool> wait = channel.Writer.WaitToWriteAsync();
        Assert.False(wait.IsCompleted);
        await AssertThrowsWithoutBlocking(() => wait.GetAwaiter().GetResult());
        Assert.True(channel.Reader.TryRead(out _));
        Assert.True(await wait.AsTask().WaitAsync(HangGuard));
    }

    [Theory]
    [MemberData(nameof(ContinuationKinds))]
    public void A_second_continuation_on_a_parked_write_throws(bool flowContext, bool? continueOnCapturedContext)
    {
        ValueTask<bool> wait = CreateFull(1).Writer.WaitToWriteAsync();
        AssertSecondContinuationThrows(ContinuationRegistrar(wait, continueOnCapturedContext), flowContext);
        ValueTask write = CreateFull(1).Writer.WriteAsync(1);
        AssertSecondContinuationThrows(ContinuationRegistrar(write, continueOnCapturedContext), flowContext);
    }

    [Fact]
    public async Task An_awaited_parked_write_cannot_be_used_again()
    {
        Channel<int> channel = CreateFull(1);
        ValueTask write = channel.Writer.WriteAsync(1);
        Assert.True(channel.Reader.TryRead(out _));
        await write;
        Assert.Throws<InvalidOperationException>(() => write.GetAwaiter().GetResult());
        Assert.Throws<InvalidOperationException>(() => write.GetAwaiter().IsCompleted);
    }

    /// <summary>A channel of <paramref name="capacity"/> holding 0, 1, ... up to its capacity.</summary>
    protected Channel<int> CreateFull(int capacity)
    {
        Channel<int> channel = CreateBounded<int>(capacity);
        for (int item = 0; item < capacity; item++)
        {
            Assert.True(channel.Writer.TryWrite(item));
        }

        return channel;
    }
}
