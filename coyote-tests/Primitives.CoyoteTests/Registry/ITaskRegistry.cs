using Primitives.Registry;

namespace Primitives.CoyoteTests.Registry;

/// <summary>
/// What the systematic tests need of a task registry, so that one test body runs against the library's
/// <see cref="TaskRegistry"/> (through <see cref="LibraryTaskRegistry"/>) and against its seeded-bug twin.
/// </summary>
internal interface ITaskRegistry
{
    int Window { get; }

    long StoppedAt { get; }

    Exception? Error { get; }

    long ReleasedCount { get; }

    long Claim();

    void Publish(long task, int owner);

    bool TryStop(long task, Exception? error);

    void Close();

    bool WaitForOwner(long task, out int owner);

    void Release(long task);
}
