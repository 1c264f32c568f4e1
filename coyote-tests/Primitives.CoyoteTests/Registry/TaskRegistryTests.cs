using Microsoft.Coyote.Specifications;
using Primitives.CoyoteTests.Harness;
using Primitives.CoyoteTests.Registry.Twins;

namespace Primitives.CoyoteTests.Registry;

/// <summary>
/// Systematic tests of <c>Primitives.Registry.TaskRegistry</c>. Each invariant has a twin that runs the
/// same body against <see cref="FaultyTaskRegistry"/> with one seeded fault, which Coyote must find.
/// </summary>
/// <remarks>
/// The bodies are small (two or three workers, a handful of tasks, a window of one or two) so that slot
/// reuse, a full window and every wait happen within a few hundred scheduling points.
/// </remarks>
public sealed class TaskRegistryTests(ITestOutputHelper output)
{
    /// <summary>Each wait spins up to 50 times (WaitGate) before parking: bodies need more than the default bound.</summary>
    private const int MaxSteps = 20_000;

    private readonly CoyoteHarness _coyote = new(output);

    // Invariant: WaitForOwner(n) returns the owner that was published for n, and the data the owner
    // wrote before Publish, through slot reuse (window 2, five tasks, two workers).
    [Fact]
    public void Consumer_always_gets_the_published_owner() =>
        _coyote.Run(() => OwnerBody(new LibraryTaskRegistry(2)), maxSteps: MaxSteps);

    [Fact]
    public void Twin_storing_the_tag_before_the_owner_is_found() =>
        _coyote.ExpectBug(() => OwnerBody(new FaultyTaskRegistry(2, RegistryFault.TagBeforeOwner)), "wrong owner", maxSteps: MaxSteps);

    // Invariant: a claimed number is always below released + window (claimed - released <= window).
    [Fact]
    public void Window_bound_is_never_exceeded() =>
        _coyote.Run(() => WindowBody(new LibraryTaskRegistry(1)), maxSteps: MaxSteps);

    [Fact]
    public void Twin_with_an_off_by_one_window_is_found() =>
        _coyote.ExpectBug(() => WindowBody(new FaultyTaskRegistry(1, RegistryFault.WindowOffByOne)), "window exceeded", maxSteps: MaxSteps);

    // Invariant: of concurrent stops, the lowest task and its error win.
    [Fact]
    public void Lowest_stop_always_wins() =>
        _coyote.Run(() => LowestStopBody(new LibraryTaskRegistry(2)), maxSteps: MaxSteps);

    [Fact]
    public void Twin_stopping_without_a_CAS_is_found() =>
        _coyote.ExpectBug(() => LowestStopBody(new FaultyTaskRegistry(2, RegistryFault.StopWithoutCas)), "lowest stop lost", maxSteps: MaxSteps);

    // Invariant: a consumer waiting for a task is woken by its publication, a claimer waiting for window
    // space by the release, and a consumer waiting for a task that will never come by the stop (false).
    [Fact]
    public void Waiting_consumer_is_always_woken() =>
        _coyote.Run(() => WakeBody(new LibraryTaskRegistry(1)), maxSteps: MaxSteps);

    [Fact]
    public void Twin_publishing_without_a_wake_up_is_found() =>
        _coyote.ExpectBug(() => WakeBody(new FaultyTaskRegistry(1, RegistryFault.PublishWithoutWake)), "Deadlock", maxSteps: MaxSteps);

    private static async Task OwnerBody(ITaskRegistry registry)
    {
        const int tasks = 5;
        int[] expectedOwner = new int[tasks];
        long[] data = new long[registry.Window];
        registry.TryStop(tasks, null); // the end: claims at `tasks` return -1
        Task[] workers = new Task[2];
        for (int w = 0; w < workers.Length; w++)
        {
            int owner = w + 1; // never the slots' initial 0
            workers[w] = Task.Run(() =>
            {
                long task;
                while ((task = registry.Claim()) >= 0)
                {
                    Volatile.Write(ref expectedOwner[task], owner); // test bookkeeping, before Publish
                    Volatile.Write(ref data[task % data.Length], (task * 10) + owner); // the task's payload, before Publish
                    registry.Publish(task, owner);
                }
            });
        }

        for (long task = 0; task < tasks; task++)
        {
            Assert.True(registry.WaitForOwner(task, out int owner), $"task {task} reported as never published");
            int expected = Volatile.Read(ref expectedOwner[task]);
            Assert.True(owner == expected, $"wrong owner for task {task}: got {owner}, published {expected}");
            long payload = Volatile.Read(ref data[task % data.Length]);
            Assert.True(payload == (task * 10) + owner, $"task {task}: payload {payload} is not the owner's");
            registry.Release(task);
        }

        Assert.False(registry.WaitForOwner(tasks, out _));
        await Task.WhenAll(workers);
    }

    private static async Task WindowBody(ITaskRegistry registry)
    {
        const int tasks = 4;
        registry.TryStop(tasks, null);
        Task[] workers = new Task[2];
        for (int w = 0; w < workers.Length; w++)
        {
            int owner = w;
            workers[w] = Task.Run(() =>
            {
                long task;
                while ((task = registry.Claim()) >= 0)
                {
                    long released = registry.ReleasedCount; // only grows: if the claim broke the bound, this shows it unless the consumer moved on
                    Specification.Assert(task < released + registry.Window, $"window exceeded: claimed {task} with {released} released, window {registry.Window}"); // fails the iteration at once, from any task
                    registry.Publish(task, owner);
                }
            });
        }

        for (long task = 0; task < tasks; task++)
        {
            Assert.True(registry.WaitForOwner(task, out _));
            registry.Release(task);
        }

        await Task.WhenAll(workers);
    }

    private static async Task LowestStopBody(ITaskRegistry registry)
    {
        long[] stops = [5, 3, 4];
        Exception[] errors = stops.Select(s => new InvalidOperationException($"stop {s}")).ToArray<Exception>();
        Task[] stoppers = stops.Select((s, i) => Task.Run(() => registry.TryStop(s, errors[i]))).ToArray<Task>();
        await Task.WhenAll(stoppers);
        Assert.True(registry.StoppedAt == 3, $"lowest stop lost: StoppedAt is {registry.StoppedAt}");
        Assert.True(ReferenceEquals(registry.Error, errors[1]), $"lowest stop lost: error is '{registry.Error?.Message}'");
    }

    private static async Task WakeBody(ITaskRegistry registry)
    {
        // Window 1: the worker's second claim waits for the consumer's Release(0), so the stop that ends
        // the body cannot come before the consumer has been woken by the publication of task 0.
        Task worker = Task.Run(() =>
        {
            long first = registry.Claim();
            registry.Publish(first, 7);
            long second = registry.Claim(); // waits for window space: woken by Release
            registry.TryStop(second, new InvalidOperationException("no more"));
        });

        Assert.True(registry.WaitForOwner(0, out int owner)); // woken by Publish
        Assert.Equal(7, owner);
        registry.Release(0);
        Assert.False(registry.WaitForOwner(1, out _)); // woken by the stop
        await worker;
    }
}
