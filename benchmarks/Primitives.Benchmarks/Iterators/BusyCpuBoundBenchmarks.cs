using BenchmarkDotNet.Attributes;
using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.Iterators;

/// <summary>
/// <see cref="CpuBoundBenchmarks"/> (same sizes, same selector) on a busy machine: one background thread burns a core for the whole
/// benchmark (started in the global setup, stopped in the global cleanup, so no other benchmark runs beside
/// it). A fair share of two cores is then about 1.3x the sequential loop; a map that oversubscribes the
/// cores or waits on a descheduled thread falls below that.
/// </summary>
public class BusyCpuBoundBenchmarks : CpuBoundBenchmarks
{
    private volatile bool _stop;
    private Thread? _burner;

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
