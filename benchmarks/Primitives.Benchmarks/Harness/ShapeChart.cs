using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;
using Primitives.Benchmarks.Iterators;

namespace Primitives.Benchmarks.Harness;

/// <summary>
/// Turns the source-shape benchmarks of a run (every class derived from <see cref="SourceShapeBenchmarkBase"/>) into
/// <c>shapes.csv</c> (benchmark, shape, method, ns per item) and <c>shapes.svg</c>: one panel of grouped bars per
/// benchmark class, a group per source shape, a bar per method. The quick comparison writes them next to its tables;
/// render a PNG with any SVG tool, e.g. <c>rsvg-convert shapes.svg -o shapes.png</c>.
/// </summary>
public static class ShapeChart
{
    private static readonly string[] s_colors = ["#1f77b4", "#7f7f7f", "#d62728", "#2ca02c", "#ff7f0e"];

    /// <summary>One bar: a method on a source shape, in one benchmark class.</summary>
    public sealed record Bar(string Benchmark, string Shape, string Method, double NanosecondsPerItem);

    /// <summary>Writes the CSV and the SVG into <paramref name="folder"/> if the run measured any shape benchmark;
    /// returns the SVG's path, or null when there was nothing to chart.</summary>
    public static string? WriteIfPresent(IEnumerable<Summary> summaries, string folder)
    {
        var bars = summaries
            .SelectMany(s => s.BenchmarksCases.Select(c => (Case: c, Mean: s[c]?.ResultStatistics?.Mean)))
            .Where(x => x.Mean is > 0 && x.Case.Descriptor.Type.IsSubclassOf(typeof(SourceShapeBenchmarkBase)))
            .Select(x => new Bar(
                x.Case.Descriptor.Type.Name.Replace("Benchmarks", string.Empty, StringComparison.Ordinal),
                x.Case.Parameters["Shape"].ToString()!,
                x.Case.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
                x.Mean!.Value / (int)x.Case.Parameters["Items"]))
            .ToList();
        if (bars.Count == 0)
        {
            return null;
        }

        Directory.CreateDirectory(folder);
        var csv = new StringBuilder("Benchmark,Shape,Method,NanosecondsPerItem\n");
        foreach (var bar in bars)
        {
            csv.AppendLine(CultureInfo.InvariantCulture, $"{bar.Benchmark},{bar.Shape},\"{bar.Method}\",{bar.NanosecondsPerItem:0.###}");
        }

        File.WriteAllText(Path.Combine(folder, "shapes.csv"), csv.ToString());
        string svgPath = Path.Combine(folder, "shapes.svg");
        File.WriteAllText(svgPath, Svg(bars, Environment.ProcessorCount));
        return svgPath;
    }

    /// <summary>The grouped bar chart: panels stacked vertically, each with its own ns-per-item scale.</summary>
    public static string Svg(IReadOnlyList<Bar> bars, int processorCount)
    {
        const int width = 840, panelHeight = 260, left = 70, right = 230, top = 50, gap = 60;
        var panels = bars.GroupBy(b => b.Benchmark).ToList();
        var methods = bars.Select(b => b.Method).Distinct().ToList();
        int height = top + (panels.Count * (panelHeight + gap));
        int plotWidth = width - left - right;
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        string Escape(string s) => System.Security.SecurityElement.Escape(s);

        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"24\" font-size=\"15\">Ordered map by source shape: ns per item, lower is better ({processorCount} cores)</text>");
        for (int m = 0; m < methods.Count; m++)
        {
            int legendY = top + 10 + (m * 22);
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{left + plotWidth + 15}\" y=\"{legendY - 8}\" width=\"14\" height=\"12\" fill=\"{s_colors[m % s_colors.Length]}\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left + plotWidth + 35}\" y=\"{legendY + 3}\">{Escape(methods[m])}</text>");
        }

        for (int p = 0; p < panels.Count; p++)
        {
            int panelTop = top + (p * (panelHeight + gap)) + 20;
            int plotHeight = panelHeight - 40;
            var shapes = panels[p].Select(b => b.Shape).Distinct().ToList();
            double max = panels[p].Max(b => b.NanosecondsPerItem);
            double step = ScalingChart.NiceStep(max / 5);
            double scaleTop = step * Math.Ceiling(max / step);
            double Y(double ns) => panelTop + plotHeight - (ns / scaleTop * plotHeight);
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{panelTop - 8}\" font-size=\"13\" font-weight=\"bold\">{Escape(panels[p].Key)}</text>");
            for (double ns = 0; ns <= scaleTop * 1.0001; ns += step)
            {
                svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{F(Y(ns))}\" x2=\"{left + plotWidth}\" y2=\"{F(Y(ns))}\" stroke=\"#ddd\"/>");
                svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{F(Y(ns) + 4)}\" text-anchor=\"end\">{F(ns)}</text>");
            }

            double groupWidth = (double)plotWidth / shapes.Count;
            double barWidth = groupWidth * 0.8 / methods.Count;
            for (int s = 0; s < shapes.Count; s++)
            {
                double groupLeft = left + (s * groupWidth) + (groupWidth * 0.1);
                svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{F(left + ((s + 0.5) * groupWidth))}\" y=\"{panelTop + plotHeight + 18}\" text-anchor=\"middle\">{Escape(shapes[s])}</text>");
                for (int m = 0; m < methods.Count; m++)
                {
                    Bar? bar = panels[p].FirstOrDefault(b => b.Shape == shapes[s] && b.Method == methods[m]);
                    if (bar is null)
                    {
                        continue;
                    }

                    double x = groupLeft + (m * barWidth);
                    svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{F(x)}\" y=\"{F(Y(bar.NanosecondsPerItem))}\" width=\"{F(barWidth - 2)}\" height=\"{F(panelTop + plotHeight - Y(bar.NanosecondsPerItem))}\" fill=\"{s_colors[m % s_colors.Length]}\"/>");
                    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{F(x + (barWidth / 2))}\" y=\"{F(Y(bar.NanosecondsPerItem) - 3)}\" text-anchor=\"middle\" font-size=\"10\">{F(bar.NanosecondsPerItem)}</text>");
                }
            }

            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{panelTop}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#333\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text transform=\"translate(20,{panelTop + (plotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\">ns per item</text>");
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
