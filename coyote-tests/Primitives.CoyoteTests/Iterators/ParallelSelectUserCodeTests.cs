using System.Collections;
using Microsoft.Coyote.Specifications;
using Primitives.CoyoteTests.Harness;
using Primitives.Internal;
using Primitives.Iterators;

using static Primitives.CoyoteTests.Iterators.ParallelSelectTests;

namespace Primitives.CoyoteTests.Iterators;

/// <summary>
/// Representative points of the user-code failure sweep (tests/Primitives.Tests, UserCode sweep) explored under
/// Coyote: a list indexer that throws in the last chunk, a source whose Dispose throws, and a callback on the
/// asynchronous selector's token that throws while DisposeAsync cancels the run. Whatever throws, the consumer
/// sees exactly the results before the failure and then the original exception, never a normal end; shutdown joins
/// every worker and disposes the source exactly once.
/// </summary>
public sealed class ParallelSelectUserCodeTests(ITestOutputHelper output)
{
    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: a list (not an array) whose indexer throws on item 5 of 6 (chunks of two: the last chunk's second
    // item) yields exactly f(0)..f(4), then the indexer's exception, under every interleaving of the failing worker's
    // publication, its stop and the consumer.
    [Fact]
    public void A_throwing_list_indexer_in_the_last_chunk_is_never_lost() => _coyote.Run(ListIndexerBody, Scale, MaxSteps);

    [Fact]
    [SeededFault(FaultId.IteratorFailedChunkWithoutMark)]
    public void A_failed_chunk_without_its_mark_is_found() =>
        _coyote.ExpectFault(FaultId.IteratorFailedChunkWithoutMark, ListIndexerBody, "user code", Scale, MaxSteps);

    // Invariant: a source whose Dispose throws: the iteration yields every result, then the end of the results throws
    // Dispose's exception (same object); every worker has returned and the source was disposed exactly once.
    [Fact]
    public void A_throwing_source_Dispose_still_completes_shutdown() => _coyote.Run(DisposeThrowsBody, Scale, MaxSteps);

    // Invariant: the asynchronous selector registers a callback on its token that throws; the consumer takes one
    // result and disposes. DisposeAsync throws that callback's exception, after joining every worker and disposing the
    // source once; a second DisposeAsync does nothing.
    [Fact]
    public void A_throwing_token_callback_still_completes_DisposeAsync() => _coyote.Run(CallbackThrowsBody, Scale, MaxSteps);

    [Fact]
    [SeededFault(FaultId.IteratorCallbackErrorAbortsShutdown)]
    public void A_callback_error_aborting_shutdown_is_found() =>
        _coyote.ExpectFault(FaultId.IteratorCallbackErrorAbortsShutdown, CallbackThrowsBody, "shutdown did not finish", Scale, MaxSteps);

    private static void ListIndexerBody()
    {
        const int count = 6;
        const int failing = 5;
        var list = new ThrowingList(count, failing);
        var probe = new SelectorProbe();
        using IEnumerator<int> results = list.ParallelSelect(probe.Select, Options(chunkSize: 2, bufferSize: 2)).GetEnumerator();
        int taken = Drain(results, probe, count, "user code: results out of order", out Exception? error);
        Specification.Assert(taken == failing && ReferenceEquals(error, list.Failure),
            $"user code: the indexer failed on item {failing}, but the iteration gave {taken} results, then {error?.Message ?? "a normal end"}");
    }

    private static void DisposeThrowsBody()
    {
        const int count = 4;
        var failure = new InvalidOperationException("source Dispose failed");
        var source = new TrackedSequence(count, failure);
        var probe = new SelectorProbe();
        IEnumerator<int> results = source.ParallelSelect(probe.Select, Options(chunkSize: 1, bufferSize: 1)).GetEnumerator();
        int taken = Drain(results, probe, count + 1, "user code: results out of order", out Exception? error);
        Specification.Assert(taken == count && ReferenceEquals(error, failure),
            $"user code: expected {count} results, then Dispose's exception; got {taken}, then {error?.Message ?? "a normal end"}");
        results.Dispose(); // already shut down: nothing more to throw
        Specification.Assert(probe.Active == 0 && source.Disposals == 1, $"user code: {probe.Active} selector call(s) running, source disposed {source.Disposals} times");
    }

    private static async Task CallbackThrowsBody()
    {
        var failure = new InvalidOperationException("token callback failed");
        var source = new TrackedSequence(8);
        var probe = new SelectorProbe();
        int registered = 0;
        Func<int, CancellationToken, ValueTask<int>> selector = async (item, token) =>
        {
            if (Interlocked.Exchange(ref registered, 1) == 0) // pairs with itself: exactly one callback
            {
                token.Register(() => throw failure);
            }

            await Task.Yield();
            return probe.Select(item);
        };

        IAsyncEnumerator<int> results = source.ParallelSelectAsync(selector, Options(chunkSize: 1, bufferSize: 1)).GetAsyncEnumerator();
        (int taken, Exception? error) = await ParallelSelectAsyncTests.DrainAsync(results, probe, 1, "user code: results out of order");
        Specification.Assert(taken == 1 && error is null, $"user code: {taken} results before disposing, error {error}");
        Exception? thrown = null;
        try
        {
            await results.DisposeAsync();
        }
        catch (Exception ex) // the test inspects what DisposeAsync throws
        {
            thrown = ex;
        }

        Specification.Assert(probe.Active == 0 && source.Disposals == 1,
            $"user code: shutdown did not finish: {probe.Active} selector call(s) running, source disposed {source.Disposals} times");
        Specification.Assert(ReferenceEquals(thrown, failure), $"user code: DisposeAsync threw {thrown?.Message ?? "nothing"}, not the callback's exception");
        await results.DisposeAsync(); // idempotent, and nothing more to throw
        Specification.Assert(source.Disposals == 1, $"user code: a second DisposeAsync disposed the source again: {source.Disposals} times");
    }

    /// <summary>A list 0..count-1 (not an array: the iterator copies through its indexer) whose indexer throws on one item.</summary>
    private sealed class ThrowingList(int count, int failing) : IReadOnlyList<int>
    {
        public Exception Failure { get; } = new InvalidOperationException($"indexer failed on item {failing}");

        public int Count => count;

        public int this[int index] => index == failing ? throw Failure : index;

        public IEnumerator<int> GetEnumerator() => Enumerable.Range(0, count).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
