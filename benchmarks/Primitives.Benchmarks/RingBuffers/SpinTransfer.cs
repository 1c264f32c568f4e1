using Primitives.Benchmarks.Harness;

namespace Primitives.Benchmarks.RingBuffers;

/// <summary>The non-blocking half of a ring, so one driver can run the padded ring and its unpadded copy.</summary>
public interface ISpinRing
{
    /// <summary>Producer: writes if there is room.</summary>
    bool TryWrite(long item);

    /// <summary>Consumer: reads if there is an item.</summary>
    bool TryRead(out long item);
}

/// <summary>Moves 0..count-1 through a ring with <c>TryWrite</c>/<c>TryRead</c> only, spinning when full or empty.</summary>
public static class SpinTransfer
{
    /// <summary>
    /// Transfers the items and returns their checked sum. Generic over a struct so that the JIT
    /// compiles one copy per ring type and inlines its fast paths: the driver costs the same for both.
    /// </summary>
    public static long Run<TRing>(TRing ring, int count)
        where TRing : struct, ISpinRing => TwoThreads.Run(
            () =>
            {
                var spinner = default(SpinWait);
                for (long i = 0; i < count; i++)
                {
                    while (!ring.TryWrite(i))
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }
            },
            () =>
            {
                long sum = 0;
                var spinner = default(SpinWait);
                for (int received = 0; received < count;)
                {
                    if (ring.TryRead(out long item))
                    {
                        sum += item;
                        received++;
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
