namespace Primitives.CoyoteTests.ForkJoin;

/// <summary>
/// What the systematic tests need of a fork-join scope (explicit form), so that one test body runs
/// against the library's <c>ForkJoinScope</c> (through <see cref="LibraryScope"/>) and against its
/// seeded-bug twin.
/// </summary>
internal interface IScope
{
    void Spawn(Action<IScope> task);

    void Join();

    Task JoinAsync();
}
