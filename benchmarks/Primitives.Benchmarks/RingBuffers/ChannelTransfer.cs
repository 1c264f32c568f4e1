using System.Threading.Channels;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>
/// Moves the items 0..count-1 through a <see cref="Channel{T}"/> the way channels are meant to be
/// used: an async producer on the thread pool awaiting <c>WriteAsync</c>, and an async consumer
/// draining with <c>WaitToReadAsync</c> + <c>TryRead</c>. The same code drives the framework's channels
/// and our <c>SpscChannel</c>, so they compare like for like.
/// </summary>
public static class ChannelTransfer
{
    /// <summary>Transfers the items and returns their checked sum.</summary>
    public static long Run(Channel<long> channel, int count)
    {
        var producer = Task.Run(async () =>
        {
            var writer = channel.Writer;
            for (long i = 0; i < count; i++)
            {
                await writer.WriteAsync(i).ConfigureAwait(false);
            }

            writer.Complete();
        });
        long sum = ConsumeAsync(channel.Reader).GetAwaiter().GetResult();
        producer.GetAwaiter().GetResult();
        Work.Check(sum, Work.SumBelow(count));
        return sum;
    }

    private static async Task<long> ConsumeAsync(ChannelReader<long> reader)
    {
        long sum = 0;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out long item))
            {
                sum += item;
            }
        }

        return sum;
    }
}
