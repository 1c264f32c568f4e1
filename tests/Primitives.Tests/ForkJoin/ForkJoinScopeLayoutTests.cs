using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.ForkJoin;

namespace Primitives.Tests.ForkJoin;

/// <summary>Guards the padding of <see cref="ForkJoinScopeCounters"/> and <see cref="WorkStealingDequeIndices"/>: hot fields a full block from both edges.</summary>
public class ForkJoinScopeLayoutTests
{
    private const int Block = 128;

    [Fact]
    public void Counters_are_a_full_block_from_the_edges()
    {
        int size = Unsafe.SizeOf<ForkJoinScopeCounters>();
        int pending = (int)Marshal.OffsetOf<ForkJoinScopeCounters>(nameof(ForkJoinScopeCounters.Pending));
        int runners = (int)Marshal.OffsetOf<ForkJoinScopeCounters>(nameof(ForkJoinScopeCounters.Runners));
        Assert.Equal(0, size % Block);
        Assert.True(Math.Min(pending, runners) >= Block, $"counters at {pending} and {runners}");
        Assert.True(size - (Math.Max(pending, runners) + sizeof(int)) >= Block, $"counters end within a block of the struct's end {size}");
    }

    [Fact]
    public void The_scope_keeps_its_counters_inside_one_mutable_padded_field()
    {
        FieldInfo[] fields = typeof(ForkJoinScope).GetFields(BindingFlags.Instance | BindingFlags.NonPublic);
        FieldInfo padded = Assert.Single(fields, f => f.FieldType == typeof(ForkJoinScopeCounters));
        Assert.False(padded.IsInitOnly, "a readonly padded field would make every counter write go to a copy");
    }

    [Fact]
    public void Deque_indices_sit_on_separate_lines_a_full_block_from_the_edges()
    {
        int size = Unsafe.SizeOf<WorkStealingDequeIndices>();
        int top = (int)Marshal.OffsetOf<WorkStealingDequeIndices>(nameof(WorkStealingDequeIndices.Top));
        int bottom = (int)Marshal.OffsetOf<WorkStealingDequeIndices>(nameof(WorkStealingDequeIndices.Bottom));
        int cached = (int)Marshal.OffsetOf<WorkStealingDequeIndices>(nameof(WorkStealingDequeIndices.CachedTop));
        Assert.Equal(0, size % Block);
        Assert.True(top >= Block, $"top at {top}");
        Assert.True(bottom - (top + sizeof(long)) >= Block - sizeof(long) && bottom / Block != top / Block, $"top at {top}, bottom at {bottom}");
        Assert.Equal(bottom / Block, cached / Block); // the owner's two fields share its line
        Assert.True(size - (cached + sizeof(long)) >= Block, $"the owner's fields end within a block of the struct's end {size}");
        FieldInfo padded = Assert.Single(
            typeof(WorkStealingDeque).GetFields(BindingFlags.Instance | BindingFlags.NonPublic),
            f => f.FieldType == typeof(WorkStealingDequeIndices));
        Assert.False(padded.IsInitOnly, "a readonly padded field would make every index write go to a copy");
    }
}
