using Primitives.CoyoteTests.Harness;
using Primitives.ForkJoin;
using Primitives.Internal;

namespace Primitives.CoyoteTests.ForkJoin;

/// <summary>
/// Systematic tests of the Chase-Lev <c>WorkStealingDeque</c> on its own: one owner pushes and pops, two thieves
/// steal, around the last element, the empty deque, the growth of its array and the full deque, without the join
/// machinery (no stealers are launched).
/// </summary>
public sealed class WorkStealingDequeTests(ITestOutputHelper output)
{
    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: every pushed job is taken exactly once, by the owner's pop or by one steal; none is lost, none is
    // taken twice, and a pop or steal of an empty deque returns null.
    [Fact]
    public void Every_job_is_taken_exactly_once() =>
        _coyote.Run(TakeBody);

    [Fact]
    [SeededFault(FaultId.JoinStealWithoutCas)]
    public void A_steal_without_its_CAS_is_found() =>
        _coyote.ExpectFault(FaultId.JoinStealWithoutCas, TakeBody, "taken twice");

    [Fact]
    [SeededFault(FaultId.JoinPopWithoutCas)]
    public void A_pop_of_the_last_job_without_its_CAS_is_found() =>
        _coyote.ExpectFault(FaultId.JoinPopWithoutCas, TakeBody, "taken twice", scale: 10); // the race needs a thief's CAS between the owner's load of top and its own CAS

    // Invariant: a push into a deque at its largest capacity fails unless a steal freed a slot; either way no item is
    // overwritten: every item pushed is taken exactly once. (The fill grows the array once, from 4 to 8 slots.)
    [Fact]
    public void A_full_deque_refuses_a_push_and_loses_nothing() =>
        _coyote.Run(FullBody);

    [Fact]
    [SeededFault(FaultId.DequePushIgnoresCapacity)]
    public void A_push_that_ignores_the_capacity_is_found() =>
        _coyote.ExpectFault(FaultId.DequePushIgnoresCapacity, FullBody, "full deque | never pushed"); // the push succeeds, or it overwrote the slot a thief was reading

    // Invariant: growing the array while thieves steal loses no item and hands none out twice: a thief that wins its
    // CAS of top read the item at top, from whichever array it read (the one it acquired after bottom).
    [Fact]
    public void Growing_while_thieves_steal_takes_every_job_exactly_once() =>
        _coyote.Run(GrowBody);

    [Fact]
    [SeededFault(FaultId.DequeStealReadsArrayFirst)]
    public void A_steal_that_reads_the_array_before_the_indices_is_found() =>
        _coyote.ExpectFault(FaultId.DequeStealReadsArrayFirst, GrowBody, "taken twice");

    private const int FullInitialCapacity = 4;

    private const int FullMaxCapacity = 8;

    private static void FullBody()
    {
        Worker.ResetForSystematicTest(0, 1);
        var deque = new WorkStealingDeque(FullInitialCapacity, FullMaxCapacity);
        var scope = ForkJoinScope.Open();
        int count = FullMaxCapacity + 1;
        var tasks = new Action<ForkJoinScope>[count];
        int[] taken = new int[count];
        for (int i = 0; i < count; i++)
        {
            int index = i;
            tasks[i] = _ => GC.KeepAlive(index); // a closure each: distinct delegates
        }

        void Take(Work work)
        {
            int i = Array.IndexOf(tasks, work.Item);
            CoyoteAssert.True(i >= 0, "an item that was never pushed came out of the deque");
            CoyoteAssert.True(Interlocked.Increment(ref taken[i]) == 1, $"item {i} was taken twice");
        }

        int stolen = 0;
        Task thief = CoyoteAssert.Run("thief", () =>
        {
            if (deque.TrySteal(out Work work))
            {
                Take(work);
                Interlocked.Increment(ref stolen);
            }
        });

        for (int i = 0; i < FullMaxCapacity; i++)
        {
            CoyoteAssert.True(deque.TryPush(new Work(tasks[i], scope)), $"push {i} into a deque with free slots failed");
        }

        bool pushed = deque.TryPush(new Work(tasks[^1], scope));
        thief.Wait();
        CoyoteAssert.True(!pushed || Volatile.Read(ref stolen) == 1, "a push into a full deque succeeded although nothing was stolen");
        while (deque.TryPop(out Work work))
        {
            Take(work);
        }

        for (int i = 0; i < (pushed ? count : count - 1); i++)
        {
            CoyoteAssert.True(Volatile.Read(ref taken[i]) == 1, $"item {i} was lost: taken {Volatile.Read(ref taken[i])} times");
        }

        scope.Join();
    }

    /// <summary>
    /// The owner pushes job 0 into a 1-slot array, then, while two thieves steal once each, pushes three more (the
    /// array grows to 2, then to 4) and pops the rest. The replaced 1-slot array still holds job 0 at the slot of every
    /// later index: a steal that read it before the indices, and then finds top at 1 (the other thief took job 0),
    /// takes job 0 again.
    /// </summary>
    private static void GrowBody()
    {
        Worker.ResetForSystematicTest(0, 1);
        Worker owner = Worker.Current;
        var deque = new WorkStealingDeque(initialCapacity: 1, maxCapacity: 4);
        var jobs = new JoinJob[4];
        for (int i = 0; i < jobs.Length; i++)
        {
            jobs[i] = new ActionJoinJob(owner);
        }

        int[] taken = new int[jobs.Length];
        void Take(Work work)
        {
            CoyoteAssert.True(work.Item is not null, "a job was taken twice: a steal got a slot that a pop had emptied");
            int i = Array.IndexOf(jobs, work.Item);
            CoyoteAssert.True(i >= 0, "a job that was never pushed came out of the deque");
            CoyoteAssert.True(Interlocked.Increment(ref taken[i]) == 1, $"job {i} was taken twice");
        }

        void Steal()
        {
            if (deque.TrySteal(out Work work))
            {
                Take(work);
            }
        }

        void Push(int i) => CoyoteAssert.True(deque.TryPush(new Work(jobs[i])), $"push {i} into a growable deque failed");
        Push(0);
        Task thief1 = CoyoteAssert.Run("thief 1", Steal);
        Task thief2 = CoyoteAssert.Run("thief 2", Steal);
        for (int i = 1; i < jobs.Length; i++)
        {
            Push(i);
        }

        while (deque.TryPop(out Work work))
        {
            Take(work);
        }

        thief1.Wait();
        thief2.Wait();
        CoyoteAssert.True(!deque.TryPop(out _) && !deque.TrySteal(out _), "the deque is not empty after everything was taken");
        for (int i = 0; i < jobs.Length; i++)
        {
            CoyoteAssert.True(Volatile.Read(ref taken[i]) == 1, $"job {i} was lost: taken {Volatile.Read(ref taken[i])} times");
        }
    }

    private static void TakeBody()
    {
        Worker.ResetForSystematicTest(0, 1);
        Worker owner = Worker.Current;
        var deque = new WorkStealingDeque();
        JoinJob[] jobs = [new ActionJoinJob(owner), new ActionJoinJob(owner), new ActionJoinJob(owner)];
        int[] taken = new int[jobs.Length];
        void Take(bool found, Work work)
        {
            if (found)
            {
                CoyoteAssert.True(work.Item is not null, "a job was taken twice: a steal got the slot that the owner's pop of the same job had emptied");
                int i = Array.IndexOf(jobs, work.Item);
                CoyoteAssert.True(i >= 0, "a job that was never pushed came out of the deque");
                CoyoteAssert.True(Interlocked.Increment(ref taken[i]) == 1, $"job {i} was taken twice");
            }
        }

        Task thief1 = CoyoteAssert.Run("thief 1", () =>
        {
            Take(deque.TrySteal(out Work first), first);
            Take(deque.TrySteal(out Work second), second);
        });
        Task thief2 = CoyoteAssert.Run("thief 2", () => Take(deque.TrySteal(out Work work), work));

        CoyoteAssert.True(deque.TryPush(new Work(jobs[0])) && deque.TryPush(new Work(jobs[1])), "a push into an almost empty deque failed");
        Take(deque.TryPop(out Work popped), popped);
        CoyoteAssert.True(deque.TryPush(new Work(jobs[2])), "a push into an almost empty deque failed");
        while (deque.TryPop(out Work work))
        {
            Take(true, work);
        }

        thief1.Wait();
        thief2.Wait();
        CoyoteAssert.True(!deque.TryPop(out _) && !deque.TrySteal(out _), "the deque is not empty after everything was taken");
        for (int i = 0; i < jobs.Length; i++)
        {
            CoyoteAssert.True(Volatile.Read(ref taken[i]) == 1, $"job {i} was lost: taken {Volatile.Read(ref taken[i])} times");
        }
    }
}
