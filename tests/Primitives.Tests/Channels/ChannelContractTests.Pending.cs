// The contract tests inspect ValueTasks without awaiting them, read them early and twice, and block on them on
// purpose: that is the contract under test.
#pragma warning disable CA2012 // ValueTasks are inspected and misused on purpose
#pragma warning disable xUnit1030 // ConfigureAwait(false) on an awaiter is one of the registrations under test
#pragma warning disable xUnit1031 // blocking GetResult is one of the operations under test

using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Primitives.Tests.Channels;

// The contract of operations that have to wait: cancellation, where continuations run, and the ValueTask rules
// (awaited once; its result read only once it has completed).
public abstract partial class ChannelContractTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_cancelled_token_wins_even_over_an_available_item(bool itemAvailable)
    {
        Channel<int> channel = CreateChannel<int>();
        if (itemAvailable)
        {
            Assert.True(channel.Writer.TryWrite(1));
        }

        var cancelled = new CancellationToken(canceled: true);
        Assert.True(channel.Reader.ReadAsync(cancelled).IsCanceled);
        Assert.True(channel.Reader.WaitToReadAsync(cancelled).IsCanceled);
        Assert.True(channel.Writer.WriteAsync(2, cancelled).IsCanceled);
        Assert.True(channel.Writer.WaitToWriteAsync(cancelled).IsCanceled);
        AssertCount(channel, itemAvailable ? 1 : 0);
    }

    [Fact]
    public async Task Cancelling_a_parked_read_cancels_it_with_its_token_and_loses_no_item()
    {
        Channel<int> channel = CreateChannel<int>();
        for (int round = 0; round < 3; round++)
        {
            using var cts = new CancellationTokenSource();
            Task<int> read = channel.Reader.ReadAsync(cts.Token).AsTask();
            Assert.False(read.IsCompleted);
            await cts.CancelAsync();
            await AssertCanceled(read, cts.Token);
        }

        Assert.True(channel.Writer.TryWrite(7));
        Assert.Equal(7, await channel.Reader.ReadAsync().AsTask().WaitAsync(HangGuard));
    }

    [Fact]
    public async Task Cancelling_a_parked_WaitToReadAsync_cancels_it_with_its_token()
    {
        Channel<int> channel = CreateChannel<int>();
        using var cts = new CancellationTokenSource();
        Task<bool> wait = channel.Reader.WaitToReadAsync(cts.Token).AsTask();
        Assert.False(wait.IsCompleted);
        await cts.CancelAsync();
        await AssertCanceled(wait, cts.Token);
        Assert.True(channel.Writer.TryWrite(7));
        Assert.True(await channel.Reader.WaitToReadAsync().AsTask().WaitAsync(HangGuard));
    }

    [Fact]
    public async Task A_parked_reads_continuation_never_runs_inside_the_write_or_the_completion()
    {
        for (int round = 0; round < 2; round++)
        {
            Channel<int> channel = CreateChannel<int>();
            ValueTask<int> read = channel.Reader.ReadAsync();
            var inline = new InlineProbe();
            var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            read.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => ran.SetResult(inline.IsInside));
            Task completionContinuation = channel.Reader.Completion.ContinueWith(
                _ => Assert.False(inline.IsInside), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

            inline.Run(() =>
            {
                if (round == 0)
                {
                    Assert.True(channel.Writer.TryWrite(1));
                }

                channel.Writer.Complete();
            });
            Assert.False(await ran.Task.WaitAsync(HangGuard));
            if (round == 0)
            {
                Assert.Equal(1, read.GetAwaiter().GetResult());
            }
            else
            {
                Assert.Throws<ChannelClosedException>(() => read.GetAwaiter().GetResult());
            }

            await completionContinuation.WaitAsync(HangGuard);
        }
    }

    [Fact]
    public async Task GetResult_of_a_parked_read_or_wait_throws_instead_of_blocking()
    {
        Channel<int> channel = CreateChannel<int>();
        ValueTask<int> read = channel.Reader.ReadAsync();
        Assert.False(read.IsCompleted);
        await AssertThrowsWithoutBlocking(() => read.GetAwaiter().GetResult());
        await AssertThrowsWithoutBlocking(() => _ = read.Result);
        Assert.False(read.IsCompleted); // the operation is unchanged: it may still be awaited
        channel.Writer.Complete();
        await Assert.ThrowsAsync<ChannelClosedException>(() => read.AsTask().WaitAsync(HangGuard));

        Channel<int> other = CreateChannel<int>();
        ValueTask<bool> wait = other.Reader.WaitToReadAsync();
        Assert.False(wait.IsCompleted);
        await AssertThrowsWithoutBlocking(() => wait.GetAwaiter().GetResult());
        Assert.True(other.Writer.TryWrite(1));
        Assert.True(await wait.AsTask().WaitAsync(HangGuard));
    }

    public static TheoryData<bool, bool?> ContinuationKinds => new()
    {
        { false, null }, { false, false }, { false, true },
        { true, null }, { true, false }, { true, true },
    };

    [Theory]
    [MemberData(nameof(ContinuationKinds))]
    public void A_second_continuation_on_a_parked_read_throws(bool flowContext, bool? continueOnCapturedContext)
    {
        Channel<int> channel = CreateChannel<int>();
        ValueTask<int> read = channel.Reader.ReadAsync();
        AssertSecondContinuationThrows(ContinuationRegistrar(read, continueOnCapturedContext), flowContext);
        ValueTask<bool> wait = CreateChannel<int>().Reader.WaitToReadAsync();
        AssertSecondContinuationThrows(ContinuationRegistrar(wait, continueOnCapturedContext), flowContext);
    }

    [Fact]
    public async Task An_awaited_parked_operation_cannot_be_used_again()
    {
        Channel<int> channel = CreateChannel<int>();
        ValueTask<int> read = channel.Reader.ReadAsync();
        Assert.True(channel.Writer.TryWrite(1));
        Assert.Equal(1, await read);
        Assert.Throws<InvalidOperationException>(() => read.GetAwaiter().IsCompleted);
        Assert.Throws<InvalidOperationException>(() => read.GetAwaiter().OnCompleted(() => { }));
        Assert.Throws<InvalidOperationException>(() => read.GetAwaiter().GetResult());

        ValueTask<bool> wait = channel.Reader.WaitToReadAsync();
        Assert.True(channel.Writer.TryWrite(2));
        Assert.True(await wait);
        Assert.Throws<InvalidOperationException>(() => wait.GetAwaiter().GetResult());
        Assert.True(channel.Reader.TryRead(out int item));
        Assert.Equal(2, item);
    }

    /// <summary>Registers one continuation through <paramref name="register"/>, then checks that a second one throws.</summary>
    protected static void AssertSecondContinuationThrows(Action<bool> register, bool flowContext)
    {
        register(flowContext);
        Assert.Throws<InvalidOperationException>(() => register(flowContext));
    }

    /// <summary>Checks that <paramref name="getResult"/> throws <see cref="InvalidOperationException"/>. It runs on a
    /// pool thread, so that a GetResult that blocks fails the test after <see cref="HangGuard"/> instead of hanging it.</summary>
    protected static Task AssertThrowsWithoutBlocking(Action getResult) =>
        Assert.ThrowsAsync<InvalidOperationException>(() => Task.Run(getResult).WaitAsync(HangGuard));

    /// <summary>Checks that <paramref name="task"/> ends cancelled with <paramref name="token"/>.</summary>
    protected static async Task AssertCanceled(Task task, CancellationToken token)
    {
        OperationCanceledException canceled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(HangGuard));
        Assert.True(task.IsCanceled);
        Assert.Equal(token, canceled.CancellationToken);
    }

    /// <summary>Tells whether code runs inside <see cref="Run"/> on the thread that called it.</summary>
    protected sealed class InlineProbe
    {
        private int _thread = -1;

        public bool IsInside => Volatile.Read(ref _thread) == Environment.CurrentManagedThreadId;

        public void Run(Action action)
        {
            Volatile.Write(ref _thread, Environment.CurrentManagedThreadId);
            try
            {
                action();
            }
            finally
            {
                Volatile.Write(ref _thread, -1);
            }
        }
    }

    /// <summary>Registers a continuation on <paramref name="task"/> through one awaiter kind: plain
    /// (<paramref name="continueOnCapturedContext"/> null) or configured; flowing the execution context or not.</summary>
    protected static Action<bool> ContinuationRegistrar<T>(ValueTask<T> task, bool? continueOnCapturedContext) =>
        flowContext =>
        {
            if (continueOnCapturedContext is null)
            {
                Register(task.GetAwaiter(), flowContext);
            }
            else
            {
                Register(task.ConfigureAwait(continueOnCapturedContext.Value).GetAwaiter(), flowContext);
            }
        };

    /// <inheritdoc cref="ContinuationRegistrar{T}(ValueTask{T}, bool?)"/>
    protected static Action<bool> ContinuationRegistrar(ValueTask task, bool? continueOnCapturedContext) =>
        flowContext =>
        {
            if (continueOnCapturedContext is null)
            {
                Register(task.GetAwaiter(), flowContext);
            }
            else
            {
                Register(task.ConfigureAwait(continueOnCapturedContext.Value).GetAwaiter(), flowContext);
            }
        };

    private static void Register<TAwaiter>(TAwaiter awaiter, bool flowContext)
        where TAwaiter : ICriticalNotifyCompletion
    {
        if (flowContext)
        {
            awaiter.OnCompleted(static () => { });
        }
        else
        {
            awaiter.UnsafeOnCompleted(static () => { });
        }
    }
}
