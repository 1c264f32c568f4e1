using System.Runtime.ExceptionServices;

namespace Primitives.Tests.RingBuffers;

/// <summary>Runs a producer and a consumer on two dedicated threads and rethrows the first failure.</summary>
internal static class TwoThreads
{
    /// <summary>Hang guard only: a healthy run takes well under a second per million items.</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    internal static void Run(Action producer, Action consumer)
    {
        ExceptionDispatchInfo? failure = null;
        Thread Start(Action body, string name)
        {
            var thread = new Thread(() =>
            {
                try
                {
                    body();
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(ex), null);
                }
            })
            {
                IsBackground = true,
                Name = name,
            };
            thread.Start();
            return thread;
        }

        Thread producerThread = Start(producer, "producer");
        Thread consumerThread = Start(consumer, "consumer");
        Assert.True(producerThread.Join(Timeout), "producer hung");
        Assert.True(consumerThread.Join(Timeout), "consumer hung");
        failure?.Throw();
    }

    /// <summary>Starts <paramref name="body"/> on a dedicated thread; the task completes when it returns.</summary>
    internal static Task StartThread(Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
        };
        thread.Start();
        return done.Task;
    }
}
