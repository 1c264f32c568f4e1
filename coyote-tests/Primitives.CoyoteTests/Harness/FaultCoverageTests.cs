using System.Reflection;
using Primitives.Internal;

namespace Primitives.CoyoteTests.Harness;

/// <summary>Every seeded fault of the library has a Coyote test that must find it.</summary>
public sealed class FaultCoverageTests
{
    /// <summary>The fault ids named by <see cref="SeededFaultAttribute"/> on the suite's test methods.</summary>
    internal static IReadOnlySet<FaultId> Covered { get; } = typeof(FaultCoverageTests).Assembly.GetTypes()
        .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        .SelectMany(method => method.GetCustomAttributes<SeededFaultAttribute>())
        .Select(mark => mark.Fault)
        .ToHashSet();

    [Fact]
    public void Every_fault_id_has_a_test_that_must_find_it()
    {
        FaultId[] uncovered = [.. Enum.GetValues<FaultId>().Where(id => id != FaultId.None && !Covered.Contains(id))];
        Assert.True(uncovered.Length == 0, "Seeded faults with no test marked [SeededFault(...)] that must find them: " + string.Join(", ", uncovered));
    }

    [Fact]
    public void Marked_tests_are_xunit_tests()
    {
        string[] unmarked = [.. typeof(FaultCoverageTests).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(method => method.IsDefined(typeof(SeededFaultAttribute)) && !method.IsDefined(typeof(FactAttribute)))
            .Select(method => method.DeclaringType!.Name + "." + method.Name)];
        Assert.True(unmarked.Length == 0, "[SeededFault] on a method xUnit does not run: " + string.Join(", ", unmarked));
    }

    [Fact]
    public void No_fault_is_active_outside_an_exploration() => Assert.Equal(FaultId.None, Fault.Active);
}
