namespace Primitives.Iterators;

/// <summary>
/// Ordered parallel map over sequences: runs a selector on many threads and yields the results lazily, in input
/// order, with bounded memory.
/// </summary>
/// <remarks>
/// <para><b>Example.</b></para>
/// <code>
/// foreach (Thumbnail t in files.ParallelSelect(f =&gt; MakeThumbnail(f)))
/// {
///     Save(t); // in the order of files, while later thumbnails are still being made
/// }
/// </code>
/// <para><b>Execution.</b> Nothing runs until the first <c>MoveNext</c>. Then up to
/// <see cref="ParallelSelectOptions.MaxDegreeOfParallelism"/> threads claim chunks of the source (arrays and lists by
/// index without a lock; other sequences one thread at a time), run the selector and put each result into their own
/// bounded single-producer single-consumer ring. The enumerating thread reads the rings in input order, guided by a
/// <see cref="Registry.TaskRegistry"/> that records who owns each chunk. In ordered mode the enumerating thread is one
/// of those threads: where it would wait for a worker, it claims the next chunk and computes it itself, so
/// <c>MaxDegreeOfParallelism - 1</c> workers run on the thread pool (none with a degree of 1).</para>
/// <para><b>Timeline</b> (2 workers, chunks of 2):</para>
/// <code>
/// worker 0: f(0) f(1)       f(4) f(5) ...
/// worker 1: f(2) f(3)       f(6) f(7) ...
/// consumer:      r0 r1 r2 r3 r4 r5 ...   (r2 waits for r1 even if f(2) finished first)
/// </code>
/// <para><b>Chaining.</b> <c>src.ParallelSelect(f).ParallelSelect(g)</c> works: when <c>g</c> runs on item i,
/// <c>f</c> has finished items 0..i, because the second stage reads the first one's ordered output.</para>
/// <para><b>Memory.</b> At most <c>MaxDegreeOfParallelism x BufferSize</c> results wait in the rings (in ordered mode one
/// of them is the enumerating thread's own, for chunks it computed ahead), plus a batch of up to 64 per worker being
/// computed and up to 64 the consumer has taken but not yet yielded (or, in ordered mode, the items of one chunk, or of
/// one stretch of at most 512 once it reads the source alone, that it computes as it yields them); a slow consumer
/// throttles the workers.</para>
/// <para><b>Errors.</b> If the selector throws on item i, the enumeration yields exactly the results of the items
/// before i, then throws that exception (same object, original stack trace). Workers stop taking items promptly.
/// With several failures, the one at the lowest index wins, every run. An exception from the source (its enumerator,
/// or a list's indexer) is treated the same way, at its position; one from the source's <c>Dispose</c> or from a
/// callback on the selector's token is thrown after shutdown completes, unless another failure ended the run first
/// (see docs/parallel-select.md, "Shutdown"). To keep going past errors, return a result value instead of throwing
/// (for example a <c>(TResult? Value, Exception? Error)</c> tuple).</para>
/// <para><b>Early termination and cancellation.</b> <c>break</c>, <c>Take</c>, <c>First</c> or disposing the
/// enumerator stops the workers and joins them before <c>Dispose</c> returns, and disposes the source enumerator
/// exactly once. The options' token ends the iteration with <see cref="OperationCanceledException"/>, workers
/// joined.</para>
/// <para><b>Thread safety.</b> The returned sequence may be enumerated any number of times, concurrently too; each
/// enumeration is independent and runs the pipeline again. One enumerator belongs to one consuming thread at a
/// time. The selector runs concurrently on several threads.</para>
/// </remarks>
public static class ParallelSelectExtensions
{
    /// <summary>
    /// Projects each element of a sequence in parallel and yields the results lazily in input order.
    /// </summary>
    /// <typeparam name="T">The type of the source's elements.</typeparam>
    /// <typeparam name="TResult">The type of the results.</typeparam>
    /// <param name="source">The sequence to project. Arrays and lists are split by index without a lock.</param>
    /// <param name="selector">The projection; runs concurrently on several threads.</param>
    /// <param name="options">Degree of parallelism, buffer and chunk sizes, unordered mode, cancellation; null for
    /// <see cref="ParallelSelectOptions.Default"/>.</param>
    /// <returns>A lazy sequence of the results, in the order of <paramref name="source"/> (unless
    /// <see cref="ParallelSelectOptions.Unordered"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="selector"/> is null.</exception>
    public static IEnumerable<TResult> ParallelSelect<T, TResult>(this IEnumerable<T> source, Func<T, TResult> selector, ParallelSelectOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(selector);
        return new ParallelSelectEnumerable<T, TResult, PlainSelector<T, TResult>>(
            source, new PlainSelector<T, TResult>(selector), options ?? ParallelSelectOptions.Default);
    }

    /// <summary>
    /// Projects each element of a sequence in parallel with per-worker state (like <c>Parallel.For</c>'s local
    /// init), and yields the results lazily in input order.
    /// </summary>
    /// <typeparam name="T">The type of the source's elements.</typeparam>
    /// <typeparam name="TLocal">The type of each worker's state, for example a scratch buffer.</typeparam>
    /// <typeparam name="TResult">The type of the results.</typeparam>
    /// <param name="source">The sequence to project.</param>
    /// <param name="localInit">Creates one worker's state; called once per worker, on that worker's thread, before
    /// its first item. The enumerating thread, which computes too, gets a state of its own; when the results are the
    /// source of another <c>ParallelSelect</c>, "the enumerating thread" is whichever of that stage's threads reads
    /// them at the time, so that state is used by one thread at a time, not always the same one.</param>
    /// <param name="selector">The projection; receives the item and the calling worker's state.</param>
    /// <param name="options">See <see cref="ParallelSelect{T, TResult}(IEnumerable{T}, Func{T, TResult}, ParallelSelectOptions?)"/>.</param>
    /// <returns>A lazy sequence of the results, in input order (unless unordered).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/>, <paramref name="localInit"/> or
    /// <paramref name="selector"/> is null.</exception>
    public static IEnumerable<TResult> ParallelSelect<T, TLocal, TResult>(this IEnumerable<T> source, Func<TLocal> localInit, Func<T, TLocal, TResult> selector, ParallelSelectOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(localInit);
        ArgumentNullException.ThrowIfNull(selector);
        return new ParallelSelectEnumerable<T, TResult, LocalStateSelector<T, TLocal, TResult>>(
            source, new LocalStateSelector<T, TLocal, TResult>(localInit, selector), options ?? ParallelSelectOptions.Default);
    }

    /// <summary>
    /// Projects each element of a sequence in parallel with an asynchronous selector and yields the results lazily
    /// in input order, without blocking a thread while waiting.
    /// </summary>
    /// <typeparam name="T">The type of the source's elements.</typeparam>
    /// <typeparam name="TResult">The type of the results.</typeparam>
    /// <param name="source">The sequence to project. Arrays and lists are split by index without a lock.</param>
    /// <param name="selector">The projection; receives the item and a token that is cancelled when the iteration
    /// stops. Up to <see cref="ParallelSelectOptions.MaxDegreeOfParallelism"/> calls are in progress at once.</param>
    /// <param name="options">See <see cref="ParallelSelect{T, TResult}(IEnumerable{T}, Func{T, TResult}, ParallelSelectOptions?)"/>.</param>
    /// <returns>A lazy asynchronous sequence of the results, in input order (unless unordered). The token given to
    /// <c>GetAsyncEnumerator</c> (for example through <c>WithCancellation</c>) cancels like the options' token.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="selector"/> is null.</exception>
    public static IAsyncEnumerable<TResult> ParallelSelectAsync<T, TResult>(this IEnumerable<T> source, Func<T, CancellationToken, ValueTask<TResult>> selector, ParallelSelectOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(selector);
        return new AsyncParallelSelectEnumerable<T, TResult, PlainAsyncSelector<T, TResult>>(
            source, new PlainAsyncSelector<T, TResult>(selector), options ?? ParallelSelectOptions.Default);
    }

    /// <summary>
    /// Projects each element of an asynchronous sequence in parallel with an asynchronous selector and yields the
    /// results lazily in input order. One worker at a time reads the source.
    /// </summary>
    /// <typeparam name="T">The type of the source's elements.</typeparam>
    /// <typeparam name="TResult">The type of the results.</typeparam>
    /// <param name="source">The asynchronous sequence to project.</param>
    /// <param name="selector">The projection; receives the item and a token that is cancelled when the iteration
    /// stops.</param>
    /// <param name="options">See <see cref="ParallelSelect{T, TResult}(IEnumerable{T}, Func{T, TResult}, ParallelSelectOptions?)"/>.</param>
    /// <returns>A lazy asynchronous sequence of the results, in input order (unless unordered).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="selector"/> is null.</exception>
    public static IAsyncEnumerable<TResult> ParallelSelectAsync<T, TResult>(this IAsyncEnumerable<T> source, Func<T, CancellationToken, ValueTask<TResult>> selector, ParallelSelectOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(selector);
        return new AsyncParallelSelectEnumerable<T, TResult, PlainAsyncSelector<T, TResult>>(
            source, new PlainAsyncSelector<T, TResult>(selector), options ?? ParallelSelectOptions.Default);
    }

    /// <summary>
    /// Projects each element of a sequence in parallel with an asynchronous selector and per-worker state (like
    /// <c>Parallel.For</c>'s local init), and yields the results lazily in input order.
    /// </summary>
    /// <typeparam name="T">The type of the source's elements.</typeparam>
    /// <typeparam name="TLocal">The type of each worker's state, for example a connection or a scratch buffer.</typeparam>
    /// <typeparam name="TResult">The type of the results.</typeparam>
    /// <param name="source">The sequence to project. Arrays and lists are split by index without a lock.</param>
    /// <param name="localInit">Creates one worker's state; called once per worker, before its first item. A worker
    /// runs one selector call at a time, so its state is never used by two calls at once.</param>
    /// <param name="selector">The projection; receives the item, the calling worker's state and a token that is
    /// cancelled when the iteration stops.</param>
    /// <param name="options">See <see cref="ParallelSelect{T, TResult}(IEnumerable{T}, Func{T, TResult}, ParallelSelectOptions?)"/>.</param>
    /// <returns>A lazy asynchronous sequence of the results, in input order (unless unordered).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/>, <paramref name="localInit"/> or
    /// <paramref name="selector"/> is null.</exception>
    public static IAsyncEnumerable<TResult> ParallelSelectAsync<T, TLocal, TResult>(this IEnumerable<T> source, Func<TLocal> localInit, Func<T, TLocal, CancellationToken, ValueTask<TResult>> selector, ParallelSelectOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(localInit);
        ArgumentNullException.ThrowIfNull(selector);
        return new AsyncParallelSelectEnumerable<T, TResult, LocalStateAsyncSelector<T, TLocal, TResult>>(
            source, new LocalStateAsyncSelector<T, TLocal, TResult>(localInit, selector), options ?? ParallelSelectOptions.Default);
    }

    /// <summary>
    /// Projects each element of an asynchronous sequence in parallel with an asynchronous selector and per-worker
    /// state, and yields the results lazily in input order. One worker at a time reads the source.
    /// </summary>
    /// <typeparam name="T">The type of the source's elements.</typeparam>
    /// <typeparam name="TLocal">The type of each worker's state.</typeparam>
    /// <typeparam name="TResult">The type of the results.</typeparam>
    /// <param name="source">The asynchronous sequence to project.</param>
    /// <param name="localInit">Creates one worker's state; called once per worker, before its first item.</param>
    /// <param name="selector">The projection; receives the item, the calling worker's state and a token that is
    /// cancelled when the iteration stops.</param>
    /// <param name="options">See <see cref="ParallelSelect{T, TResult}(IEnumerable{T}, Func{T, TResult}, ParallelSelectOptions?)"/>.</param>
    /// <returns>A lazy asynchronous sequence of the results, in input order (unless unordered).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/>, <paramref name="localInit"/> or
    /// <paramref name="selector"/> is null.</exception>
    public static IAsyncEnumerable<TResult> ParallelSelectAsync<T, TLocal, TResult>(this IAsyncEnumerable<T> source, Func<TLocal> localInit, Func<T, TLocal, CancellationToken, ValueTask<TResult>> selector, ParallelSelectOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(localInit);
        ArgumentNullException.ThrowIfNull(selector);
        return new AsyncParallelSelectEnumerable<T, TResult, LocalStateAsyncSelector<T, TLocal, TResult>>(
            source, new LocalStateAsyncSelector<T, TLocal, TResult>(localInit, selector), options ?? ParallelSelectOptions.Default);
    }
}
