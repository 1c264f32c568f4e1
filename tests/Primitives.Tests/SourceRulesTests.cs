using System.Text.RegularExpressions;

namespace Primitives.Tests;

/// <summary>
/// Rules about the library's source that the compiler does not check: the layering the README describes, and the
/// line length in .editorconfig (Roslyn has no line-length rule).
/// </summary>
public class SourceRulesTests
{
    /// <summary>The longest line allowed in <c>src/**/*.cs</c>; the same as <c>max_line_length</c> in .editorconfig.</summary>
    private const int MaxLineLength = 260;

    /// <summary>The three primitives: independent of each other, sharing only <c>Internal/</c>.</summary>
    private static readonly string[] s_primitives = ["RingBuffers", "Registry", "ForkJoin"];

    [Fact]
    public void No_library_line_is_longer_than_the_limit()
    {
        var offenders = LibraryFiles()
            .SelectMany(file => File.ReadLines(file).Select((line, index) => (file, line, number: index + 1)))
            .Where(x => x.line.Length > MaxLineLength)
            .Select(x => $"{Relative(x.file)}:{x.number} has {x.line.Length} characters")
            .ToList();
        Assert.True(offenders.Count == 0, $"lines over {MaxLineLength} characters:{Environment.NewLine}{string.Join(Environment.NewLine, offenders)}");
    }

    [Fact]
    public void The_primitives_use_only_Internal_and_never_each_other_or_the_iterator()
    {
        var offenders = new List<string>();
        foreach (string folder in s_primitives)
        {
            string[] others = [.. s_primitives.Where(p => p != folder), "Iterators"];
            var reference = new Regex($@"\b(?:Primitives\.)?(?:{string.Join('|', others)})\.[A-Z]|using\s+Primitives\.(?:{string.Join('|', others)})\s*;");
            foreach (string file in Directory.EnumerateFiles(Path.Combine(LibraryRoot(), folder), "*.cs", SearchOption.AllDirectories))
            {
                int number = 0;
                foreach (string line in File.ReadLines(file))
                {
                    number++;
                    if (reference.Match(line) is { Success: true } match)
                    {
                        offenders.Add($"{Relative(file)}:{number}: {match.Value}");
                    }
                }
            }
        }

        Assert.True(offenders.Count == 0, "a primitive refers to another one:" + Environment.NewLine + string.Join(Environment.NewLine, offenders));
    }

    [Fact]
    public void The_layering_check_finds_a_reference_to_another_primitive()
    {
        // The pattern above must recognise the forms a cross-reference takes (a using, a qualified name, a name
        // qualified from the shared root namespace), or the test would pass on anything.
        var reference = new Regex(@"\b(?:Primitives\.)?(?:Registry|ForkJoin|Iterators)\.[A-Z]|using\s+Primitives\.(?:Registry|ForkJoin|Iterators)\s*;");
        Assert.Matches(reference, "using Primitives.Registry;");
        Assert.Matches(reference, "private Registry.TaskRegistry _registry;");
        Assert.Matches(reference, "/// <see cref=\"Primitives.ForkJoin.Fork\"/>");
        Assert.DoesNotMatch(reference, "private readonly TaskRegistry? _registry; // the registry. Later");
    }

    private static IEnumerable<string> LibraryFiles() =>
        Directory.EnumerateFiles(LibraryRoot(), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string LibraryRoot() => Path.Combine(RepositoryRoot(), "src", "Primitives");

    private static string Relative(string file) => Path.GetRelativePath(RepositoryRoot(), file);

    /// <summary>The folder holding Primitives.sln, found upwards from the test assembly.</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Primitives.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Primitives.sln not found above {AppContext.BaseDirectory}");
    }
}
