using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.Registry;

namespace Primitives.Tests.Registry;

/// <summary>
/// Guards the padding of <see cref="TaskRegistryIndices"/>: the claim counter (CAS by every worker) and
/// the released count (written by the consumer) must never share a 128-byte block with each other or
/// with anything outside the struct.
/// </summary>
public class TaskRegistryLayoutTests
{
    private const int Block = 128;

    private static int Offset(string field) => (int)Marshal.OffsetOf<TaskRegistryIndices>(field);

    [Fact]
    public void Counters_are_a_full_block_apart_and_from_the_edges()
    {
        int size = Unsafe.SizeOf<TaskRegistryIndices>();
        Assert.Equal(0, size % Block);
        int next = Offset(nameof(TaskRegistryIndices.Next));
        int released = Offset(nameof(TaskRegistryIndices.Released));
        Assert.True(next >= Block, $"Next at {next}");
        Assert.True(released - (next + sizeof(long)) >= Block, $"Next at {next}, Released at {released}");
        Assert.True(size - (released + sizeof(long)) >= Block, $"Released at {released}, size {size}");

        var indices = default(TaskRegistryIndices);
        ref byte start = ref Unsafe.As<TaskRegistryIndices, byte>(ref indices);
        Assert.Equal(next, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<long, byte>(ref indices.Next)));
        Assert.Equal(released, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<long, byte>(ref indices.Released)));
    }

    [Fact]
    public void The_registry_keeps_its_counters_inside_one_mutable_padded_field()
    {
        FieldInfo[] fields = typeof(TaskRegistry).GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        FieldInfo padded = Assert.Single(fields, f => f.FieldType == typeof(TaskRegistryIndices));
        Assert.False(padded.IsInitOnly, "a readonly padded field would make every counter write go to a copy");
        Assert.DoesNotContain(fields, f => f.FieldType == typeof(long));
    }
}
