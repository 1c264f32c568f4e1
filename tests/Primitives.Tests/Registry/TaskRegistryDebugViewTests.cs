using System.Diagnostics;
using System.Reflection;
using Primitives.Registry;

namespace Primitives.Tests.Registry;

/// <summary>What a debugger shows of a <see cref="TaskRegistry"/>: the one-line display and the type proxy.</summary>
public class TaskRegistryDebugViewTests
{
    [Fact]
    public void The_type_names_its_display_and_its_proxy()
    {
        Assert.Equal("{DebuggerDisplay,nq}", typeof(TaskRegistry).GetCustomAttribute<DebuggerDisplayAttribute>()!.Value);
        Assert.Equal(typeof(TaskRegistryDebugView).AssemblyQualifiedName, typeof(TaskRegistry).GetCustomAttribute<DebuggerTypeProxyAttribute>()!.ProxyTypeName);
    }

    [Fact]
    public void The_display_shows_claimed_released_and_the_stop()
    {
        var registry = new TaskRegistry(4);
        Assert.Equal("Claimed = 0, Released = 0, Window = 4", registry.DebuggerDisplay);

        for (int i = 0; i < 3; i++)
        {
            registry.Publish(registry.Claim(), owner: 7);
        }

        registry.Release(0);
        registry.TryStop(2, error: null);
        registry.Close();
        Assert.Equal("Claimed = 3, Released = 1, Window = 4, StoppedAt = 2, Closed", registry.DebuggerDisplay);
    }

    [Fact]
    public void The_proxy_lists_each_unreleased_task_with_its_owner()
    {
        var registry = new TaskRegistry(4);
        long first = registry.Claim();
        long second = registry.Claim();
        long third = registry.Claim();
        registry.Publish(first, owner: 1);
        registry.Publish(third, owner: 3);
        registry.Release(first);
        var failure = new InvalidOperationException("task 2 failed");
        registry.TryStop(third, failure);

        var view = new TaskRegistryDebugView(registry);
        Assert.Equal(4, view.Window);
        Assert.Equal(3, view.Claimed);
        Assert.Equal(1, view.Released);
        Assert.Equal(third, view.StoppedAt);
        Assert.Same(failure, view.Error);
        Assert.False(view.IsClosed);
        Assert.Equal(["task 1: not published", "task 2: owner 3"], view.Pending.Select(p => p.ToString()));
        Assert.Equal([(second, (int?)null), (third, 3)], view.Pending.Select(p => (p.Task, p.Owner)));
    }

    [Fact]
    public void The_proxy_of_a_fresh_registry_has_no_stop_and_nothing_pending()
    {
        var view = new TaskRegistryDebugView(new TaskRegistry(2));
        Assert.Null(view.StoppedAt);
        Assert.Null(view.Error);
        Assert.Empty(view.Pending);
    }
}
