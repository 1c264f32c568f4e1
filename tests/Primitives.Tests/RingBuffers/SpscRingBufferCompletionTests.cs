using System.Runtime.CompilerServices;
using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>Completion, cancellation and reference clearing.</summary>
public class SpscRingBufferCompletionTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Items_written_before_completion_are_read_then_completion_is_observed()
    {
        var ring = new SpscRingBuffer<int>(4);
        ring.Write(1);
        ring.WriteBatch([2, 3]);
        ring.Complete();
        Assert.True(ring.IsCompleted);
        Assert.Equal(3, ring.Count);

        Assert.True(ring.WaitToRead());
        Assert.Equal(1, ring.Read());
        Assert.True(await ring.WaitToReadAsync());
        Assert.Equal(2, await ring.ReadAsync());
        Assert.True(ring.TryRead(out int last));
        Assert.Equal(3, last);

        Assert.False(ring.TryRead(out _));
        Assert.False(ring.WaitToRead());
        Assert.False(await ring.WaitToReadAsync());
        Assert.Throws<InvalidOperationException>(() => ring.Read());
        await Assert.ThrowsAsync<InvalidOperationException>(() => ring.ReadAsync().AsTask());
    }

    [Fact]
    public async Task Writing_after_completion_throws_and_changes_nothing()
    {
        var ring = new SpscRingBuffer<int>(4);
        ring.Write(1);
        ring.Complete();
        ring.Complete(); // idempotent

        Assert.Throws<InvalidOperationException>(() => ring.TryWrite(2));
        Assert.Throws<InvalidOperationException>(() => ring.TryWriteBatch([2]));
        Assert.Throws<InvalidOperationException>(() => ring.Write(2));
        Assert.Throws<InvalidOperationException>(() => ring.WriteBatch([2]));
        Task write = ring.WriteAsync(2).AsTask();
        Assert.True(write.IsFaulted);
        await Assert.ThrowsAsync<InvalidOperationException>(() => write);
        Assert.False(ring.WaitToWrite());
        Assert.False(await ring.WaitToWriteAsync());

        Assert.Equal(1, ring.Count);
        Assert.Equal(1, ring.Read());
        Assert.False(ring.WaitToRead());
    }

    [Fact]
    public async Task Completion_releases_a_blocked_reader()
    {
        var ring = new SpscRingBuffer<int>(2);
        bool? canRead = null;
        Task reader = TwoThreads.StartThread(() =>
        {
            canRead = ring.WaitToRead();
            Assert.Throws<InvalidOperationException>(() => ring.Read());
        });
        Thread.Sleep(20); // not a timing assumption: the outcome is the same whether or not it parked first
        ring.Complete();
        await reader.WaitAsync(HangGuard);
        Assert.False(canRead);
    }

    [Fact]
    public async Task Completion_releases_an_async_reader()
    {
        var ring = new SpscRingBuffer<int>(2);
        Task<bool> waiting = ring.WaitToReadAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        ring.Complete();
        Assert.False(await waiting.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task Completion_releases_a_blocked_writer_without_writing()
    {
        var ring = new SpscRingBuffer<int>(1);
        ring.Write(1);
        Task writer = TwoThreads.StartThread(() => Assert.Throws<InvalidOperationException>(() => ring.Write(2)));
        Thread.Sleep(20);
        ring.Complete(); // from another thread: allowed, since no write can succeed while the ring is full
        await writer.WaitAsync(HangGuard);
        Assert.Equal(1, ring.Read());
        Assert.False(ring.TryRead(out _));
    }

    [Fact]
    public async Task Cancelling_a_blocked_writer_writes_nothing_and_leaves_the_ring_usable()
    {
        var ring = new SpscRingBuffer<int>(2);
        ring.WriteBatch([1, 2]);
        using var cts = new CancellationTokenSource();
        Task writer = TwoThreads.StartThread(() => ring.Write(3, cts.Token));
        Thread.Sleep(20);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WaitAsync(HangGuard));

        Assert.Throws<OperationCanceledException>(() => ring.WriteBatch([3], cts.Token));
        Assert.Throws<OperationCanceledException>(() => ring.WaitToWrite(cts.Token));
        Assert.True(ring.WriteAsync(3, cts.Token).AsTask().IsCanceled);
        Assert.Equal(2, ring.Count);
        Assert.Equal(1, ring.Read());
        ring.Write(3);
        Assert.Equal(2, ring.Read());
        Assert.Equal(3, ring.Read());
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public async Task Cancelling_a_blocked_batch_writer_writes_none_of_the_batch()
    {
        var ring = new SpscRingBuffer<int>(3);
        ring.Write(1);
        ring.Write(2);
        using var cts = new CancellationTokenSource();
        Task writer = TwoThreads.StartThread(() => ring.WriteBatch([3, 4], cts.Token)); // room for one only
        Thread.Sleep(20);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WaitAsync(HangGuard));
        Assert.Equal(2, ring.Count);
        Assert.Equal(1, ring.Read());
        Assert.Equal(2, ring.Read());
        Assert.False(ring.TryRead(out _));
    }

    [Fact]
    public async Task Cancelling_a_blocked_reader_removes_nothing()
    {
        var ring = new SpscRingBuffer<int>(2);
        using var cts = new CancellationTokenSource();
        Task reader = TwoThreads.StartThread(() => ring.Read(cts.Token));
        Thread.Sleep(20);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.WaitAsync(HangGuard));

        ring.Write(5);
        Assert.Throws<OperationCanceledException>(() => ring.Read(cts.Token)); // a cancelled token wins, as in Channels
        Assert.Throws<OperationCanceledException>(() => ring.WaitToRead(cts.Token));
        Assert.True(ring.ReadAsync(cts.Token).AsTask().IsCanceled);
        Assert.Equal(1, ring.Count);
        Assert.Equal(5, ring.Read());
    }

    [Fact]
    public async Task Cancelling_async_waits_cancels_their_tasks()
    {
        var ring = new SpscRingBuffer<int>(1);
        using var cts = new CancellationTokenSource();
        Task<int> read = ring.ReadAsync(cts.Token).AsTask();
        Assert.False(read.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(HangGuard));

        using var cts1 = new CancellationTokenSource();
        Task<bool> waitToRead = ring.WaitToReadAsync(cts1.Token).AsTask();
        Assert.False(waitToRead.IsCompleted);
        cts1.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waitToRead.WaitAsync(HangGuard));

        using var cts2 = new CancellationTokenSource();
        ring.Write(1);
        Task write = ring.WriteAsync(2, cts2.Token).AsTask();
        Assert.False(write.IsCompleted);
        cts2.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.WaitAsync(HangGuard));
        Assert.Equal(1, ring.Count);
        Assert.Equal(1, ring.Read());
    }

    [Fact]
    public void A_read_slot_no_longer_holds_its_object()
    {
        var ring = new SpscRingBuffer<object>(4);
        WeakReference peeked = WriteAndPeek(ring);
        CollectGarbage();
        Assert.True(peeked.IsAlive); // control: the ring holds the unread object, so this test can fail

        ReadAndDrop(ring); // in a helper: an out local in this frame could stay reported live
        CollectGarbage();
        Assert.False(peeked.IsAlive);

        WeakReference batched = WriteAndReadBatch(ring);
        CollectGarbage();
        Assert.False(batched.IsAlive);
    }

    [Fact]
    public void A_read_slot_of_a_struct_with_references_is_cleared()
    {
        var ring = new SpscRingBuffer<(int Id, object Payload)>(2);
        WeakReference weak = WriteAndReadPair(ring);
        CollectGarbage();
        Assert.False(weak.IsAlive);
    }

    private static void CollectGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference WriteAndPeek(SpscRingBuffer<object> ring)
    {
        var item = new object();
        Assert.True(ring.TryWrite(item));
        Assert.True(ring.TryPeek(out object? peeked));
        Assert.Same(item, peeked);
        return new WeakReference(item);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReadAndDrop(SpscRingBuffer<object> ring) => Assert.True(ring.TryRead(out _));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference WriteAndReadBatch(SpscRingBuffer<object> ring)
    {
        var item = new object();
        Assert.Equal(3, ring.TryWriteBatch([new object(), item, new object()]));
        var destination = new object[3];
        Assert.Equal(3, ring.TryReadBatch(destination));
        Assert.Same(item, destination[1]);
        return new WeakReference(item);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference WriteAndReadPair(SpscRingBuffer<(int Id, object Payload)> ring)
    {
        var item = new object();
        ring.Write((1, item));
        Assert.Same(item, ring.Read().Payload);
        return new WeakReference(item);
    }
}
