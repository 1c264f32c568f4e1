namespace Primitives;

/// <summary>Marks the Primitives assembly; lets tools and tests find it without naming a primitive.</summary>
public static class AssemblyMarker
{
}
