using Primitives.ForkJoin;

namespace Primitives.Tests.ForkJoin;

/// <summary>Tests that lower the thread pool's maximum: they change the whole process, so they run alone.</summary>
[CollectionDefinition(nameof(StarvedPoolGroup), DisableParallelization = true)]
public sealed class StarvedPoolGroup
{
}

/// <summary>
/// Nesting must not deadlock when the pool has almost no threads: a thread that waits for its scope (or
/// its join) runs pending work itself.
/// </summary>
[Collection(nameof(StarvedPoolGroup))]
public class StarvedPoolTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private static async Task WithPoolLimitedToProcessorCount(Action body)
    {
        ThreadPool.GetMaxThreads(out int workers, out int io);
        int limit = Environment.ProcessorCount; // the lowest maximum the pool accepts
        Assert.True(ThreadPool.SetMaxThreads(limit, io), "could not lower the pool's maximum");
        try
        {
            // A dedicated thread: the test must not itself need a pool thread to make progress.
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    body();
                    done.SetResult();
                }
                catch (Exception ex)
                {
                    done.SetException(ex);
                }
            })
            {
                IsBackground = true,
            };
            thread.Start();
            Assert.True(thread.Join(HangGuard), "deadlock: the nested work did not finish with a starved pool");
            await done.Task;
        }
        finally
        {
            Assert.True(ThreadPool.SetMaxThreads(workers, io));
        }
    }

    [Fact]
    public async Task Deeply_nested_scopes_finish_with_a_starved_pool()
    {
        int leaves = 0;
        void Nest(int depth)
        {
            if (depth == 0)
            {
                Interlocked.Increment(ref leaves);
                return;
            }

            // Every level blocks in a nested Run: only helping by the joining threads makes progress.
            ForkJoinScope.Run(scope =>
            {
                for (int i = 0; i < 3; i++)
                {
                    scope.Spawn(_ => Nest(depth - 1));
                }
            });
        }

        await WithPoolLimitedToProcessorCount(() => Nest(7));
        Assert.Equal(2187, Volatile.Read(ref leaves));
    }

    [Fact]
    public async Task Recursive_join_finishes_with_a_starved_pool()
    {
        long result = 0;
        await WithPoolLimitedToProcessorCount(() => result = ForkTests.Fib(24));
        Assert.Equal(46_368, result);
    }

    [Fact]
    public async Task Pool_threads_blocked_in_scopes_still_finish()
    {
        // Occupy every pool thread with a task that itself opens a scope and joins it.
        int done = 0;
        await WithPoolLimitedToProcessorCount(() =>
        {
            ForkJoinScope.Run(outer =>
            {
                for (int i = 0; i < 8; i++)
                {
                    outer.Spawn(_ => ForkJoinScope.Run(inner =>
                    {
                        for (int j = 0; j < 50; j++)
                        {
                            inner.Spawn(_ => Fork.Join(() => Interlocked.Increment(ref done), () => Interlocked.Increment(ref done)));
                        }
                    }));
                }
            });
        });
        Assert.Equal(8 * 50 * 2, Volatile.Read(ref done));
    }

    [Fact]
    public async Task Scopes_inside_joins_inside_scopes_finish_with_a_starved_pool()
    {
        long leaves = 0;
        void Level(int depth)
        {
            if (depth == 0)
            {
                Interlocked.Increment(ref leaves);
            }
            else if (depth % 2 == 0)
            {
                ForkJoinScope.Run(scope =>
                {
                    scope.Spawn(_ => Level(depth - 1));
                    scope.Spawn(_ => Level(depth - 1));
                });
            }
            else
            {
                Fork.Join(() => Level(depth - 1), () => Level(depth - 1));
            }
        }

        await WithPoolLimitedToProcessorCount(() => Level(12));
        Assert.Equal(1 << 12, Interlocked.Read(ref leaves));
    }

    [Fact]
    public async Task A_sequence_and_a_chain_finish_when_the_pool_lends_no_thread()
    {
        static IEnumerable<int> Sequence(int count)
        {
            for (int i = 0; i < count; i++)
            {
                yield return i;
            }
        }

        var options = new Primitives.Iterators.ParallelSelectOptions { MaxDegreeOfParallelism = 2 };
        List<int>? single = null, chained = null;
        await WithPoolLimitedToProcessorCount(() =>
        {
            // Every pool thread blocked: the workers the iterators spawn never start, and the enumerating thread computes
            // every chunk; the end of a sequence is known only once the registry closes, which must not wait for them.
            var release = new ManualResetEventSlim(); // not disposed: blockers still waiting on it when the test fails must not crash the process
            try
            {
                // Saturated: blockers are queued until one stays queued, so every thread the pool has (however many it kept
                // from before the limit) is blocked; the test runner holds some of them itself.
                for (int queued = 0; ThreadPool.PendingWorkItemCount == 0; queued++)
                {
                    Assert.True(queued < 1000, "the pool did not saturate");
                    ThreadPool.UnsafeQueueUserWorkItem(_ => release.Wait(), null);
                    Thread.Sleep(20);
                }

                single = [.. Primitives.Iterators.ParallelSelectExtensions.ParallelSelect(Sequence(3), x => x * 10, options)];
                chained = [.. Primitives.Iterators.ParallelSelectExtensions.ParallelSelect(
                    Primitives.Iterators.ParallelSelectExtensions.ParallelSelect(Sequence(1000), x => x + 1, options), x => x * 2, options)];
            }
            finally
            {
                release.Set();
            }
        });
        Assert.Equal([0, 10, 20], single);
        Assert.Equal(Enumerable.Range(0, 1000).Select(x => (x + 1) * 2), chained);
    }
}
