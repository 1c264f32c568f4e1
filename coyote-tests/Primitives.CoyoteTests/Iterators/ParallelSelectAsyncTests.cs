using Microsoft.Coyote.Random;
using Microsoft.Coyote.Specifications;
using Primitives.CoyoteTests.Harness;
using Primitives.Internal;
using Primitives.Iterators;

using static Primitives.CoyoteTests.Iterators.ParallelSelectTests;

namespace Primitives.CoyoteTests.Iterators;

/// <summary>
/// Systematic tests of <c>ParallelSelectAsync</c>: asynchronous workers (each selector call awaits a real yield),
/// an awaiting consumer, and <c>DisposeAsync</c>. The same invariants as the synchronous iterator's
/// (<see cref="ParallelSelectTests"/>), each with a seeded fault in the shared or the asynchronous code path.
/// </summary>
public sealed class ParallelSelectAsyncTests(ITestOutputHelper output)
{
    private readonly CoyoteHarness _coyote = new(output);

    // Invariant (order): the consumer receives f(0), ..., f(n-1), each once, in order (six items, chunks of one,
    // rings of two, so a consumer batch could reach into the owner's next chunk).
    [Fact]
    public void Order_is_preserved() => _coyote.Run(OrderBody, Scale, MaxSteps);

    [Fact]
    [SeededFault(FaultId.IteratorReadPastChunkEnd)]
    public void Reading_past_the_chunk_end_is_found() =>
        _coyote.ExpectFault(FaultId.IteratorReadPastChunkEnd, OrderBody, "out of order", Scale, MaxSteps);

    // Invariant (fail-fast): the selector throws on items 3 and 4 (chunks of two); the consumer receives exactly
    // f(0), f(1), f(2), then item 3's exception, and no selector call runs once DisposeAsync has returned.
    [Fact]
    public void Fail_fast_yields_exactly_the_prefix() => _coyote.Run(FailFastBody, Scale, MaxSteps);

    [Fact]
    [SeededFault(FaultId.IteratorStopAtPreviousChunk)]
    public void Stopping_at_the_previous_chunk_is_found() =>
        _coyote.ExpectFault(FaultId.IteratorStopAtPreviousChunk, FailFastBody, "fail-fast prefix", Scale, MaxSteps);

    // Invariant (early disposal): the consumer takes k = 1..3 results of eight (a non-indexed source, read under the
    // asynchronous gate), then disposes. DisposeAsync completes (workers parked on full rings of one are woken);
    // afterwards no selector call runs or starts, and the source was disposed exactly once, after its last use.
    [Fact]
    public void Early_disposal_joins_all_workers() => _coyote.Run(() => EarlyDisposalBody(bufferSize: 1, chunkSize: 1), Scale, MaxSteps);

    [Fact]
    [SeededFault(FaultId.IteratorNoCancelOnShutdown)]
    public void Not_cancelling_parked_workers_is_found() =>
        _coyote.ExpectFault(FaultId.IteratorNoCancelOnShutdown, () => EarlyDisposalBody(bufferSize: 1, chunkSize: 1), "Deadlock", Scale, MaxSteps);

    // Invariant: the same, with rings of four and five chunks of four, so that workers are still reading the source when
    // the consumer disposes.
    [Fact]
    public void Early_disposal_while_workers_read_the_source_joins_them() =>
        _coyote.Run(() => EarlyDisposalBody(bufferSize: 4, chunkSize: 4), Scale, MaxSteps);

    [Fact]
    [SeededFault(FaultId.IteratorDisposeSourceBeforeJoin)]
    public void Disposing_the_source_before_the_join_is_found() =>
        _coyote.ExpectFault(FaultId.IteratorDisposeSourceBeforeJoin, () => EarlyDisposalBody(bufferSize: 4, chunkSize: 4), "used after it was disposed", Scale, MaxSteps);

    private static Func<int, CancellationToken, ValueTask<int>> Yielding(SelectorProbe probe) => async (item, _) =>
    {
        await Task.Yield(); // a real asynchronous hop, which Coyote schedules
        return probe.Select(item);
    };

    private static async Task OrderBody()
    {
        const int count = 6;
        var probe = new SelectorProbe();
        await using IAsyncEnumerator<int> results = ArraySource(count).ParallelSelectAsync(Yielding(probe), Options(chunkSize: 1, bufferSize: 2)).GetAsyncEnumerator();
        (int taken, Exception? error) = await DrainAsync(results, probe, count, "results out of order");
        Specification.Assert(error is null && taken == count, $"results out of order or lost: {taken} of {count}, error {error}");
    }

    private static async Task FailFastBody()
    {
        const int failing = 3;
        var probe = new SelectorProbe(int.MaxValue, failing, failing + 1);
        IAsyncEnumerator<int> results = ArraySource(6).ParallelSelectAsync(Yielding(probe), Options(chunkSize: 2, bufferSize: 1)).GetAsyncEnumerator();
        (int taken, Exception? error) = await DrainAsync(results, probe, 6, "fail-fast prefix wrong");
        Specification.Assert(taken == failing && ReferenceEquals(error, probe.FailureOf(failing)),
            $"fail-fast prefix wrong: {taken} results, then {error?.Message ?? "no exception"}; expected {failing}, then item {failing}'s exception");
        await results.DisposeAsync();
        Specification.Assert(probe.Active == 0, $"{probe.Active} selector call(s) still running after DisposeAsync");
    }

    private static async Task EarlyDisposalBody(int bufferSize, int chunkSize)
    {
        int count = 4 * chunkSize + 4; // eight items in chunks of one; five chunks of four
        int wanted = Generator.Create().NextInteger(3) + 1;
        var source = new TrackedSequence(count);
        var probe = new SelectorProbe();
        IAsyncEnumerator<int> results = source.ParallelSelectAsync(Yielding(probe), Options(chunkSize, bufferSize)).GetAsyncEnumerator();
        (int taken, Exception? error) = await DrainAsync(results, probe, wanted, "early disposal: results out of order");
        Specification.Assert(taken == wanted && error is null, $"early disposal: {taken} of {wanted} results before disposing, error {error}");
        await results.DisposeAsync();
        probe.MarkDisposed();
        Specification.Assert(probe.Active == 0, $"{probe.Active} selector call(s) still running after DisposeAsync completed");
        Specification.Assert(source.Disposals == 1, $"the source enumerator was disposed {source.Disposals} times, not once");
        await results.DisposeAsync(); // idempotent
        Specification.Assert(source.Disposals == 1, $"a second DisposeAsync disposed the source again: {source.Disposals} times");
    }

    /// <summary>The asynchronous <see cref="ParallelSelectTests.Drain"/>: returns the position reached and the exception that ended the drain, if any.</summary>
    internal static async Task<(int Taken, Exception? Error)> DrainAsync(IAsyncEnumerator<int> results, SelectorProbe probe, int max, string failure, int first = 0)
    {
        int taken = first;
        while (taken < max)
        {
            try
            {
                if (!await results.MoveNextAsync())
                {
                    return (taken, null);
                }
            }
            catch (Exception ex) // the test inspects every exception the iteration throws
            {
                return (taken, ex);
            }

            probe.Taken();
            Specification.Assert(results.Current == taken + SelectorProbe.Offset, $"{failure}: got {results.Current} at position {taken}");
            taken++;
        }

        return (taken, null);
    }
}
