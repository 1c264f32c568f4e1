using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Primitives.Benchmarks.Harness;

/// <summary>
/// "ns/item" and "B/item": the mean time and the allocation of one operation divided by the number
/// of items it handles, read from the parameter named <c>Items</c> or <c>Tasks</c>. Sizes are
/// parameters (so the CI run can make them tiny), which rules out a constant
/// <c>OperationsPerInvoke</c>; these columns give the per-item figures instead.
/// </summary>
public sealed class PerItemColumn : IColumn
{
    /// <summary>Mean time per item.</summary>
    public static readonly IColumn Time = new PerItemColumn(allocation: false);

    /// <summary>Bytes allocated per item.</summary>
    public static readonly IColumn Allocated = new PerItemColumn(allocation: true);

    private readonly bool _allocation;

    private PerItemColumn(bool allocation) => _allocation = allocation;

    /// <inheritdoc/>
    public string Id => _allocation ? "PerItem.Allocated" : "PerItem.Time";

    /// <inheritdoc/>
    public string ColumnName => _allocation ? "B/item" : "ns/item";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => _allocation ? 1 : 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => _allocation
        ? "Bytes allocated per item (Allocated / Items or Tasks)"
        : "Mean time per item in nanoseconds (Mean / Items or Tasks)";

    /// <summary>The number of items one operation of <paramref name="benchmarkCase"/> handles, or null.</summary>
    public static int? ItemCount(BenchmarkCase benchmarkCase)
    {
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            if (parameter.Name is "Items" or "Tasks" && parameter.Value is int count && count > 0)
            {
                return count;
            }
        }

        return null;
    }

    /// <summary>Mean nanoseconds per item, or null when the case did not run or has no item count.</summary>
    public static double? NanosecondsPerItem(Summary summary, BenchmarkCase benchmarkCase)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return mean is double ns && ItemCount(benchmarkCase) is int items ? ns / items : null;
    }

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (ItemCount(benchmarkCase) is not int items)
        {
            return "-";
        }

        if (!_allocation)
        {
            return NanosecondsPerItem(summary, benchmarkCase) is double ns ? ns.ToString("N2", CultureInfo.InvariantCulture) : "NA";
        }

        var report = summary[benchmarkCase];
        long? bytes = report?.GcStats.GetBytesAllocatedPerOperation(benchmarkCase);
        return bytes is long b ? ((double)b / items).ToString("N2", CultureInfo.InvariantCulture) : "NA";
    }

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public override string ToString() => ColumnName;
}
