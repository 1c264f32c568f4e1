using System.Threading.Channels;

namespace Primitives.Tests.Channels;

/// <summary>
/// The reference for unbounded channels: the framework's unbounded channel with a single reader and a single
/// writer. Ours joins it as one more fixture: <c>SpscUnboundedChannelTests : ChannelContractTests</c>, creating
/// <c>SpscChannel.CreateUnbounded&lt;T&gt;()</c>, with <c>CompletesParkedOperationsWithinTheWrite</c> false.
/// </summary>
public sealed class FrameworkUnboundedChannelTests : ChannelContractTests
{
    /// <inheritdoc/>
    protected override bool CompletesParkedOperationsWithinTheWrite => true;

    /// <inheritdoc/>
    protected override Channel<T> CreateChannel<T>() =>
        Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
}
