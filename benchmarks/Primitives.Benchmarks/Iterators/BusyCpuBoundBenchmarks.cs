using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.Iterators;

/// <summary>
/// <see cref="CpuBoundBenchmarks"/> on a busy machine: one background thread burns a core for the whole
/// benchmark (started in the global setup, stopped in the global cleanup, so no other benchmark runs beside
/// it). A fair share of two cores is then about 1.3x the sequential loop; a map that oversubscribes the
/// cores or waits on a descheduled thread falls below that.
/// </summary>
public class BusyCpuBoundBenchmarks : OrderedMapBenchmarkBase
{
    private volatile bool _stop;
    private Thread? _burner;

    public static IEnumerable<int> Sizes_ => Sizes.Choose(ci: [64], quick: [100_000], full: [100_000]);

    public static IEnumerable<int> Spins => Sizes.Choose(ci: [10], quick: [Sizes.TwoMicroseconds], full: [Sizes.TwoMicroseconds]);

    [ParamsSource(nameof(Sizes_))]
    public override int Items { get; set; }

    /// <summary>Iterations of <see cref="Work.Spin"/> per item (1000 is about 2 us).</summary>
    [ParamsSource(nameof(Spins))]
    public int Spin { get; set; }

    protected override Func<long, long> CreateSelector()
    {
        int spin = Spin;
        return item => Work.Spin(item, spin);
    }

    protected override void OnSetup()
    {
        _stop = false;
        _burner = new Thread(Burn) { IsBackground = true, Name = "busy-machine burner" };
        _burner.Start();
    }

    protected override void OnCleanup()
    {
        _stop = true;
        _burner?.Join();
        _burner = null;
    }

    private void Burn()
    {
        long x = 1;
        while (!_stop)
        {
            x = Work.Spin(x, 1000);
        }

        GC.KeepAlive(x);
    }
}
