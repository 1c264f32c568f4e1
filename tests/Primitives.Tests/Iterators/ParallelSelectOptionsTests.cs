using Primitives.Iterators;
using Primitives.RingBuffers;

namespace Primitives.Tests.Iterators;

/// <summary>
/// <see cref="ParallelSelectOptions"/> rejects, when a property is set, every value the iteration could never use,
/// instead of failing at the first <c>MoveNext</c> with a parameter the caller never passed.
/// </summary>
public class ParallelSelectOptionsTests
{
    private static readonly int[] ThreeItems = [1, 2, 3];

    /// <summary>A source that is not a list: the iterator cannot size anything from its length.</summary>
    private static IEnumerable<int> Sequence()
    {
        foreach (int item in ThreeItems)
        {
            yield return item;
        }
    }

    [Fact]
    public void Defaults_are_within_the_limits()
    {
        ParallelSelectOptions options = ParallelSelectOptions.Default;
        Assert.InRange(options.MaxDegreeOfParallelism, 1, Array.MaxLength);
        Assert.InRange(options.BufferSize, 1, SpscRingBuffer<int>.MaxCapacity);
        Assert.Equal(0, options.ChunkSize);
    }

    // Regression: BufferSize = 2^30 + 1 was accepted, and the first MoveNext over a sequence threw from the ring's
    // constructor with parameter name "capacity".
    [Theory]
    [InlineData(SpscRingBuffer<int>.MaxCapacity + 1)]
    [InlineData(int.MaxValue)]
    [InlineData(0)]
    [InlineData(-1)]
    public void BufferSize_outside_one_to_the_ring_maximum_is_rejected_when_set(int bufferSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>("value", () => new ParallelSelectOptions { BufferSize = bufferSize });
    }

    [Fact]
    public void BufferSize_at_the_ring_maximum_is_accepted_and_usable()
    {
        var options = new ParallelSelectOptions { BufferSize = SpscRingBuffer<int>.MaxCapacity };
        Assert.Equal(SpscRingBuffer<int>.MaxCapacity, options.BufferSize);
        Assert.Equal([2, 4, 6], ThreeItems.ParallelSelect(x => x * 2, options)); // a list's rings are no longer than the list
    }

    // Regression: MaxDegreeOfParallelism = int.MaxValue was accepted, and the first MoveNext over a sequence threw
    // OutOfMemoryException allocating the array of the workers' rings.
    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(0)]
    [InlineData(-1)]
    public void MaxDegreeOfParallelism_outside_one_to_the_array_maximum_is_rejected_when_set(int degree)
    {
        Assert.Throws<ArgumentOutOfRangeException>("value", () => new ParallelSelectOptions { MaxDegreeOfParallelism = degree });
    }

    [Fact]
    public void MaxDegreeOfParallelism_at_the_array_maximum_is_accepted_and_usable_with_a_list()
    {
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = Array.MaxLength };
        Assert.Equal(Array.MaxLength, options.MaxDegreeOfParallelism);
        Assert.Equal([2, 4, 6], ThreeItems.ParallelSelect(x => x * 2, options)); // no more workers than chunks
    }

    // Regression: ChunkSize = int.MaxValue was accepted, and over a sequence a worker failed to allocate its chunk
    // buffer at the first MoveNext (with two or more workers the iteration then hung: see the report).
    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(-1)]
    public void ChunkSize_outside_zero_to_the_array_maximum_is_rejected_when_set(int chunkSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>("value", () => new ParallelSelectOptions { ChunkSize = chunkSize });
    }

    [Fact]
    public void ChunkSize_at_the_array_maximum_is_accepted_and_usable_with_an_array()
    {
        var options = new ParallelSelectOptions { ChunkSize = Array.MaxLength };
        Assert.Equal(Array.MaxLength, options.ChunkSize);
        Assert.Equal([2, 4, 6], ThreeItems.ParallelSelect(x => x * 2, options)); // an array's chunk is a slice, not a copy
    }

    [Fact]
    public void Small_limits_work_for_a_sequence()
    {
        var options = new ParallelSelectOptions { MaxDegreeOfParallelism = 2, BufferSize = 1, ChunkSize = 1 };
        Assert.Equal([2, 4, 6], Sequence().ParallelSelect(x => x * 2, options));
    }
}
