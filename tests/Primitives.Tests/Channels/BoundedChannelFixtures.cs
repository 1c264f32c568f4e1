using System.Threading.Channels;
using Primitives.RingBuffers;

namespace Primitives.Tests.Channels;

/// <summary>The reference: the framework's bounded channel with a single reader and a single writer.</summary>
public sealed class FrameworkBoundedChannelTests : BoundedChannelContractTests
{
    /// <inheritdoc/>
    protected override bool CompletesParkedOperationsWithinTheWrite => true;

    /// <inheritdoc/>
    protected override Channel<T> CreateBounded<T>(int capacity) =>
        Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
}

/// <summary>Ours: <see cref="SpscChannel.CreateBounded{T}(int)"/>.</summary>
public sealed class SpscBoundedChannelTests : BoundedChannelContractTests
{
    /// <inheritdoc/>
    protected override bool CompletesParkedOperationsWithinTheWrite => false;

    /// <inheritdoc/>
    protected override Channel<T> CreateBounded<T>(int capacity) => SpscChannel.CreateBounded<T>(capacity);
}
