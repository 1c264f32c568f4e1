#if PRIMITIVES_FAULTS
namespace Primitives.Internal;

/// <summary>
/// Every seeded fault of the library: a deliberate bug that a fault point in the real source turns on in the
/// fault build (see <see cref="Fault"/>), and that at least one Coyote test must find (the suite fails when an id
/// has no test marked with it). Grouped by primitive; each names the invariant that breaks.
/// </summary>
internal enum FaultId
{
    /// <summary>The code as shipped.</summary>
    None,

    // --- RingBuffers/SpscRingBuffer ---

    /// <summary>TryWrite releases the tail before storing the item in its slot (order).</summary>
    RingPublishBeforeStore,

    /// <summary>TryRead releases the head before loading the item out of its slot (order).</summary>
    RingReleaseHeadBeforeLoad,

    /// <summary>The batch write releases the tail before copying the items into their slots (order).</summary>
    RingBatchPublishBeforeCopy,

    /// <summary>The producer never refreshes its cached head: once the cache says full, it stays full (hang).</summary>
    RingNeverRefreshCachedHead,

    /// <summary>The consumer wakes a parked producer only when the free space exceeds what it waits for (lost wake-up).</summary>
    RingNotifySpaceOffByOne,

    /// <summary>Complete() wakes the producer's gate but not the consumer's (lost wake-up).</summary>
    RingNoWakeOnComplete,

    /// <summary>WaitToRead reports completion while items written before it remain (items lost).</summary>
    RingCompletionBeforeItems,

    /// <summary>The async N-slot wait stores how many slots it needs only after the gate announced it and re-checked: the consumer compares against the previous wait's threshold (lost wake-up).</summary>
    RingAsyncSpaceNeededAfterAnnounce,

    /// <summary>GetWriteSpan hands out slots up to the wrap point whether they are free or still hold unread items (overwrite).</summary>
    RingWriteSpanPastFreeSpace,

    /// <summary>AdvanceRead releases the head and wakes the producer before clearing the slots: the clear may wipe items the producer has written since (lost item).</summary>
    RingAdvanceReadClearsAfterRelease,

    /// <summary>The producer wakes a parked consumer only when the items exceed what it waits for (lost wake-up).</summary>
    RingNotifyDataOffByOne,

    // --- RingBuffers/SpscQueue ---

    /// <summary>The producer publishes the first item of a new segment before linking the segment: the consumer finds no successor (lost item).</summary>
    QueuePublishBeforeLink,

    /// <summary>The consumer hands the producer the segment it moves to, not the drained one it left: the producer reuses a segment with unread items (overwrite).</summary>
    QueueSpareIsNextSegment,

    /// <summary>The first item of a new segment is published without waking a parked consumer (lost wake-up).</summary>
    QueueNoWakeOnNewSegment,

    // --- RingBuffers/SpscChannel ---

    /// <summary>Reader.Completion completes as soon as the writer completes, while items remain to be read (completion before items).</summary>
    ChannelCompletionBeforeDrained,

    /// <summary>Writer.Complete(error) drops the error: Completion and the waits report a clean end (error lost).</summary>
    ChannelCompletionErrorDropped,

    /// <summary>The writer's completion does not check whether the reader already drained the ring: Completion never completes (lost completion).</summary>
    ChannelCompleteWithoutDrainCheck,

    /// <summary>The writer's completion ignores a parked WriteAsync that is storing its item: the item lands after Reader.Completion completed (item after completion).</summary>
    ChannelCompleteDuringParkedWrite,

    /// <summary>A continuation registered on a parked operation after its inner task finished never runs (lost continuation).</summary>
    ChannelOperationContinuationDroppedWhenCompleted,

    /// <summary>GetResult on a parked operation that has not completed blocks until it does instead of throwing (premature GetResult blocks).</summary>
    ChannelOperationResultBeforeCompletion,

    // --- Internal/WaitGate ---

    /// <summary>The waiter re-checks the condition before announcing itself (lost wake-up).</summary>
    GateAnnounceAfterRecheck,

    /// <summary>NotifyAll pulses the monitor but does not complete the async waiters' signal (lost wake-up).</summary>
    GateNoAsyncWake,

    /// <summary>The waiter does not register for cancellation: a cancelled, parked waiter is never woken.</summary>
    GateIgnoreCancellation,

    // --- Registry/TaskRegistry ---

    /// <summary>Publish stores the slot's tag before its owner: the consumer can read a stale owner.</summary>
    RegistryTagBeforeOwner,

    /// <summary>Claim lets a number through one past the window: a slot still in use is reused.</summary>
    RegistryWindowOffByOne,

    /// <summary>TryStop compares and then stores without a CAS: a higher stop can overwrite a lower one.</summary>
    RegistryStopWithoutCas,

    /// <summary>Publish does not wake the consumer: a consumer that parked waits forever.</summary>
    RegistryPublishWithoutWake,

    /// <summary>A claim that moves Next to or past StoppedAt does not wake claimers parked for window space (lost wake-up).</summary>
    RegistryClaimReachingStopWithoutWake,

    /// <summary>Close wakes the consumer but not the claimers parked for window space (lost wake-up).</summary>
    RegistryCloseWithoutClaimWake,

    // --- ForkJoin/ForkJoinScope ---

    /// <summary>A task is counted finished before it runs: the join can return while it still runs.</summary>
    ScopeCountBeforeRun,

    /// <summary>Exceptions are pushed with a read and a store instead of a CAS: a concurrent push is lost.</summary>
    ScopePushWithoutCas,

    /// <summary>A runner that finds the queue empty exits without re-checking it: a task can be stranded.</summary>
    ScopeRunnerExitWithoutRecheck,

    /// <summary>The joiner parks before subtracting the tasks it ran itself: it waits for itself.</summary>
    ScopeJoinerParksBeforeCounting,

    /// <summary>The outer token cancels the scope without holding a count: the join can finish while the scope token's callbacks run, and drop the exception one of them throws.</summary>
    ScopeOuterCancelWithoutCount,

    /// <summary>A thread's interim batch subtraction (every CountBatchSize tasks) does not wake the joiner: when the batch ends with the scope's last task, the joiner parks forever.</summary>
    ScopeBatchCountWithoutWake,

    // --- ForkJoin/Fork.Join and the scheduler (WorkStealingDeque, StealHalfQueue, Worker, JoinJob) ---

    /// <summary>TrySteal takes the job with a plain store of top instead of a CAS: a job can be taken twice (run twice).</summary>
    JoinStealWithoutCas,

    /// <summary>TryPop takes the last item even when a thief won the race (the CAS on top): a job can be taken twice (run twice).</summary>
    JoinPopWithoutCas,

    /// <summary>RunStolen marks the job done before running it and storing its result: the owner reads a default result.</summary>
    JoinDoneBeforeResult,

    /// <summary>A join takes whatever it pops back for its own job: a scope task its left side pushed above the job is dropped, and its scope never finishes.</summary>
    JoinTakesForeignWorkAsItsOwn,

    /// <summary>A helping joiner spins and parks before subtracting the scope tasks it ran: when they were its scope's last, it waits for itself.</summary>
    SchedulerHelperWaitsHoldingCount,

    /// <summary>A retiring stealer gives up its slot without a last scan: work submitted by a thread that saw every slot taken is left for nobody.</summary>
    SchedulerStealerRetiresWithoutRescan,

    /// <summary>A join keeps the counts of the scope tasks it popped and ran (its left side spawned them above its job) while its right side runs: a right side that waits for their scope waits for itself.</summary>
    JoinKeepsCountsOfPoppedTasks,

    /// <summary>A join that pops an older join's job (its own already run as help by a scope's joiner inside its left side) drops it: the older join waits forever.</summary>
    JoinDropsAnOlderJoinsJob,

    /// <summary>TryPush skips the capacity check: a push into a full deque overwrites the oldest item, which is lost.</summary>
    DequePushIgnoresCapacity,

    /// <summary>TrySteal reads the deque's array before top and bottom: after a growth, a thief may take an older item from the replaced array (taken twice).</summary>
    DequeStealReadsArrayFirst,

    /// <summary>A spawn takes a count from the thread's held credit when it holds none: Pending under-counts, and the scope can finish while a task still runs.</summary>
    SchedulerSpawnWithoutCredit,

    /// <summary>Every join of a thread reuses one job instead of one per depth: a nested join re-arms a job still on the deque (a side runs twice, another never).</summary>
    JoinJobReusedAcrossDepths,

    /// <summary>Thieves never take a lone item from a deque (a patient stealer leaves it forever instead of until its next scan): a join whose left side blocks until its right side ran never returns.</summary>
    SchedulerStealerNeverTakesALoneItem,

    /// <summary>A batch steal claims one slot past the tail of a scope-task queue: it takes an unpublished slot, and the item the owner pushes there next is never taken.</summary>
    StealHalfClaimsPastTail,

    /// <summary>The owner takes from its scope-task queue with a plain store of the head instead of a CAS: an item a thief's batch claims at the same time is taken twice.</summary>
    StealHalfOwnerTakeWithoutCas,

    // --- Iterators/ParallelSelect ---

    /// <summary>A worker takes its start with a plain store instead of a CAS: a start that races the consumer's revocation both runs and is counted out (the worker count goes wrong).</summary>
    IteratorWorkerStartsWithoutCas,

    /// <summary>The consumer reads a whole batch from the owner's ring, past the chunk's end (order).</summary>
    IteratorReadPastChunkEnd,

    /// <summary>A worker publishes a chunk's owner before its length: the consumer may read a stale length (order).</summary>
    IteratorPublishOwnerBeforeLength,

    /// <summary>A throwing selector still counts a result slot: a stale result is yielded before the exception (fail-fast prefix).</summary>
    IteratorCountFailingSlot,

    /// <summary>A failure on chunk n is recorded at n - 1: results before the failing item are lost (fail-fast prefix).</summary>
    IteratorStopAtPreviousChunk,

    /// <summary>Shutdown disposes the source before joining the workers: a worker may still read it (early disposal).</summary>
    IteratorDisposeSourceBeforeJoin,

    /// <summary>Shutdown does not cancel the workers' token: a worker parked on a full ring is never woken (early disposal).</summary>
    IteratorNoCancelOnShutdown,

    /// <summary>A worker's batch is not capped at the ring's capacity: it holds a whole chunk unpublished (buffer bound).</summary>
    IteratorUncappedWorkerBatch,

    /// <summary>The run's token source is not linked to the options' token: cancelling it does not end the iteration.</summary>
    IteratorUnlinkedCancellation,

    /// <summary>A chunk cut short by a source failure is published with only the items read: the consumer moves past it (fail-fast, lost failure).</summary>
    IteratorFailedChunkWithoutMark,

    /// <summary>Unordered mode takes chunk numbers with a read and a write instead of an Interlocked increment: a chunk is computed twice or skipped.</summary>
    IteratorUnorderedChunkNumberWithoutInterlocked,

    /// <summary>An exception from a callback on the workers' token escapes shutdown: workers are not joined and the source is not disposed.</summary>
    IteratorCallbackErrorAbortsShutdown,

    /// <summary>Caller-runs: the consumer yields a chunk it claimed while awaiting an earlier one (that a worker claimed first) as that earlier chunk, so results come out of order.</summary>
    IteratorConsumerTakesClaimAsNeeded,

    /// <summary>Cheap selectors: the last worker to retire closes the registry although the consumer still claims chunks: the walk ends early (lost results).</summary>
    IteratorRetiringWorkerClosesRegistry,

    /// <summary>Chains: a stage hands the next stage slots of its batch past the results it holds: stale results come out (order).</summary>
    IteratorChainedBatchPastEnd,

    /// <summary>Cheap selectors: in the middle of a chunk whose worker just retired, the consumer stashes a later chunk into its full ring: results are lost (order).</summary>
    IteratorStashIntoFullRing,

    /// <summary>Cheap selectors: with no worker running, the consumer claims without looking again for the chunk it awaits (published since its miss): a later chunk goes into its full ring, results lost.</summary>
    IteratorDirectClaimWithoutSecondLook,

    /// <summary>The consumer takes the rest of the source over while a worker still runs: a chunk the worker claimed but has not published is read past (a sequence) or read twice while its worker waits for a window slot that never frees (a list).</summary>
    IteratorTakeOverWhileWorkersRun,

    /// <summary>The consumer takes the rest of the source over without looking again for a stop after it found no worker running: a worker that failed outside any chunk, and exited, is lost, and the run ends normally.</summary>
    IteratorTakeOverAfterAStop,
}
#endif
