using Primitives.Registry;

namespace Primitives.CoyoteTests.Registry;

/// <summary>The library's <see cref="TaskRegistry"/> behind <see cref="ITaskRegistry"/>.</summary>
internal sealed class LibraryTaskRegistry(int window) : ITaskRegistry
{
    private readonly TaskRegistry _registry = new(window);

    public int Window => _registry.Window;

    public long StoppedAt => _registry.StoppedAt;

    public Exception? Error => _registry.Error;

    public long ReleasedCount => _registry.ReleasedCount;

    public long Claim() => _registry.Claim();

    public void Publish(long task, int owner) => _registry.Publish(task, owner);

    public bool TryStop(long task, Exception? error) => _registry.TryStop(task, error);

    public void Close() => _registry.Close();

    public bool WaitForOwner(long task, out int owner) => _registry.WaitForOwner(task, out owner);

    public void Release(long task) => _registry.Release(task);
}
