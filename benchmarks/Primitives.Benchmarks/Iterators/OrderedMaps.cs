using System.Threading.Tasks.Dataflow;

namespace Primitives.Benchmarks.Iterators;

/// <summary>
/// The ordered, streaming parallel maps a .NET user would otherwise write, each as an
/// <see cref="IEnumerable{T}"/> so that every iterator benchmark (throughput, time to first result,
/// scaling) drives them the same way. Each yields <c>selector(source[i])</c> in source order.
/// </summary>
public static class OrderedMaps
{
    /// <summary>Consumes every result in order and checks their sum (a broken map fails the run).</summary>
    public static long Drain(IEnumerable<long> results, long expected)
    {
        long sum = 0;
        foreach (long result in results)
        {
            sum += result;
        }

        Harness.Work.Check(sum, expected);
        return sum;
    }

    /// <summary>The sequential reference: <c>foreach</c> over <c>Select</c>.</summary>
    public static IEnumerable<long> Sequential(IEnumerable<long> source, Func<long, long> selector) => source.Select(selector);

    /// <summary>PLINQ with <c>AsOrdered</c> and the given merge option (default: auto-buffered).</summary>
    public static IEnumerable<long> Plinq(IEnumerable<long> source, Func<long, long> selector, ParallelMergeOptions merge = ParallelMergeOptions.Default, int degree = 0)
    {
        var query = source.AsParallel().AsOrdered();
        if (degree > 0)
        {
            query = query.WithDegreeOfParallelism(degree);
        }

        return query.WithMergeOptions(merge).Select(selector);
    }

    /// <summary>
    /// TPL Dataflow: a <see cref="TransformBlock{TInput, TOutput}"/> with <c>EnsureOrdered</c> and the
    /// processor count as degree, fed by a task, drained with <c>OutputAvailableAsync</c> + <c>TryReceive</c>.
    /// Disposing the enumerator early cancels the block and the feeder.
    /// </summary>
    public static IEnumerable<long> Dataflow(IEnumerable<long> source, Func<long, long> selector, int degree = 0)
    {
        using var cancellation = new CancellationTokenSource();
        var block = new TransformBlock<long, long>(selector, new ExecutionDataflowBlockOptions
        {
            EnsureOrdered = true,
            MaxDegreeOfParallelism = degree > 0 ? degree : Environment.ProcessorCount,
            SingleProducerConstrained = true,
            CancellationToken = cancellation.Token,
        });
        var feeder = Task.Run(() =>
        {
            foreach (long item in source)
            {
                if (!block.Post(item))
                {
                    return; // cancelled: the consumer stopped early
                }
            }

            block.Complete();
        });
        try
        {
            while (block.OutputAvailableAsync().GetAwaiter().GetResult())
            {
                while (block.TryReceive(out long result))
                {
                    yield return result;
                }
            }

            feeder.GetAwaiter().GetResult();
        }
        finally
        {
            cancellation.Cancel();
        }
    }

    /// <summary>
    /// <c>Parallel.ForEach</c> with the item index, plus the reorder buffer a user writes around it:
    /// results go into a dictionary under a lock and the consumer yields them in index order as they
    /// arrive (streaming; the buffer is unbounded, as in the usual hand-written version).
    /// </summary>
    public static IEnumerable<long> ParallelForEachReorder(IEnumerable<long> source, Func<long, long> selector, int degree = 0)
    {
        var buffer = new ReorderBuffer();
        using var cancellation = new CancellationTokenSource();
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = degree > 0 ? degree : Environment.ProcessorCount,
            CancellationToken = cancellation.Token,
        };
        var loop = Task.Run(() =>
        {
            try
            {
                Parallel.ForEach(source, options, (item, _, index) => buffer.Add(index, selector(item)));
                buffer.Complete(null);
            }
            catch (OperationCanceledException)
            {
                buffer.Complete(null);
            }
            catch (Exception e)
            {
                buffer.Complete(e);
            }
        });
        try
        {
            for (long next = 0; buffer.TryTake(next, out long result); next++)
            {
                yield return result;
            }

            loop.GetAwaiter().GetResult();
        }
        finally
        {
            cancellation.Cancel();
        }
    }

    /// <summary>The lock-protected reorder buffer of <see cref="ParallelForEachReorder"/>.</summary>
    private sealed class ReorderBuffer
    {
        private readonly object _lock = new();
        private readonly Dictionary<long, long> _results = [];
        private long _waitingFor = -1;
        private bool _completed;
        private Exception? _error;

        public void Add(long index, long result)
        {
            lock (_lock)
            {
                _results.Add(index, result);
                if (index == _waitingFor)
                {
                    Monitor.Pulse(_lock);
                }
            }
        }

        public void Complete(Exception? error)
        {
            lock (_lock)
            {
                _completed = true;
                _error = error;
                Monitor.PulseAll(_lock);
            }
        }

        public bool TryTake(long index, out long result)
        {
            lock (_lock)
            {
                while (!_results.Remove(index, out result))
                {
                    if (_completed)
                    {
                        if (_error is not null)
                        {
                            throw new AggregateException(_error);
                        }

                        return false;
                    }

                    _waitingFor = index;
                    Monitor.Wait(_lock);
                    _waitingFor = -1;
                }

                return true;
            }
        }
    }
}
