using System.Reflection;

namespace Primitives.Tests;

/// <summary>
/// The shipped assembly carries no seeded-fault code: the fault points (docs/coyote.md, "Seeded faults") are
/// compiled only into the Coyote suite's fault build of the same sources.
/// </summary>
public class ShippedAssemblyTests
{
    private static readonly Assembly s_library = typeof(AssemblyMarker).Assembly;

    [Fact]
    public void Is_the_library_not_its_fault_build() => Assert.Equal("Primitives", s_library.GetName().Name);

    [Fact]
    public void Has_no_fault_switch_or_fault_ids()
    {
        Assert.Null(s_library.GetType("Primitives.Internal.Fault"));
        Assert.Null(s_library.GetType("Primitives.Internal.FaultId"));
        string[] faultish = [.. s_library.GetTypes().Select(t => t.FullName!).Where(name => name.Contains("Fault", StringComparison.Ordinal))];
        Assert.True(faultish.Length == 0, "fault types in the shipped assembly: " + string.Join(", ", faultish));
    }

    [Fact]
    public void No_method_body_references_a_fault_member()
    {
        // Every member a method body calls or loads is resolved through the metadata tokens in its IL; a fault point
        // compiled in would reference Fault.Is or FaultId, members of the library itself. Scan every token-bearing opcode of every method body.
        var offenders = new List<string>();
        foreach (Type type in s_library.GetTypes())
        {
            foreach (MethodBase method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                if (method.DeclaringType != type || method.GetMethodBody()?.GetILAsByteArray() is not { } il)
                {
                    continue;
                }

                foreach (int token in TokensOf(il))
                {
                    string? name = TryResolve(method.Module, token, type, method);
                    if (name is not null && name.Contains("Fault", StringComparison.Ordinal))
                    {
                        offenders.Add($"{type.FullName}.{method.Name} -> {name}");
                    }
                }
            }
        }

        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>The 4-byte operands of call/ldfld/ldsfld/newobj/ldtoken-style opcodes (a conservative scan: any
    /// 4-byte window whose top byte is a member or type table is tried).</summary>
    private static IEnumerable<int> TokensOf(byte[] il)
    {
        for (int i = 0; i + 4 < il.Length; i++)
        {
            byte table = il[i + 4];
            if (table is 0x01 or 0x02 or 0x04 or 0x06 or 0x0A or 0x1B or 0x2B)
            {
                yield return BitConverter.ToInt32(il, i + 1);
            }
        }
    }

    private static string? TryResolve(Module module, int token, Type type, MethodBase method)
    {
        Type[]? typeArgs = type.IsGenericType ? type.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        try
        {
            MemberInfo? member = module.ResolveMember(token, typeArgs, methodArgs);
            Type? owner = member as Type ?? member?.DeclaringType;
            return owner is null || owner.Assembly != s_library ? null // only the library's own members can be fault points
                : member is Type ? owner.FullName : owner.FullName + "." + member!.Name;
        }
        catch (ArgumentException)
        {
            return null; // not a token: a window of other opcodes' bytes
        }
    }
}
