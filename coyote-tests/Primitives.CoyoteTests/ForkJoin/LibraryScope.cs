using Primitives.ForkJoin;

namespace Primitives.CoyoteTests.ForkJoin;

/// <summary>The library's <see cref="ForkJoinScope"/> (opened with a given degree of parallelism) behind <see cref="IScope"/>.</summary>
internal sealed class LibraryScope(int maxDegreeOfParallelism) : IScope
{
    private readonly ForkJoinScope _scope = ForkJoinScope.Open(maxDegreeOfParallelism);

    public void Spawn(Action<IScope> task) => _scope.Spawn(_ => task(this));

    public void Join() => _scope.Join();

    public Task JoinAsync() => _scope.JoinAsync();
}
