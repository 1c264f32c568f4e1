using Microsoft.Coyote.Specifications;

namespace Primitives.CoyoteTests.Harness;

/// <summary>
/// Assertions and task starters for Coyote test bodies (see docs/coyote.md, "Writing a body").
/// </summary>
/// <remarks>
/// <para>Inside a body, assert with <see cref="True"/>: it reports the bug to Coyote at once, from any
/// task. An xUnit assertion only throws, which ends the task that made it; the body notices only when it
/// awaits that task, and if the other side spins or waits for the dead task first, Coyote reports a
/// hang instead of the broken invariant.</para>
/// <para>Start the body's threads with <see cref="Run(string, Action)"/>: an unexpected exception in
/// them is reported at once, for the same reason.</para>
/// <para>xUnit's async assertions (<c>Assert.ThrowsAnyAsync</c>) return tasks that Coyote does not
/// control, which it reports as a bug: use <see cref="CanceledAsync"/> and <see cref="ThrowsAsync{TException}"/>.</para>
/// </remarks>
public static class CoyoteAssert
{
    /// <summary>Reports a bug to Coyote unless <paramref name="condition"/> holds.</summary>
    public static void True(bool condition, string message) => Specification.Assert(condition, message);

    /// <summary>Starts <paramref name="body"/> on a controlled task; an exception it throws is reported at once.</summary>
    public static Task Run(string name, Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Task.Run(() =>
        {
            try
            {
                body();
            }
            catch (Exception ex)
            {
                Specification.Assert(false, $"{name} threw {ex}");
            }
        });
    }

    /// <inheritdoc cref="Run(string, Action)"/>
    public static Task Run(string name, Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Task.Run(async () =>
        {
            try
            {
                await body();
            }
            catch (Exception ex)
            {
                Specification.Assert(false, $"{name} threw {ex}");
            }
        });
    }

    /// <summary>Awaits <paramref name="operation"/> and reports a bug unless it ends with <see cref="OperationCanceledException"/>.</summary>
    /// <remarks>Pass a lambda that awaits the operation (<c>async () =&gt; await ring.ReadAsync(token)</c>):
    /// a <see cref="ValueTask"/> is then awaited through Coyote's awaiter; <c>AsTask()</c> would hand Coyote a
    /// task it did not create.</remarks>
    public static async Task CanceledAsync(Func<Task> operation, string what)
    {
        ArgumentNullException.ThrowIfNull(operation);
        try
        {
            await operation();
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Specification.Assert(false, $"{what}: expected OperationCanceledException, but it completed normally");
    }

    /// <summary>Awaits <paramref name="operation"/> and reports a bug unless it ends with <typeparamref name="TException"/> (exactly).</summary>
    /// <remarks>See <see cref="CanceledAsync"/> for why this takes a lambda.</remarks>
    public static async Task ThrowsAsync<TException>(Func<Task> operation, string what)
        where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(operation);
        try
        {
            await operation();
        }
        catch (TException ex) when (ex.GetType() == typeof(TException))
        {
            return;
        }

        Specification.Assert(false, $"{what}: expected {typeof(TException).Name}, but it completed normally");
    }

    /// <summary>Runs <paramref name="action"/> and reports a bug unless it throws <typeparamref name="TException"/> (exactly).</summary>
    public static void Throws<TException>(Action action, string what)
        where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            action();
        }
        catch (TException ex) when (ex.GetType() == typeof(TException))
        {
            return;
        }

        Specification.Assert(false, $"{what}: expected {typeof(TException).Name}, but it returned normally");
    }
}
