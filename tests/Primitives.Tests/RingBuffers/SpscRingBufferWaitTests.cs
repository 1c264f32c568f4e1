using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>Blocking and asynchronous waits end when the other side moves, and only then.</summary>
public class SpscRingBufferWaitTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_blocked_batch_is_written_whole_once_it_fits()
    {
        var ring = new SpscRingBuffer<int>(4);
        ring.WriteBatch([1, 2, 3]);
        Task writer = TwoThreads.StartThread(() => ring.WriteBatch([4, 5, 6]));

        Assert.Equal(1, ring.Read()); // two free slots: still not enough for the batch
        Thread.Sleep(20); // gives a partial write the chance to show; the assertion holds however long this is
        Assert.Equal(2, ring.Count);
        Assert.False(writer.IsCompleted);

        Assert.Equal(2, ring.Read()); // three free slots: the batch fits
        await writer.WaitAsync(HangGuard);
        Assert.Equal(4, ring.Count);
        var rest = new int[4];
        Assert.Equal(4, ring.TryReadBatch(rest));
        Assert.Equal([3, 4, 5, 6], rest);
    }

    [Fact]
    public async Task WaitForFreeSlots_waits_for_that_many_free_slots_or_completion()
    {
        var ring = new SpscRingBuffer<int>(8);
        ring.WriteBatch([1, 2, 3, 4, 5, 6, 7, 8]);
        bool? result = null;
        Task waiter = TwoThreads.StartThread(() => result = ring.WaitForFreeSlots(4, CancellationToken.None));

        var taken = new int[3];
        Assert.Equal(3, ring.TryReadBatch(taken)); // three free: not yet
        Thread.Sleep(20); // the assertion holds however long this is
        Assert.False(waiter.IsCompleted);

        Assert.Equal(4, ring.Read()); // four free
        await waiter.WaitAsync(HangGuard);
        Assert.True(result);

        Assert.Equal(4, ring.TryWriteBatch([9, 10, 11, 12, 13])); // the four slots it waited for; full again
        ring.Complete();
        Assert.False(ring.WaitForFreeSlots(8, CancellationToken.None)); // completed: returns at once, false
    }

    [Fact]
    public async Task WaitForFreeSlotsAsync_completes_once_that_many_slots_are_free_and_honours_cancellation()
    {
        var ring = new SpscRingBuffer<int>(8);
        ring.WriteBatch([1, 2, 3, 4, 5, 6, 7, 8]);
        Task waiting = ring.WaitForFreeSlotsAsync(4, CancellationToken.None).AsTask();
        var taken = new int[3];
        Assert.Equal(3, ring.TryReadBatch(taken));
        await Task.Delay(20); // the assertion holds however long this is
        Assert.False(waiting.IsCompleted);
        Assert.Equal(4, ring.Read());
        await waiting.WaitAsync(HangGuard);

        Assert.Equal(4, ring.TryWriteBatch([9, 10, 11, 12])); // full again
        using var cts = new CancellationTokenSource();
        Task cancelled = ring.WaitForFreeSlotsAsync(2, cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(HangGuard));
        Assert.Equal(8, ring.Count); // nothing moved
    }

    [Fact]
    public async Task A_blocked_WaitToWrite_returns_true_when_a_slot_frees()
    {
        var ring = new SpscRingBuffer<int>(1);
        ring.Write(1);
        bool? canWrite = null;
        Task writer = TwoThreads.StartThread(() => canWrite = ring.WaitToWrite());
        Thread.Sleep(20);
        Assert.False(writer.IsCompleted);
        Assert.Equal(1, ring.Read());
        await writer.WaitAsync(HangGuard);
        Assert.True(canWrite);
        Assert.True(ring.TryWrite(2));
    }

    [Fact]
    public async Task A_blocked_Read_returns_the_item_written_later()
    {
        var ring = new SpscRingBuffer<string>(2);
        string? read = null;
        Task reader = TwoThreads.StartThread(() => read = ring.Read());
        Thread.Sleep(20);
        Assert.False(reader.IsCompleted);
        ring.Write("late");
        await reader.WaitAsync(HangGuard);
        Assert.Equal("late", read);
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public async Task Async_waits_complete_when_the_other_side_moves()
    {
        var ring = new SpscRingBuffer<int>(1);
        Task<int> read = ring.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);
        await ring.WriteAsync(7);
        Assert.Equal(7, await read.WaitAsync(HangGuard));

        ring.Write(8);
        Task<bool> waitToWrite = ring.WaitToWriteAsync().AsTask();
        Assert.False(waitToWrite.IsCompleted);
        Assert.Equal(8, ring.Read());
        Assert.True(await waitToWrite.WaitAsync(HangGuard));

        ring.Write(9);
        Task write = ring.WriteAsync(10).AsTask();
        Assert.False(write.IsCompleted);
        Assert.Equal(9, ring.Read());
        await write.WaitAsync(HangGuard);
        Assert.Equal(10, ring.Read());
    }

    [Fact]
    public async Task Completion_releases_an_async_writer_without_writing()
    {
        var ring = new SpscRingBuffer<int>(1);
        ring.Write(1);
        Task write = ring.WriteAsync(2).AsTask();
        Assert.False(write.IsCompleted);
        ring.Complete();
        await Assert.ThrowsAsync<InvalidOperationException>(() => write.WaitAsync(HangGuard));
        Assert.Equal(1, ring.Read());
        Assert.False(ring.TryRead(out _));

        var other = new SpscRingBuffer<int>(1);
        other.Write(1);
        Task<bool> waitToWrite = other.WaitToWriteAsync().AsTask();
        Assert.False(waitToWrite.IsCompleted);
        other.Complete();
        Assert.False(await waitToWrite.WaitAsync(HangGuard));
    }

    [Fact]
    public void Count_seen_from_a_third_thread_stays_within_bounds()
    {
        const int capacity = 7;
        var ring = new SpscRingBuffer<int>(capacity);
        int done = 0;
        int observations = 0, lowest = int.MaxValue, highest = int.MinValue;
        var observer = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                int count = ring.Count;
                lowest = Math.Min(lowest, count);
                highest = Math.Max(highest, count);
                observations++;
                Thread.Yield(); // sample, do not hog one of the two cores
            }
        });
        observer.Start();
        TwoThreads.Run(
            () =>
            {
                for (int i = 0; i < 100_000; i++)
                {
                    ring.Write(i);
                }

                ring.Complete();
            },
            () =>
            {
                int expected = 0;
                while (ring.WaitToRead())
                {
                    Assert.Equal(expected++, ring.Read());
                }
            });
        Volatile.Write(ref done, 1);
        Assert.True(observer.Join(HangGuard));
        Assert.True(observations > 0);
        Assert.InRange(lowest, 0, capacity);
        Assert.InRange(highest, 0, capacity);
    }
}
