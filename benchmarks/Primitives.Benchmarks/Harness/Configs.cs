using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace Primitives.Benchmarks.Harness;

/// <summary>The configurations of the three modes.</summary>
public static class Configs
{
    /// <summary>
    /// Full suite (BenchmarkDotNet arguments): the default job unless <c>--job</c> says otherwise, memory
    /// diagnoser, per-item columns, markdown, CSV and HTML files.
    /// </summary>
    public static IConfig Full(RunOutput output) => Common(output)
        .AddExporter(HtmlExporter.Default);

    /// <summary>
    /// Quick comparison (no arguments): only the <see cref="Categories.Quick"/> benchmarks (all of them
    /// when <paramref name="onlyQuickCategory"/> is false), each in its own process, 2 warm-up and 5
    /// measured iterations of about 250 ms.
    /// </summary>
    public static IConfig Quick(RunOutput output, bool onlyQuickCategory = true)
    {
        var config = Common(output).AddJob(Job.Default
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(5)
            .WithIterationTime(TimeInterval.FromMilliseconds(250))
            .WithId("Quick"));
        return onlyQuickCategory
            ? config.AddFilter(new SimpleFilter(b => b.Descriptor.HasCategory(Categories.Quick) && !b.Descriptor.HasCategory(Categories.NotQuick)))
            : config;
    }

    /// <summary>
    /// CI (<c>--ci</c>): every benchmark exactly once (the Dry job: no pilot, no warm-up, one iteration of
    /// one invocation), in this process so nothing is generated or built per benchmark. It only proves
    /// that each benchmark runs and checks its own result; its timings mean nothing.
    /// </summary>
    public static IConfig Ci(RunOutput output) => Common(output)
        .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithId("CI"));

    private static ManualConfig Common(RunOutput output)
    {
        var config = output.AddTo(ManualConfig.CreateEmpty())
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddColumn(PerItemColumn.Time, PerItemColumn.Allocated)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(MarkdownExporter.GitHub, CsvExporter.Default)
            .AddValidator(DefaultConfig.Instance.GetValidators().ToArray())
            .AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray());
        return config;
    }
}
