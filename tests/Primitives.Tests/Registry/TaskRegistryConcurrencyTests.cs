using Primitives.Registry;

namespace Primitives.Tests.Registry;

/// <summary>
/// <see cref="TaskRegistry"/> under real threads: several workers claim and publish while one consumer
/// walks the tasks in order. Each test checks a property that a broken registry would violate.
/// </summary>
public class TaskRegistryConcurrencyTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    /// <summary>Workers claim, write the task's data into a side array indexed modulo the window, publish.</summary>
    private sealed class Harness
    {
        public Harness(int window, int workers, Func<TaskRegistry, long, int, bool> onClaimed)
        {
            Registry = new TaskRegistry(window);
            Data = new long[window];
            Workers = new Task[workers];
            for (int w = 0; w < workers; w++)
            {
                int owner = w;
                Workers[w] = Task.Factory.StartNew(() => Work(owner, onClaimed), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }

        public TaskRegistry Registry { get; }

        public long[] Data { get; }

        public Task[] Workers { get; }

        public int MaxObservedSpan;

        public int WindowViolations;

        private void Work(int owner, Func<TaskRegistry, long, int, bool> onClaimed)
        {
            long task;
            while ((task = Registry.Claim()) >= 0)
            {
                // Claimed minus released never exceeds the window: task < released + window at every instant after the claim.
                long span = task + 1 - Registry.ReleasedCount;
                if (span > Registry.Window)
                {
                    Interlocked.Increment(ref WindowViolations);
                }

                InterlockedMax(ref MaxObservedSpan, (int)Math.Min(span, int.MaxValue));
                Volatile.Write(ref Data[task % Data.Length], (task * 31) + owner); // the task's payload, written before Publish
                try
                {
                    if (!onClaimed(Registry, task, owner))
                    {
                        return;
                    }
                }
                catch (Exception ex)
                {
                    Registry.TryStop(task, ex); // never leave the consumer waiting; the test sees the fault through Workers
                    throw;
                }
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int current = Volatile.Read(ref target);
            while (value > current)
            {
                int seen = Interlocked.CompareExchange(ref target, value, current);
                if (seen == current)
                {
                    return;
                }

                current = seen;
            }
        }
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(6, 4)] // a window that is not a power of two
    [InlineData(64, 2)]
    public async Task Consumer_sees_every_task_in_order_with_its_owner_and_data_and_the_window_holds(int window, int workers)
    {
        const long taskCount = 100_000;
        var harness = new Harness(window, workers, (r, task, owner) =>
        {
            r.Publish(task, owner);
            return true;
        });
        TaskRegistry registry = harness.Registry;
        Assert.True(registry.TryStop(taskCount, null)); // the end, fixed up front: claims at taskCount return -1

        for (long task = 0; task < taskCount; task++)
        {
            Assert.True(registry.WaitForOwner(task, out int owner), $"task {task} was claimed but reported as never published");
            long payload = Volatile.Read(ref harness.Data[task % window]);
            Assert.Equal((task * 31) + owner, payload);
            registry.Release(task);
        }

        Assert.False(registry.WaitForOwner(taskCount, out _));
        await Task.WhenAll(harness.Workers).WaitAsync(HangGuard);
        Assert.Equal(0, harness.WindowViolations);
        Assert.InRange(harness.MaxObservedSpan, 1, window);
        Assert.Equal(taskCount, registry.ClaimedCount);
    }

    [Fact]
    public async Task Async_consumer_and_close_from_a_worker()
    {
        const long lastReal = 20_000; // tasks 0..lastReal carry data; the claim after the source ends is empty
        const int window = 16;
        var harness = new Harness(window, 3, (r, task, owner) =>
        {
            if (task > lastReal)
            {
                // The "source" is exhausted: this claim is empty. Publish it (the consumer sees an empty
                // task) and close so that no later number is handed out.
                r.Publish(task, owner);
                r.Close();
                return false;
            }

            r.Publish(task, owner);
            return true;
        });
        TaskRegistry registry = harness.Registry;

        long consumed = 0;
        while (true)
        {
            int owner = await registry.WaitForOwnerAsync(consumed);
            if (owner < 0)
            {
                break;
            }

            Assert.Equal((consumed * 31) + owner, Volatile.Read(ref harness.Data[consumed % window]));
            registry.Release(consumed);
            consumed++;
        }

        Assert.True(registry.IsClosed);
        Assert.Equal(registry.ClaimedCount, consumed);
        Assert.True(consumed > lastReal, $"consumed {consumed} tasks");
        await Task.WhenAll(harness.Workers).WaitAsync(HangGuard);
        Assert.Equal(0, harness.WindowViolations);
    }

    [Fact]
    public async Task Lowest_failure_wins_and_the_consumer_gets_every_task_up_to_it()
    {
        var random = new Random(12345);
        for (int round = 0; round < 20; round++)
        {
            long[] failAt = Enumerable.Range(0, 3).Select(_ => (long)random.Next(100, 5000)).Distinct().ToArray();
            long lowest = failAt.Min();
            var errors = failAt.ToDictionary(t => t, t => new InvalidOperationException($"failed at {t}"));
            int[] failed = new int[8]; // side array, indexed like the payload: 1 when the task's worker failed on it
            var harness = new Harness(8, 4, (r, task, owner) =>
            {
                bool fails = errors.TryGetValue(task, out InvalidOperationException? error);
                Volatile.Write(ref failed[task % failed.Length], fails ? 1 : 0);
                r.Publish(task, owner); // a failing worker publishes its partial task first, then stops
                if (fails)
                {
                    r.TryStop(task, error);
                    return false;
                }

                return true;
            });
            TaskRegistry registry = harness.Registry;

            // The consumer learns of a failure from the failed task's own data (it may reach the task
            // before the stop is recorded), or from WaitForOwner returning false.
            long consumed = 0;
            while (registry.WaitForOwner(consumed, out _))
            {
                bool sawFailure = Volatile.Read(ref failed[consumed % failed.Length]) == 1;
                registry.Release(consumed);
                consumed++;
                if (sawFailure)
                {
                    break;
                }
            }

            await Task.WhenAll(harness.Workers).WaitAsync(HangGuard);
            Assert.Equal(lowest + 1, consumed); // every task up to and including the failed one
            Assert.Equal(lowest, registry.StoppedAt);
            Assert.Same(errors[lowest], registry.Error);
        }
    }

    [Fact]
    public async Task Concurrent_TryStop_calls_keep_the_minimum()
    {
        var random = new Random(777);
        for (int round = 0; round < 200; round++)
        {
            var registry = new TaskRegistry(4);
            long[] tasks = Enumerable.Range(0, 4).Select(_ => (long)random.Next(0, 1000)).ToArray();
            var errors = tasks.Select(t => new InvalidOperationException(t.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            bool[] won = new bool[tasks.Length];
            using var start = new Barrier(tasks.Length);
            Task[] stoppers = Enumerable.Range(0, tasks.Length).Select(i => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                won[i] = registry.TryStop(tasks[i], errors[i]);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
            await Task.WhenAll(stoppers).WaitAsync(HangGuard);

            int first = Array.IndexOf(tasks, tasks.Min()); // on a tie, any of the tied calls may win
            Assert.Equal(tasks.Min(), registry.StoppedAt);
            Assert.Equal(tasks[first], long.Parse(registry.Error!.Message, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Contains(Enumerable.Range(0, tasks.Length), i => won[i] && tasks[i] == tasks.Min());
        }
    }
}
