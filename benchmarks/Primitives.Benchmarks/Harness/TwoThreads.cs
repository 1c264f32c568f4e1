namespace Primitives.Benchmarks.Harness;

/// <summary>Runs a producer on a dedicated thread and a consumer on the calling thread.</summary>
public static class TwoThreads
{
    /// <summary>
    /// Starts <paramref name="producer"/> on a new thread, runs <paramref name="consumer"/> here, and
    /// returns its result once both are done. The thread start (tens of microseconds) is amortised
    /// over the items of one invocation. If the consumer throws, the exception propagates at once and
    /// the (background) producer thread is abandoned rather than joined, so a broken benchmark fails
    /// instead of hanging.
    /// </summary>
    public static long Run(Action producer, Func<long> consumer)
    {
        Exception? producerError = null;
        var thread = new Thread(() =>
        {
            try
            {
                producer();
            }
            catch (Exception e)
            {
                producerError = e;
            }
        })
        {
            IsBackground = true,
            Name = "benchmark producer",
        };
        thread.Start();
        long result = consumer();
        thread.Join();
        if (producerError is not null)
        {
            throw new InvalidOperationException("The producer failed.", producerError);
        }

        return result;
    }
}
