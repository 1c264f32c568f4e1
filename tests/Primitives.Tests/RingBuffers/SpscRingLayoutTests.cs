using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>
/// Guards the padding: the producer's group (Tail, CachedHead) and the consumer's group (Head,
/// CachedTail) must never share a 128-byte block with each other or with anything outside the
/// padded struct. Objects are only 8-byte aligned, so that takes 128 bytes between the groups and
/// 128 bytes between each group and the struct's edges.
/// </summary>
public class SpscRingLayoutTests
{
    private const int Block = 128;

    private static int Offset(string field) => (int)Marshal.OffsetOf<SpscRingIndices>(field);

    [Fact]
    public void Groups_are_a_full_block_apart_and_a_full_block_from_the_edges()
    {
        int size = Unsafe.SizeOf<SpscRingIndices>();
        Assert.Equal(0, size % Block);

        (int start, int end) producer = (Math.Min(Offset("Tail"), Offset("CachedHead")), Math.Max(Offset("Tail"), Offset("CachedHead")) + sizeof(long));
        (int start, int end) consumer = (Math.Min(Offset("Head"), Offset("CachedTail")), Math.Max(Offset("Head"), Offset("CachedTail")) + sizeof(long));
        Assert.True(producer.end - producer.start <= 2 * sizeof(long), "each group is its two adjacent fields");
        Assert.True(consumer.end - consumer.start <= 2 * sizeof(long), "each group is its two adjacent fields");

        Assert.True(producer.start >= Block, $"producer group at {producer.start} is within a block of the struct's start");
        Assert.True(consumer.start - producer.end >= Block, $"groups [{producer.start},{producer.end}) and [{consumer.start},{consumer.end}) are less than a block apart");
        Assert.True(size - consumer.end >= Block, $"consumer group ends at {consumer.end}, within a block of the struct's end {size}");
    }

    [Fact]
    public void Offsets_in_a_live_instance_match_the_declared_layout()
    {
        var indices = default(SpscRingIndices);
        Assert.Equal(Offset("Tail"), (int)Unsafe.ByteOffset(ref Unsafe.As<SpscRingIndices, byte>(ref indices), ref Unsafe.As<long, byte>(ref indices.Tail)));
        Assert.Equal(Offset("Head"), (int)Unsafe.ByteOffset(ref Unsafe.As<SpscRingIndices, byte>(ref indices), ref Unsafe.As<long, byte>(ref indices.Head)));
        Assert.Equal(Offset("CachedHead"), (int)Unsafe.ByteOffset(ref Unsafe.As<SpscRingIndices, byte>(ref indices), ref Unsafe.As<long, byte>(ref indices.CachedHead)));
        Assert.Equal(Offset("CachedTail"), (int)Unsafe.ByteOffset(ref Unsafe.As<SpscRingIndices, byte>(ref indices), ref Unsafe.As<long, byte>(ref indices.CachedTail)));
    }

    [Fact]
    public void The_ring_keeps_every_index_inside_one_mutable_padded_field()
    {
        FieldInfo[] fields = typeof(SpscRingBuffer<int>).GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        FieldInfo padded = Assert.Single(fields, f => f.FieldType == typeof(SpscRingIndices));
        Assert.False(padded.IsInitOnly, "a readonly padded field would make every index write go to a copy");
        Assert.DoesNotContain(fields, f => f.FieldType == typeof(long)); // no index outside the padding
    }
}
