using System.Collections.Concurrent;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>
/// Items per second from one producer thread to one consumer thread, through each queue a .NET user
/// would pick for the job, all bounded to <see cref="Capacity"/> where the type allows it. Every method
/// moves the items 0..Items-1 and checks their sum. Our ring's side (single-item, batch, and the
/// <c>SpscChannel</c> adapter driven by the same async code as the framework's channels) is in
/// <c>SpscTransferBenchmarks.Ring.cs</c>.
/// </summary>
[MemoryDiagnoser]
public partial class SpscTransferBenchmarks
{
    /// <summary>Capacity of every bounded queue.</summary>
    public const int Capacity = 1024;

    /// <summary>Items per batch in the batch variants.</summary>
    public const int BatchSize = 64;

    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [1_000], quick: [1_000_000], full: [1_000_000]);

    [ParamsSource(nameof(Sizes_))]
    public int Items { get; set; }

    [Benchmark(Baseline = true, Description = "Channel.CreateBounded (single reader/writer)")]
    [BenchmarkCategory(Categories.Quick)]
    public long ChannelBounded() => ChannelTransfer.Run(
        Channel.CreateBounded<long>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        }),
        Items);

    [Benchmark(Description = "Channel.CreateUnbounded (single reader/writer)")]
    [BenchmarkCategory(Categories.Quick)]
    public long ChannelUnbounded() => ChannelTransfer.Run(
        Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true }),
        Items);

    [Benchmark(Description = "ConcurrentQueue (consumer spins)")]
    [BenchmarkCategory(Categories.Quick)]
    public long ConcurrentQueue()
    {
        var queue = new ConcurrentQueue<long>();
        int count = Items;
        return TwoThreads.Run(
            () =>
            {
                for (long i = 0; i < count; i++)
                {
                    queue.Enqueue(i);
                }
            },
            () =>
            {
                long sum = 0;
                var spinner = default(SpinWait);
                for (int received = 0; received < count;)
                {
                    if (queue.TryDequeue(out long item))
                    {
                        sum += item;
                        received++;
                        spinner.Reset();
                    }
                    else
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }

                Work.Check(sum, Work.SumBelow(count));
                return sum;
            });
    }

    [Benchmark(Description = "BlockingCollection (bounded)")]
    [BenchmarkCategory(Categories.Quick)]
    public long BlockingCollection()
    {
        using var collection = new BlockingCollection<long>(new ConcurrentQueue<long>(), Capacity);
        int count = Items;
        return TwoThreads.Run(
            () =>
            {
                for (long i = 0; i < count; i++)
                {
                    collection.Add(i);
                }

                collection.CompleteAdding();
            },
            () =>
            {
                long sum = 0;
                foreach (long item in collection.GetConsumingEnumerable())
                {
                    sum += item;
                }

                Work.Check(sum, Work.SumBelow(count));
                return sum;
            });
    }
}
