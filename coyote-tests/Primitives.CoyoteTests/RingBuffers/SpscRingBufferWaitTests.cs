using Primitives.CoyoteTests.Harness;
using Primitives.Internal;
using Primitives.RingBuffers;

using static Primitives.CoyoteTests.RingBuffers.RingTestShape;

namespace Primitives.CoyoteTests.RingBuffers;

/// <summary>
/// Systematic tests of the waits of <c>SpscRingBuffer&lt;T&gt;</c>: the async waits never lose a wake-up,
/// and a parked reader or writer, sync or async, is always released by cancellation, leaving the ring
/// intact. (Release by the other side's progress is also covered by the blocking order test, release by
/// completion by the completion tests.)
/// </summary>
public sealed class SpscRingBufferWaitTests(ITestOutputHelper output)
{
    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: through WriteAsync / WaitToWriteAsync+TryWrite and ReadAsync / WaitToReadAsync+TryRead,
    // every item is delivered once, in order, and neither side's async wait is left pending: the other
    // side's progress always completes it (no lost wake-up on the shared TaskCompletionSource).
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Async_waits_deliver_every_item_once_in_order(int capacity)
        => _coyote.Run(() => AsyncBody(new SpscRingBuffer<int>(capacity), capacity + ExtraItems), variant: $"capacity{capacity}");

    [Fact]
    [SeededFault(FaultId.GateNoAsyncWake)]
    public void Async_gate_that_never_completes_the_signal_is_found()
        => _coyote.ExpectFault(FaultId.GateNoAsyncWake, () => AsyncBody(new SpscRingBuffer<int>(1), 1 + ExtraItems), "Deadlock");

    [Fact]
    [SeededFault(FaultId.GateAnnounceAfterRecheck)]
    public void Async_gate_announcing_after_the_recheck_is_found()
        => _coyote.ExpectFault(FaultId.GateAnnounceAfterRecheck, () => AsyncBody(new SpscRingBuffer<int>(1), 1 + ExtraItems), "Deadlock");

    // Invariant: a writer parked on a full ring and a reader parked on an empty ring (sync) both end with
    // OperationCanceledException when their token is cancelled, wherever the cancellation lands; the
    // cancelled write did not happen and the rings still work.
    [Fact]
    public void Cancellation_releases_parked_sync_reader_and_writer()
        => _coyote.Run(() => CancellationBody(new SpscRingBuffer<int>(1), new SpscRingBuffer<int>(1), isAsync: false));

    [Fact]
    [SeededFault(FaultId.GateIgnoreCancellation)]
    public void Sync_waits_ignoring_cancellation_are_found()
        => _coyote.ExpectFault(FaultId.GateIgnoreCancellation, () => CancellationBody(new SpscRingBuffer<int>(1), new SpscRingBuffer<int>(1), isAsync: false), "Deadlock");

    // Invariant: the same for WriteAsync and ReadAsync.
    [Fact]
    public void Cancellation_releases_parked_async_reader_and_writer()
        => _coyote.Run(() => CancellationBody(new SpscRingBuffer<int>(1), new SpscRingBuffer<int>(1), isAsync: true));

    [Fact]
    [SeededFault(FaultId.GateIgnoreCancellation)]
    public void Async_waits_ignoring_cancellation_are_found()
        => _coyote.ExpectFault(FaultId.GateIgnoreCancellation, () => CancellationBody(new SpscRingBuffer<int>(1), new SpscRingBuffer<int>(1), isAsync: true), "Deadlock");

    private static async Task AsyncBody(SpscRingBuffer<int> ring, int items)
    {
        Task producer = CoyoteAssert.Run("producer", async () =>
        {
            for (int item = 1; item <= items; item++)
            {
                Jitter.Steps(MaxJitter);
                if (item % 2 == 0)
                {
                    CoyoteAssert.True(await ring.WaitToWriteAsync(), "WaitToWriteAsync returned false on a ring that is not completed");
                    CoyoteAssert.True(ring.TryWrite(item), "WaitToWriteAsync reported room that TryWrite did not find");
                }
                else
                {
                    await ring.WriteAsync(item);
                }
            }
        });

        Task consumer = CoyoteAssert.Run("consumer", async () =>
        {
            for (int expected = 1; expected <= items; expected++)
            {
                int item;
                if (expected % 2 == 0)
                {
                    CoyoteAssert.True(await ring.WaitToReadAsync(), "WaitToReadAsync returned false on a ring that is not completed");
                    CoyoteAssert.True(ring.TryRead(out item), "WaitToReadAsync reported an item that TryRead did not find");
                }
                else
                {
                    item = await ring.ReadAsync();
                }

                CoyoteAssert.True(item == expected, $"order broken: read {item} where {expected} was due");
            }
        });

        await Task.WhenAll(new[] { producer, consumer });
        CoyoteAssert.True(!ring.TryRead(out int extra), $"order broken: an item read twice or invented: {extra}");
    }

    private static async Task CancellationBody(SpscRingBuffer<int> full, SpscRingBuffer<int> empty, bool isAsync)
    {
        CoyoteAssert.True(full.TryWrite(1), "a new ring of capacity 1 refused its first item");
        using var cts = new CancellationTokenSource();
        CancellationToken token = cts.Token;

        // The producer of `full` and the consumer of `empty` block: nobody reads `full` or writes `empty`
        // until both have been cancelled.
        Task writer = isAsync
            ? CoyoteAssert.Run("writer", () => CoyoteAssert.CanceledAsync(async () => await full.WriteAsync(2, token), "WriteAsync on a full ring"))
            : CoyoteAssert.Run("writer", () => CoyoteAssert.CanceledAsync(() => { full.Write(2, token); return Task.CompletedTask; }, "Write on a full ring"));
        Task reader = isAsync
            ? CoyoteAssert.Run("reader", () => CoyoteAssert.CanceledAsync(async () => await empty.ReadAsync(token), "ReadAsync on an empty ring"))
            : CoyoteAssert.Run("reader", () => CoyoteAssert.CanceledAsync(() => { empty.Read(token); return Task.CompletedTask; }, "Read on an empty ring"));

        Jitter.Steps(MaxJitter);
        cts.Cancel(); // synchronous: the callbacks run here, under Coyote (CancelAsync would run them on an uncontrolled task)
        await Task.WhenAll(new[] { writer, reader });

        // The cancelled write left no trace, and both rings still work.
        CoyoteAssert.True(full.TryRead(out int first) && first == 1, $"cancellation broke the full ring: read {first} where 1 was due");
        CoyoteAssert.True(!full.TryRead(out int extra), $"the cancelled write happened anyway: read {extra}");
        CoyoteAssert.True(empty.TryWrite(3) && empty.TryRead(out int third) && third == 3, "cancellation broke the empty ring");
    }
}
