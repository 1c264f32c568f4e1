using Primitives.ForkJoin;

namespace Primitives.Tests.ForkJoin;

/// <summary>Behaviour of the two-way <see cref="Fork.Join(Action, Action)"/>: results, recursion, exceptions.</summary>
public class ForkTests
{
    internal static long Fib(int n)
    {
        if (n < 2)
        {
            return n;
        }

        (long a, long b) = Fork.Join(() => Fib(n - 1), () => Fib(n - 2));
        return a + b;
    }

    internal static void QuickSort(int[] items, int from, int to)
    {
        if (to - from < 64)
        {
            Array.Sort(items, from, to - from);
            return;
        }

        int pivot = items[from + ((to - from) / 2)];
        int lt = from, i = from, gt = to - 1;
        while (i <= gt)
        {
            if (items[i] < pivot)
            {
                (items[lt], items[i]) = (items[i], items[lt]);
                lt++;
                i++;
            }
            else if (items[i] > pivot)
            {
                (items[i], items[gt]) = (items[gt], items[i]);
                gt--;
            }
            else
            {
                i++;
            }
        }

        Fork.Join(() => QuickSort(items, from, lt), () => QuickSort(items, gt + 1, to));
    }

    [Fact]
    public void Join_returns_both_results()
    {
        (int left, string right) = Fork.Join(() => 1, () => "two");
        Assert.Equal(1, left);
        Assert.Equal("two", right);

        int a = 0, b = 0;
        Fork.Join(() => a = 3, () => b = 4);
        Assert.Equal((3, 4), (a, b));
    }

    [Fact]
    public void Recursive_fibonacci_is_correct()
    {
        Assert.Equal(121_393, Fib(26));
    }

    [Fact]
    public void Parallel_quicksort_sorts()
    {
        var random = new Random(42);
        int[] items = Enumerable.Range(0, 300_000).Select(_ => random.Next(0, 50_000)).ToArray();
        int[] expected = items.Order().ToArray();
        QuickSort(items, 0, items.Length);
        Assert.Equal(expected, items);
    }

    [Fact]
    public void Both_sides_run_and_both_exceptions_are_thrown_left_first()
    {
        var leftError = new InvalidOperationException("left");
        var rightError = new InvalidOperationException("right");
        AggregateException both = Assert.Throws<AggregateException>(() => Fork.Join(() => throw leftError, () => throw rightError));
        Assert.Equal([leftError, rightError], both.InnerExceptions);

        bool rightRan = false;
        AggregateException leftOnly = Assert.Throws<AggregateException>(() => Fork.Join(() => throw leftError, () => rightRan = true));
        Assert.Same(leftError, Assert.Single(leftOnly.InnerExceptions));
        Assert.True(rightRan);

        AggregateException rightOnly = Assert.Throws<AggregateException>(() => Fork.Join(() => 1, new Func<int>(() => throw rightError)));
        Assert.Same(rightError, Assert.Single(rightOnly.InnerExceptions));
    }

    [Fact]
    public void Exceptions_deep_in_a_recursion_surface()
    {
        static int Walk(int depth) => depth == 0
            ? throw new InvalidOperationException("leaf")
            : Fork.Join(() => Walk(depth - 1), () => depth).Left;

        AggregateException error = Assert.Throws<AggregateException>(() => Walk(10));
        Assert.All(error.Flatten().InnerExceptions, e => Assert.Equal("leaf", e.Message));
    }

    [Fact]
    public void Recursion_deeper_than_the_deque_falls_back_to_inline()
    {
        static int Depth(int n) => n == 0 ? 0 : 1 + Fork.Join(() => Depth(n - 1), () => 0).Left;
        Assert.Equal(3000, Depth(3000));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentNullException>("left", () => Fork.Join(null!, () => { }));
        Assert.Throws<ArgumentNullException>("right", () => Fork.Join(() => { }, null!));
        Assert.Throws<ArgumentNullException>("left", () => Fork.Join<int, int>(null!, () => 1));
        Assert.Throws<ArgumentNullException>("right", () => Fork.Join<int, int>(() => 1, null!));
    }

    [Fact]
    public async Task Joins_from_many_threads_at_once_are_correct()
    {
        Task<long>[] runs = Enumerable.Range(0, 4).Select(i => Task.Run(() => Fib(20 + i))).ToArray();
        long[] results = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal([6765L, 10946L, 17711L, 28657L], results);
    }
}
