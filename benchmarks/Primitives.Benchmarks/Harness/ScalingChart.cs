using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;

namespace Primitives.Benchmarks.Harness;

/// <summary>
/// Turns a <see cref="Iterators.ScalingBenchmarks"/> summary into <c>scaling.csv</c> (method, degree,
/// items per second) and <c>scaling.svg</c> (a line chart of the same), with no dependency beyond the
/// framework. Render a PNG from the SVG with any SVG tool, e.g. <c>rsvg-convert scaling.svg -o scaling.png</c>.
/// </summary>
public static class ScalingChart
{
    private static readonly string[] s_colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

    /// <summary>One point: a method at a degree of parallelism.</summary>
    public sealed record Point(string Method, int Degree, int Items, double ItemsPerSecond);

    /// <summary>Writes the CSV and the SVG into <paramref name="folder"/>.</summary>
    public static void Write(Summary summary, string folder)
    {
        var points = summary.BenchmarksCases
            .Select(c => (Case: c, Mean: summary[c]?.ResultStatistics?.Mean))
            .Where(x => x.Mean is > 0)
            .Select(x => new Point(
                x.Case.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
                (int)x.Case.Parameters["Degree"],
                (int)x.Case.Parameters["Items"],
                (int)x.Case.Parameters["Items"] / (x.Mean!.Value * 1e-9)))
            .ToList();
        Directory.CreateDirectory(folder);
        var csv = new StringBuilder("Method,Degree,Items,ItemsPerSecond\n");
        foreach (var p in points)
        {
            csv.AppendLine(CultureInfo.InvariantCulture, $"\"{p.Method}\",{p.Degree},{p.Items},{p.ItemsPerSecond:0}");
        }

        File.WriteAllText(Path.Combine(folder, "scaling.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(folder, "scaling.svg"), Svg(points, Environment.ProcessorCount));
        Console.WriteLine($"Chart data written to {Path.Combine(folder, "scaling.csv")} and {Path.Combine(folder, "scaling.svg")}");
    }

    /// <summary>A line chart: degree of parallelism (log2 axis) against items per second, one line per method.</summary>
    public static string Svg(IReadOnlyList<Point> points, int processorCount)
    {
        const int width = 840, height = 440, left = 80, right = 300, top = 40, bottom = 60;
        int plotWidth = width - left - right, plotHeight = height - top - bottom;
        var degrees = points.Select(p => p.Degree).Distinct().Order().ToList();
        double step = NiceStep((points.Count == 0 ? 1 : points.Max(p => p.ItemsPerSecond)) / 5);
        double maxRate = step * Math.Ceiling((points.Count == 0 ? 1 : points.Max(p => p.ItemsPerSecond)) / step);
        double maxLog = Math.Max(1, Math.Log2(degrees.DefaultIfEmpty(1).Max()));
        double X(int degree) => left + (Math.Log2(degree) / maxLog * plotWidth);
        double Y(double rate) => top + plotHeight - (rate / maxRate * plotHeight);
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"22\" font-size=\"15\">Ordered parallel map, CPU-bound items: throughput vs degree ({processorCount} cores)</text>");
        for (double rate = 0; rate <= maxRate * 1.0001; rate += step)
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{F(Y(rate))}\" x2=\"{left + plotWidth}\" y2=\"{F(Y(rate))}\" stroke=\"#ddd\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{F(Y(rate) + 4)}\" text-anchor=\"end\">{F(rate / 1e3)}k</text>");
        }

        foreach (int degree in degrees)
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(degree))}\" y1=\"{top}\" x2=\"{F(X(degree))}\" y2=\"{top + plotHeight}\" stroke=\"#eee\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{F(X(degree))}\" y=\"{top + plotHeight + 18}\" text-anchor=\"middle\">{degree}</text>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#333\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left + (plotWidth / 2)}\" y=\"{height - 15}\" text-anchor=\"middle\">degree of parallelism</text>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text transform=\"translate(18,{top + (plotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\">items per second</text>");

        int series = 0;
        foreach (var method in points.GroupBy(p => p.Method))
        {
            string color = s_colors[series % s_colors.Length];
            var line = method.OrderBy(p => p.Degree).Select(p => $"{F(X(p.Degree))},{F(Y(p.ItemsPerSecond))}");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2.5\" points=\"{string.Join(' ', line)}\"/>");
            foreach (var p in method)
            {
                svg.AppendLine(CultureInfo.InvariantCulture, $"<circle cx=\"{F(X(p.Degree))}\" cy=\"{F(Y(p.ItemsPerSecond))}\" r=\"4\" fill=\"{color}\"/>");
            }

            int legendY = top + 10 + (series * 22);
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{left + plotWidth + 15}\" y1=\"{legendY}\" x2=\"{left + plotWidth + 40}\" y2=\"{legendY}\" stroke=\"{color}\" stroke-width=\"2.5\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left + plotWidth + 46}\" y=\"{legendY + 4}\">{System.Security.SecurityElement.Escape(method.Key)}</text>");
            series++;
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>The smallest 1, 2 or 5 times a power of ten that is at least <paramref name="raw"/>.</summary>
    internal static double NiceStep(double raw)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(raw, 1e-9))));
        foreach (double factor in (double[])[1, 2, 5, 10])
        {
            if (factor * magnitude >= raw)
            {
                return factor * magnitude;
            }
        }

        return 10 * magnitude;
    }
}
