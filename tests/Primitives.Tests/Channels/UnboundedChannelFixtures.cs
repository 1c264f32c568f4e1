using System.Threading.Channels;
using Primitives.RingBuffers;

namespace Primitives.Tests.Channels;

/// <summary>The reference for unbounded channels: the framework's unbounded channel with a single reader and a single writer.</summary>
public sealed class FrameworkUnboundedChannelTests : ChannelContractTests
{
    /// <inheritdoc/>
    protected override bool CompletesParkedOperationsWithinTheWrite => true;

    /// <inheritdoc/>
    protected override Channel<T> CreateChannel<T>() =>
        Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
}

/// <summary>Ours: <see cref="SpscChannel.CreateUnbounded{T}()"/>.</summary>
public sealed class SpscUnboundedChannelTests : ChannelContractTests
{
    /// <inheritdoc/>
    protected override bool CompletesParkedOperationsWithinTheWrite => false;

    /// <inheritdoc/>
    protected override Channel<T> CreateChannel<T>() => SpscChannel.CreateUnbounded<T>();
}
