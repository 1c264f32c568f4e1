namespace Primitives.CoyoteTests;

public class SmokeTests
{
    [Fact]
    public void Library_assembly_loads()
    {
        Assert.NotNull(typeof(Primitives.AssemblyMarker).Assembly);
    }
}
