using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Primitives.ForkJoin;

namespace Primitives.Tests.ForkJoin;

/// <summary>Guards the padding of <see cref="ForkJoinScopeCounters"/>: the hot counters sit a full block from both edges.</summary>
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
}
