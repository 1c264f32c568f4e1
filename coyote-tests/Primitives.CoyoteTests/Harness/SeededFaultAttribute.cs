using Primitives.Internal;

namespace Primitives.CoyoteTests.Harness;

/// <summary>
/// Marks a test that turns on <see cref="Fault"/> <see cref="Fault"/>'s <see cref="FaultId"/> and must find it
/// (through <see cref="CoyoteHarness.ExpectFault(FaultId, Action, string, double, int, string?, string, string)"/>).
/// <see cref="FaultCoverageTests"/> fails when a fault id has no test marked with it, and the harness refuses to
/// turn on a fault from a test that is not marked with it, so the marks cannot drift from what the tests do.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class SeededFaultAttribute : Attribute
{
    internal SeededFaultAttribute(FaultId fault) => Fault = fault;

    internal FaultId Fault { get; }
}
