using System.Reflection;
using System.Runtime.CompilerServices;
using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>
/// The zero-copy members of <see cref="SpscRingBuffer{T}"/> (write and read spans, their Memory forms, the
/// n-item and n-slot waits) and the debugger display, on one thread; the two-thread runs are in
/// <see cref="SpscRingBufferSpanStressTests"/>.
/// </summary>
public class SpscRingBufferSpanTests
{
    private static readonly TimeSpan StillBlocked = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void A_write_span_is_filled_in_place_and_published_by_advance()
    {
        var ring = new SpscRingBuffer<int>(8);
        Span<int> free = ring.GetWriteSpan();
        Assert.Equal(8, free.Length);
        free[0] = 10;
        free[1] = 11;
        free[2] = 12;
        Assert.Equal(0, ring.Count); // nothing is published before AdvanceWrite
        ring.AdvanceWrite(3);
        Assert.Equal(3, ring.Count);

        ReadOnlySpan<int> items = ring.GetReadSpan();
        Assert.Equal([10, 11, 12], items.ToArray());
        ring.AdvanceRead(2);
        Assert.Equal(1, ring.Count);
        Assert.True(ring.TryRead(out int last));
        Assert.Equal(12, last);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void A_write_span_never_exceeds_the_capacity(int capacity)
    {
        var ring = new SpscRingBuffer<int>(capacity);
        Assert.Equal(capacity, ring.GetWriteSpan(1000).Length); // the slot array is larger for 3 and 5
        ring.AdvanceWrite(capacity);
        Assert.Equal(0, ring.GetWriteSpan(1).Length); // full: empty, never blocks
        ring.AdvanceWrite(0);
        Assert.Equal(capacity, ring.GetReadSpan().Length);
        ring.AdvanceRead(capacity);
        Assert.Equal(0, ring.GetReadSpan().Length); // empty
    }

    [Fact]
    public void Spans_stop_at_the_wrap_point_and_continue_from_the_array_start()
    {
        var ring = new SpscRingBuffer<int>(8);
        for (int i = 0; i < 6; i++)
        {
            Assert.True(ring.TryWrite(-1));
            Assert.True(ring.TryRead(out _));
        }

        // Head = Tail = 6: 8 slots free, but only 2 before the wrap point.
        Span<int> first = ring.GetWriteSpan(8);
        Assert.Equal(2, first.Length);
        first[0] = 0;
        first[1] = 1;
        ring.AdvanceWrite(2);
        Span<int> second = ring.GetWriteSpan(6);
        Assert.Equal(6, second.Length);
        for (int i = 0; i < 6; i++)
        {
            second[i] = 2 + i;
        }

        ring.AdvanceWrite(6);
        Assert.Equal(8, ring.Count);

        ReadOnlySpan<int> run = ring.GetReadSpan();
        Assert.Equal([0, 1], run.ToArray());
        ring.AdvanceRead(run.Length);
        run = ring.GetReadSpan();
        Assert.Equal([2, 3, 4, 5, 6, 7], run.ToArray());
        ring.AdvanceRead(run.Length);
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void Memory_forms_see_the_same_slots()
    {
        var ring = new SpscRingBuffer<string>(4);
        Memory<string> free = ring.GetWriteMemory(2);
        Assert.Equal(4, free.Length);
        free.Span[0] = "a";
        free.Span[1] = "b";
        ring.AdvanceWrite(2);

        ReadOnlyMemory<string> items = ring.GetReadMemory();
        Assert.Equal(["a", "b"], items.ToArray());
        Assert.Equal(["a", "b"], ring.GetReadSpan().ToArray()); // a new span replaces the first
        ring.AdvanceRead(2);
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void A_cached_view_is_refreshed_to_show_every_readable_item()
    {
        var ring = new SpscRingBuffer<int>(16);
        Assert.True(ring.TryWrite(1));
        Assert.Equal(1, ring.GetReadSpan().Length); // the consumer's cache now says one item
        Assert.Equal(3, ring.TryWriteBatch([2, 3, 4]));
        Assert.Equal([1, 2, 3, 4], ring.GetReadSpan().ToArray()); // re-read, not the stale cache
    }

    [Fact]
    public void Advancing_wrongly_throws_and_changes_nothing()
    {
        var ring = new SpscRingBuffer<int>(4);
        Assert.Throws<InvalidOperationException>(() => ring.AdvanceWrite(0)); // no span handed out
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.GetWriteSpan(-1));

        Assert.Equal(4, ring.GetWriteSpan().Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.AdvanceWrite(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.AdvanceWrite(-1));
        ring.AdvanceWrite(2); // the span is still outstanding after a rejected advance
        Assert.Throws<InvalidOperationException>(() => ring.AdvanceWrite(1)); // advanced twice
        Assert.Equal(2, ring.Count);

        ring.GetWriteSpan();
        Assert.True(ring.TryWrite(7)); // another write discards the span
        Assert.Throws<InvalidOperationException>(() => ring.AdvanceWrite(1));
        Assert.Equal(3, ring.Count);

        SpanReads.AdvancingWronglyThrows(new RingReader<int>(ring));
        Assert.True(ring.TryRead(out int item));
        Assert.Equal(7, item);
    }

    [Fact]
    public void Completion_discards_an_outstanding_write_span()
    {
        var ring = new SpscRingBuffer<int>(4);
        ring.GetWriteSpan()[0] = 1;
        ring.Complete();
        Assert.Throws<InvalidOperationException>(() => ring.AdvanceWrite(1));
        Assert.Throws<InvalidOperationException>(() => ring.GetWriteSpan());
        Assert.Throws<InvalidOperationException>(() => ring.GetWriteMemory());
        Assert.True(ring.IsEmpty);
        Assert.False(ring.WaitToRead(2));
    }

    [Fact]
    public void Completion_leaves_an_outstanding_read_span_readable()
    {
        var ring = new SpscRingBuffer<int>(4);
        Assert.Equal(3, ring.TryWriteBatch([1, 2, 3]));
        ReadOnlySpan<int> items = ring.GetReadSpan();
        ring.Complete();
        Assert.Equal([1, 2, 3], items.ToArray());
        ring.AdvanceRead(2);
        Assert.True(ring.WaitToRead(3)); // completed: true while any item remains, even fewer than asked for
        Assert.Equal([3], ring.GetReadSpan().ToArray());
        ring.AdvanceRead(1);
        Assert.False(ring.WaitToRead(3));
    }

    [Fact]
    public void Advancing_a_read_span_clears_reference_slots()
    {
        var ring = new SpscRingBuffer<object>(2);
        WeakReference weak = WriteAndReadThroughSpans(ring);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(weak.IsAlive);
        Span<object> reused = ring.GetWriteSpan(2); // Tail is 2: the same two slots, now cleared
        Assert.Equal(2, reused.Length);
        Assert.Null(reused[0]);
        Assert.Null(reused[1]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Wait_counts_outside_one_to_capacity_are_rejected(int count)
    {
        var ring = new SpscRingBuffer<int>(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.WaitToWrite(count));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.WaitToRead(count));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = ring.WaitToWriteAsync(count).AsTask(); }); // thrown synchronously, before any task
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = ring.WaitToReadAsync(count).AsTask(); });
    }

    [Fact]
    public async Task A_reader_waiting_for_n_items_is_released_by_the_nth()
    {
        var ring = new SpscRingBuffer<int>(8);
        Task<bool> sync = TwoThreads.StartThread(() => Assert.True(ring.WaitToRead(3))).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
        Assert.True(ring.TryWrite(1));
        Assert.True(ring.TryWrite(2));
        await Task.Delay(StillBlocked);
        Assert.False(sync.IsCompleted, "released with only two of three items");
        Assert.True(ring.TryWrite(3));
        Assert.True(await sync.WaitAsync(TwoThreads.Timeout));

        Assert.Equal(3, ring.GetReadSpan().Length);
        ring.AdvanceRead(3);
        ValueTask<bool> pending = ring.WaitToReadAsync(2);
        Assert.True(ring.TryWrite(4));
        GetWriteSpanAndAdvance(ring, 5);
        Assert.True(await pending.AsTask().WaitAsync(TwoThreads.Timeout));
        Assert.Equal([4, 5], ring.GetReadSpan().ToArray());
    }

    [Fact]
    public async Task A_writer_waiting_for_n_slots_is_released_by_the_nth()
    {
        var ring = new SpscRingBuffer<int>(4);
        Assert.Equal(4, ring.TryWriteBatch([1, 2, 3, 4]));
        Task<bool> sync = TwoThreads.StartThread(() => Assert.True(ring.WaitToWrite(2))).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
        Assert.True(ring.TryRead(out _));
        await Task.Delay(StillBlocked);
        Assert.False(sync.IsCompleted, "released with only one of two slots free");
        ring.GetReadSpan();
        ring.AdvanceRead(1);
        Assert.True(await sync.WaitAsync(TwoThreads.Timeout));

        Assert.Equal(2, ring.TryWriteBatch([5, 6]));
        ValueTask<bool> pending = ring.WaitToWriteAsync(3);
        Assert.True(ring.TryRead(out _));
        Assert.True(ring.TryRead(out _));
        Assert.False(pending.IsCompleted);
        Assert.True(ring.TryRead(out _));
        Assert.True(await pending.AsTask().WaitAsync(TwoThreads.Timeout));
    }

    [Fact]
    public async Task Waits_for_n_end_with_completion_and_cancellation()
    {
        var ring = new SpscRingBuffer<int>(4);
        ValueTask<bool> reader = ring.WaitToReadAsync(4);
        using (var cts = new CancellationTokenSource())
        {
            ValueTask<bool> cancelled = ring.WaitToReadAsync(2, cts.Token);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.AsTask()).WaitAsync(TwoThreads.Timeout);
        }

        Assert.Equal(4, ring.TryWriteBatch([1, 2, 3, 4]));
        Assert.True(await reader.AsTask().WaitAsync(TwoThreads.Timeout));

        using (var cts = new CancellationTokenSource())
        {
            ValueTask<bool> cancelled = ring.WaitToWriteAsync(1, cts.Token);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.AsTask()).WaitAsync(TwoThreads.Timeout);
            Assert.Throws<OperationCanceledException>(() => ring.WaitToWrite(1, cts.Token));
            Assert.Throws<OperationCanceledException>(() => ring.WaitToRead(1, cts.Token));
        }

        ValueTask<bool> writer = ring.WaitToWriteAsync(2);
        Task<bool> syncWriter = TwoThreads.StartThread(() => Assert.False(ring.WaitToWrite(3))).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
        ring.Complete();
        Assert.False(await writer.AsTask().WaitAsync(TwoThreads.Timeout));
        Assert.True(await syncWriter.WaitAsync(TwoThreads.Timeout));
        Assert.True(await ring.WaitToReadAsync(4)); // completed with items left
    }

    [Fact]
    public void The_debugger_shows_count_capacity_completion_and_the_items()
    {
        var ring = new SpscRingBuffer<int>(5);
        Assert.Equal(3, ring.TryWriteBatch([7, 8, 9]));
        Assert.True(ring.TryRead(out _));

        DebuggerDisplayAssert.Shows(ring, "Count = 2, Capacity = 5, IsCompleted = False");
        Assert.Equal([8, 9], DebuggerDisplayAssert.ProxyItems<int>(ring));
        ring.Complete();
        DebuggerDisplayAssert.Shows(ring, "Count = 2, Capacity = 5, IsCompleted = True");
    }

    private static void GetWriteSpanAndAdvance(SpscRingBuffer<int> ring, int item)
    {
        ring.GetWriteSpan(1)[0] = item;
        ring.AdvanceWrite(1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference WriteAndReadThroughSpans(SpscRingBuffer<object> ring)
    {
        var item = new object();
        Span<object> free = ring.GetWriteSpan(2);
        free[0] = new object();
        free[1] = item;
        ring.AdvanceWrite(2);
        ReadOnlySpan<object> items = ring.GetReadSpan();
        Assert.Same(item, items[1]);
        ring.AdvanceRead(2);
        return new WeakReference(item);
    }
}

/// <summary>Evaluates a type's <see cref="System.Diagnostics.DebuggerDisplayAttribute"/> and type proxy the way a
/// debugger would, for the types whose display is "{DebuggerDisplay,nq}" over a private property.</summary>
internal static class DebuggerDisplayAssert
{
    internal static void Shows(object value, string expected)
    {
        var display = value.GetType().GetCustomAttribute<System.Diagnostics.DebuggerDisplayAttribute>();
        Assert.NotNull(display);
        Assert.Equal("{DebuggerDisplay,nq}", display.Value);
        PropertyInfo? property = value.GetType().GetProperty("DebuggerDisplay", BindingFlags.Instance | BindingFlags.NonPublic);
        Assert.NotNull(property);
        Assert.Equal(expected, property.GetValue(value));
    }

    internal static T[] ProxyItems<T>(object value)
    {
        var proxy = value.GetType().GetCustomAttribute<System.Diagnostics.DebuggerTypeProxyAttribute>();
        Assert.NotNull(proxy);
        Type proxyType = Type.GetType(proxy.ProxyTypeName, throwOnError: true)!.MakeGenericType(typeof(T));
        object view = Activator.CreateInstance(proxyType, value)!;
        return (T[])proxyType.GetProperty("Items")!.GetValue(view)!;
    }
}
