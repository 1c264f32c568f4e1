using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>
/// Guards the padding: the producer's group (Tail, CachedHead, its span record and wait threshold) and the
/// consumer's group (Head, CachedTail, its span record and wait threshold) must never share a 128-byte block
/// with each other or with anything outside the padded struct. Objects are only 8-byte aligned, so that takes
/// 128 bytes between the groups and 128 bytes between each group and the struct's edges.
/// </summary>
public class SpscRingLayoutTests
{
    private const int Block = 128;

    internal static readonly string[] RingProducerGroup = ["Tail", "CachedHead", "WriteStart", "WriteEnd", "SpaceNeeded", "SpaceSpin"];
    internal static readonly string[] RingConsumerGroup = ["Head", "CachedTail", "ReadStart", "ReadEnd", "DataNeeded", "DataSpin"];

    [Fact]
    public void Groups_are_a_full_block_apart_and_a_full_block_from_the_edges() =>
        AssertPadded<SpscRingIndices>(RingProducerGroup, RingConsumerGroup);

    [Fact]
    public void Offsets_in_a_live_instance_match_the_declared_layout()
    {
        var indices = default(SpscRingIndices);
        Assert.Equal(Offset<SpscRingIndices>("Tail"), (int)Unsafe.ByteOffset(ref Unsafe.As<SpscRingIndices, byte>(ref indices), ref Unsafe.As<long, byte>(ref indices.Tail)));
        Assert.Equal(Offset<SpscRingIndices>("Head"), (int)Unsafe.ByteOffset(ref Unsafe.As<SpscRingIndices, byte>(ref indices), ref Unsafe.As<long, byte>(ref indices.Head)));
        Assert.Equal(Offset<SpscRingIndices>("CachedHead"), (int)Unsafe.ByteOffset(ref Unsafe.As<SpscRingIndices, byte>(ref indices), ref Unsafe.As<long, byte>(ref indices.CachedHead)));
        Assert.Equal(Offset<SpscRingIndices>("CachedTail"), (int)Unsafe.ByteOffset(ref Unsafe.As<SpscRingIndices, byte>(ref indices), ref Unsafe.As<long, byte>(ref indices.CachedTail)));
        Assert.Equal(Offset<SpscRingIndices>("DataNeeded"), (int)Unsafe.ByteOffset(ref Unsafe.As<SpscRingIndices, byte>(ref indices), ref Unsafe.As<int, byte>(ref indices.DataNeeded)));
    }

    [Fact]
    public void The_ring_keeps_every_index_inside_one_mutable_padded_field() =>
        AssertIndicesInOnePaddedField(typeof(SpscRingBuffer<int>), typeof(SpscRingIndices));

    [Fact]
    public void The_queue_groups_are_a_full_block_apart_and_a_full_block_from_the_edges() =>
        AssertPadded<SpscQueueIndices>(["Tail", "TailIndex"], ["Head", "CachedTail", "ReadStart", "ReadEnd", "HeadIndex", "DataNeeded", "DataSpin"]);

    [Fact]
    public void The_queue_keeps_every_index_inside_one_mutable_padded_field() =>
        AssertIndicesInOnePaddedField(typeof(SpscQueue<int>), typeof(SpscQueueIndices));

    internal static int Offset<TStruct>(string field) => (int)Marshal.OffsetOf<TStruct>(field);

    /// <summary>Each group is contiguous, starts a block after the struct's start, ends a block before its end, and
    /// the two groups are a block apart.</summary>
    internal static void AssertPadded<TStruct>(string[] producerFields, string[] consumerFields)
        where TStruct : struct
    {
        int size = Unsafe.SizeOf<TStruct>();
        Assert.Equal(0, size % Block);
        (int start, int end) producer = Group<TStruct>(producerFields);
        (int start, int end) consumer = Group<TStruct>(consumerFields);
        Assert.True(producer.start >= Block, $"producer group at {producer.start} is within a block of the struct's start");
        Assert.True(consumer.start - producer.end >= Block, $"groups [{producer.start},{producer.end}) and [{consumer.start},{consumer.end}) are less than a block apart");
        Assert.True(size - consumer.end >= Block, $"consumer group ends at {consumer.end}, within a block of the struct's end {size}");

        // Every field of the struct belongs to one of the groups: nothing hides in the padding.
        string[] all = typeof(TStruct).GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public).Select(f => f.Name).ToArray();
        Assert.Equal(all.Order(), producerFields.Concat(consumerFields).Order());
    }

    internal static void AssertIndicesInOnePaddedField(Type owner, Type padded)
    {
        FieldInfo[] fields = owner.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        FieldInfo field = Assert.Single(fields, f => f.FieldType == padded);
        Assert.False(field.IsInitOnly, "a readonly padded field would make every index write go to a copy");
        Assert.DoesNotContain(fields, f => f.FieldType == typeof(long)); // no index outside the padding
    }

    /// <summary>The bytes a field takes; an enum takes its underlying type's size.</summary>
    private static int FieldSize(Type type) => Marshal.SizeOf(type.IsEnum ? Enum.GetUnderlyingType(type) : type);

    private static (int Start, int End) Group<TStruct>(string[] fields)
    {
        int start = fields.Min(Offset<TStruct>);
        int end = fields.Max(f => Offset<TStruct>(f) + FieldSize(typeof(TStruct).GetField(f, BindingFlags.Instance | BindingFlags.NonPublic)!.FieldType));
        Assert.True(end - start <= 48, $"group [{start},{end}) is not its few adjacent fields");
        return (start, end);
    }
}
