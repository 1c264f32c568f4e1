namespace Primitives.Tests;

public class SmokeTests
{
    [Fact]
    public void Library_assembly_loads()
    {
        Assert.Equal("Primitives", typeof(Primitives.AssemblyMarker).Assembly.GetName().Name);
    }
}
