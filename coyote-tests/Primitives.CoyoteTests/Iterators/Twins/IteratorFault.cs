namespace Primitives.CoyoteTests.Iterators.Twins;

/// <summary>
/// The seeded faults of <see cref="FaultyParallelSelectEnumerator{T, TResult}"/>, a copy of the ordered synchronous
/// path of <c>Primitives.Iterators.ParallelSelectRun</c> and <c>ParallelSelectEnumerator</c>.
/// </summary>
public enum IteratorFault
{
    /// <summary>The algorithm as in the library.</summary>
    None,

    /// <summary>The consumer reads a whole batch from the owner's ring instead of min(remaining, batch): it takes
    /// results of the owner's next chunk as if they belonged to this one (order).</summary>
    ReadPastChunkEnd,

    /// <summary>A worker publishes the chunk's owner BEFORE writing its length: the consumer may read a stale
    /// length (order).</summary>
    PublishOwnerBeforeLength,

    /// <summary>The worker stores the result with <c>results[pending++] = Select(item)</c>: a throwing selector
    /// still counts a slot, and a stale result is yielded before the exception (fail-fast prefix).</summary>
    CountFailingSlot,

    /// <summary>A failure on chunk n is recorded at n - 1: the consumer may stop before yielding the results of
    /// n's earlier items (fail-fast prefix).</summary>
    StopAtPreviousChunk,

    /// <summary>Shutdown disposes the source enumerator BEFORE joining the workers: a worker may still read it
    /// (early disposal).</summary>
    DisposeSourceBeforeJoin,

    /// <summary>Shutdown stops the registry but does not cancel the workers' token: a worker parked on a full ring
    /// is never woken and the join hangs (early disposal).</summary>
    NoCancelOnShutdown,

    /// <summary>A worker's batch is not capped at the ring's capacity (64, written to the ring in pieces): a worker
    /// holds up to a whole chunk of unpublished results (buffer bound).</summary>
    UncappedWorkerBatch,

    /// <summary>The run's token source is not linked to the options' token: cancelling it reaches neither the workers
    /// nor the consumer's waits, and the iteration runs to a normal end (cancellation).</summary>
    UnlinkedCancellation,
}
