using Primitives.CoyoteTests.Harness;
using Primitives.ForkJoin;
using Primitives.Internal;

namespace Primitives.CoyoteTests.ForkJoin;

/// <summary>
/// Systematic tests of the <c>StealHalfQueue</c> of scope tasks on its own: one owner pushes and takes, two thieves
/// each steal a batch into their own queue and take it from there, around the last elements, the empty queue, the full
/// queue, the wrap of the indices around the array and its growth, without the scheduler (no stealers are launched).
/// </summary>
public sealed class StealHalfQueueTests(ITestOutputHelper output)
{
    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: every pushed item is taken exactly once, by the owner's take or in one thief's batch (and then from
    // that thief's queue); none is lost, none is taken twice, no empty slot is taken, and an empty queue gives nothing.
    [Fact]
    public void Every_item_is_taken_exactly_once() =>
        _coyote.Run(TakeBody);

    [Fact]
    [SeededFault(FaultId.StealHalfClaimsPastTail)]
    public void A_batch_steal_that_claims_past_the_tail_is_found() =>
        _coyote.ExpectFault(FaultId.StealHalfClaimsPastTail, TakeBody, "empty slot");

    [Fact]
    [SeededFault(FaultId.StealHalfOwnerTakeWithoutCas)]
    public void An_owner_take_without_its_CAS_is_found() =>
        _coyote.ExpectFault(FaultId.StealHalfOwnerTakeWithoutCas, TakeBody, "taken twice");

    // Invariant: a push into a queue at its largest capacity fails unless a steal freed a slot; either way no item is
    // overwritten, including after the indices wrap around the array: every item pushed is taken exactly once.
    [Fact]
    public void A_full_queue_refuses_a_push_and_loses_nothing_across_the_wrap() =>
        _coyote.Run(FullBody);

    [Fact]
    [SeededFault(FaultId.StealHalfClaimsPastTail)]
    public void A_batch_steal_past_the_tail_of_a_full_queue_is_found() =>
        _coyote.ExpectFault(FaultId.StealHalfClaimsPastTail, FullBody, "taken");

    // Invariant: growing the array while thieves steal batches loses no item and hands none out twice.
    [Fact]
    public void Growing_while_thieves_steal_batches_takes_every_item_exactly_once() =>
        _coyote.Run(GrowBody);

    private const int Capacity = 4;

    private sealed class Items
    {
        private readonly int[] _taken;

        internal Items(int count)
        {
            Tasks = new Action<ForkJoinScope>[count];
            _taken = new int[count];
            for (int i = 0; i < count; i++)
            {
                int index = i;
                Tasks[i] = _ => GC.KeepAlive(index); // a closure each: distinct delegates
            }
        }

        internal Action<ForkJoinScope>[] Tasks { get; }

        internal ForkJoinScope Scope { get; } = ForkJoinScope.Open();

        internal Work this[int i] => new(Tasks[i], Scope);

        internal void Take(Work work)
        {
            CoyoteAssert.True(work.Item is not null, "an empty slot was taken: a batch claimed past the tail, or an item was taken twice");
            int i = Array.IndexOf(Tasks, work.Item);
            CoyoteAssert.True(i >= 0, "an item that was never pushed came out of the queue");
            CoyoteAssert.True(Interlocked.Increment(ref _taken[i]) == 1, $"item {i} was taken twice");
        }

        /// <summary>A thief: steals a batch from <paramref name="victim"/> into its own queue, then takes the batch from there.</summary>
        internal void Steal(StealHalfQueue victim, StealHalfQueue own)
        {
            if (victim.TryStealHalf(own, out Work work))
            {
                Take(work);
            }

            while (own.TryTake(out Work moved))
            {
                Take(moved);
            }
        }

        internal void CheckAll(int count)
        {
            for (int i = 0; i < count; i++)
            {
                CoyoteAssert.True(Volatile.Read(ref _taken[i]) == 1, $"item {i} was lost: taken {Volatile.Read(ref _taken[i])} times");
            }

            Scope.Join();
        }
    }

    private static void TakeBody()
    {
        Worker.ResetForSystematicTest(0, 1);
        var queue = new StealHalfQueue(Capacity, Capacity);
        var items = new Items(4);
        Task thief1 = CoyoteAssert.Run("thief 1", () => items.Steal(queue, new StealHalfQueue(Capacity, Capacity)));
        Task thief2 = CoyoteAssert.Run("thief 2", () => items.Steal(queue, new StealHalfQueue(Capacity, Capacity)));
        CoyoteAssert.True(queue.TryPush(items[0]) && queue.TryPush(items[1]), "a push into an empty queue failed");
        if (queue.TryTake(out Work first))
        {
            items.Take(first);
        }

        CoyoteAssert.True(queue.TryPush(items[2]), "a push into a queue with free slots failed");
        if (queue.TryTake(out Work second))
        {
            items.Take(second);
        }

        CoyoteAssert.True(queue.TryPush(items[3]), "a push into a queue with free slots failed");
        thief1.Wait();
        thief2.Wait();
        while (queue.TryTake(out Work work))
        {
            items.Take(work);
        }

        CoyoteAssert.True(!queue.TryTake(out _) && !queue.TryStealHalf(new StealHalfQueue(Capacity, Capacity), out _), "the queue is not empty after everything was taken");
        items.CheckAll(4);
    }

    /// <summary>
    /// The owner moves the indices past the array's length (push and take three), fills the queue (its tail wraps), and
    /// pushes once more while a thief steals a batch: that push may succeed only into the slot the steal freed.
    /// </summary>
    private static void FullBody()
    {
        Worker.ResetForSystematicTest(0, 1);
        var queue = new StealHalfQueue(Capacity, Capacity);
        int count = 3 + Capacity + 1;
        var items = new Items(count);
        for (int i = 0; i < 3; i++)
        {
            CoyoteAssert.True(queue.TryPush(items[i]), "a push into an empty queue failed");
            CoyoteAssert.True(queue.TryTake(out Work work), "a take from a queue of one item failed");
            items.Take(work);
        }

        for (int i = 3; i < 3 + Capacity; i++)
        {
            CoyoteAssert.True(queue.TryPush(items[i]), $"push {i} into a queue with free slots failed");
        }

        int stolen = 0;
        Task thief = CoyoteAssert.Run("thief", () =>
        {
            var own = new StealHalfQueue(Capacity, Capacity);
            if (queue.TryStealHalf(own, out Work work))
            {
                items.Take(work);
                Interlocked.Increment(ref stolen);
            }

            while (own.TryTake(out Work moved))
            {
                items.Take(moved);
            }
        });

        bool pushed = queue.TryPush(items[count - 1]);
        thief.Wait();
        CoyoteAssert.True(!pushed || Volatile.Read(ref stolen) == 1, "a push into a full queue succeeded although nothing was stolen");
        while (queue.TryTake(out Work work))
        {
            items.Take(work);
        }

        items.CheckAll(pushed ? count : count - 1);
    }

    /// <summary>The owner pushes into a 1-slot array that grows to 4 while two thieves steal batches, then takes the rest.</summary>
    private static void GrowBody()
    {
        Worker.ResetForSystematicTest(0, 1);
        var queue = new StealHalfQueue(initialCapacity: 1, maxCapacity: 4);
        var items = new Items(4);
        CoyoteAssert.True(queue.TryPush(items[0]), "a push into an empty queue failed");
        Task thief1 = CoyoteAssert.Run("thief 1", () => items.Steal(queue, new StealHalfQueue(Capacity, Capacity)));
        Task thief2 = CoyoteAssert.Run("thief 2", () => items.Steal(queue, new StealHalfQueue(Capacity, Capacity)));
        for (int i = 1; i < 4; i++)
        {
            CoyoteAssert.True(queue.TryPush(items[i]), $"push {i} into a growable queue failed");
        }

        while (queue.TryTake(out Work work))
        {
            items.Take(work);
        }

        thief1.Wait();
        thief2.Wait();
        items.CheckAll(4);
    }
}
