using System.Reflection;
using Primitives.Internal;
using Primitives.RingBuffers;

namespace Primitives.Tests.RingBuffers;

/// <summary>
/// The SPSC waits spin patiently only while the other side streams: a refresh of the other side's index that finds
/// more than one item (or free slot) makes the next wait patient, one that finds exactly one makes it eager, and one
/// that finds nothing keeps the verdict. (What the policy buys is measured by the benchmarks, not here.)
/// </summary>
public class SpscSpinPolicyTests
{
    [Theory]
    [InlineData(false, 0, false)]
    [InlineData(true, 0, true)]
    [InlineData(true, 1, false)]
    [InlineData(false, 2, true)]
    [InlineData(false, 1024, true)]
    public void A_refresh_sets_the_next_waits_policy_from_what_it_found(bool patientBefore, long found, bool patientAfter)
    {
        SpinPolicy policy = patientBefore ? SpinPolicy.Patient : SpinPolicy.Eager;
        SpscWakeUp.Learn(ref policy, found);
        Assert.Equal(patientAfter ? SpinPolicy.Patient : SpinPolicy.Eager, policy);
    }

    [Fact]
    public void A_ring_consumer_that_finds_a_run_of_items_waits_patiently_and_one_that_finds_one_eagerly()
    {
        var ring = new SpscRingBuffer<int>(16);
        Assert.Equal(SpinPolicy.Eager, Indices(ring).DataSpin);

        ring.WriteBatch([1, 2, 3]);
        Assert.True(ring.TryRead(out _)); // the consumer's cache is empty: it refreshes Tail and finds three
        Assert.Equal(SpinPolicy.Patient, Indices(ring).DataSpin);
        Assert.True(ring.TryRead(out _));
        Assert.True(ring.TryRead(out _));
        Assert.False(ring.TryRead(out _)); // finds nothing: the verdict stays
        Assert.Equal(SpinPolicy.Patient, Indices(ring).DataSpin);

        ring.Write(4);
        Assert.Equal(4, ring.Read()); // finds exactly one, as in a request and reply
        Assert.Equal(SpinPolicy.Eager, Indices(ring).DataSpin);
    }

    [Fact]
    public void A_ring_producer_that_finds_many_free_slots_after_a_full_ring_waits_patiently()
    {
        var ring = new SpscRingBuffer<int>(4);
        ring.WriteBatch([1, 2, 3, 4]);
        Assert.Equal(4, ring.TryReadBatch(new int[4]));
        ring.Write(5); // the producer's cache said full: it refreshes Head and finds four free slots
        Assert.Equal(SpinPolicy.Patient, Indices(ring).SpaceSpin);
    }

    [Fact]
    public void A_queue_consumer_learns_like_the_rings()
    {
        var queue = new SpscQueue<int>();
        queue.WriteBatch([1, 2]);
        Assert.True(queue.TryRead(out _));
        Assert.Equal(SpinPolicy.Patient, QueueIndices(queue).DataSpin);
        Assert.True(queue.TryRead(out _));
        queue.Write(3);
        Assert.True(queue.TryRead(out _));
        Assert.Equal(SpinPolicy.Eager, QueueIndices(queue).DataSpin);
    }

    private static SpscRingIndices Indices<T>(SpscRingBuffer<T> ring) =>
        (SpscRingIndices)typeof(SpscRingBuffer<T>).GetField("_indices", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(ring)!;

    private static SpscQueueIndices QueueIndices<T>(SpscQueue<T> queue) =>
        (SpscQueueIndices)typeof(SpscQueue<T>).GetField("_indices", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(queue)!;
}
