namespace Primitives;

/// <summary>Marks the Primitives assembly; lets the tests find it without naming a primitive. Not public API.</summary>
internal static class AssemblyMarker
{
}
