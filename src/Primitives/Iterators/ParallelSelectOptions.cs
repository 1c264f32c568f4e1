using Primitives.RingBuffers;

namespace Primitives.Iterators;

/// <summary>
/// Options for <see cref="ParallelSelectExtensions.ParallelSelect{T, TResult}(IEnumerable{T}, Func{T, TResult}, ParallelSelectOptions?)"/>
/// and its async counterparts.
/// </summary>
/// <remarks>
/// <para>Memory is bounded by <see cref="MaxDegreeOfParallelism"/> x <see cref="BufferSize"/> buffered results,
/// plus one batch (up to 64 results) per worker being computed (and, in <see cref="Unordered"/> mode, one chunk per
/// worker). In the synchronous ordered form the enumerating thread is one of the participants: one of the rings is its
/// own (for chunks it computes ahead), and instead of a batch it may hold the items of one chunk it is computing (or,
/// once no worker runs, of one stretch of at most 512 items it reads on alone).</para>
/// <para><b>Validation.</b> Each property checks its value when it is set (the exception's parameter name is
/// "value", as for the runtime's own property setters), against the limit of the structure it sizes, so that a
/// value the iteration could never use fails here and not at the first <c>MoveNext</c>.</para>
/// <para><b>Thread safety.</b> Instances are immutable once built; share them freely.</para>
/// </remarks>
public sealed class ParallelSelectOptions
{
    /// <summary>The options used when none are given.</summary>
    public static ParallelSelectOptions Default { get; } = new();

    private readonly int _maxDegreeOfParallelism = Environment.ProcessorCount;
    private readonly int _bufferSize = 4096;
    private readonly int _chunkSize;

    /// <summary>
    /// The number of threads that run the selector at once. Default: <see cref="Environment.ProcessorCount"/>.
    /// The synchronous ordered <c>ParallelSelect</c> counts the enumerating thread as one of them (it computes
    /// chunks itself instead of waiting) and uses one pool worker fewer; unordered mode and
    /// <c>ParallelSelectAsync</c> use this many workers besides the consumer.
    /// At most <see cref="Array.MaxLength"/>: the workers' rings are held in one array.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1 or greater than <see cref="Array.MaxLength"/>.</exception>
    public int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Array.MaxLength); // else new SpscRingBuffer<T>[degree] fails at the first MoveNext of a sequence
            _maxDegreeOfParallelism = value;
        }
    }

    /// <summary>
    /// The capacity of each worker's result ring: how many finished results a worker may hold that the
    /// consumer has not taken yet. A slow consumer throttles the workers once their rings are full.
    /// Default: 4096 (a smaller ring makes workers and consumer hand over more often; a larger one holds more
    /// finished results in memory). At most <see cref="SpscRingBuffer{T}.MaxCapacity"/> (2^30), the largest ring.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1 or greater than <see cref="SpscRingBuffer{T}.MaxCapacity"/> (2^30).</exception>
    public int BufferSize
    {
        get => _bufferSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, SpscRingBuffer<byte>.MaxCapacity); // the same for every T; else the ring's constructor throws at the first MoveNext
            _bufferSize = value;
        }
    }

    /// <summary>
    /// How many consecutive source items a worker claims at once. 0 (the default) chooses automatically:
    /// for sources with a known count (arrays, <see cref="IList{T}"/>), about count / (32 x degree), at most 1024;
    /// for other sources, chunks start at 1 item and double every 4 claims up to 1024, so the first
    /// results arrive quickly and long runs amortize the claim. At most <see cref="Array.MaxLength"/>: a chunk of a
    /// source that is not a list is read into one array.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or greater than <see cref="Array.MaxLength"/>.</exception>
    public int ChunkSize
    {
        get => _chunkSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Array.MaxLength); // else a worker's chunk buffer cannot be allocated
            _chunkSize = value;
        }
    }

    /// <summary>
    /// When true, results are yielded as chunks complete rather than in input order. Each chunk's results still
    /// come out together and in order. Default: false.
    /// </summary>
    public bool Unordered { get; init; }

    /// <summary>A token that ends the iteration with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// The synchronous ordered form: a selector that a worker measures below this many nanoseconds per item (the
    /// cheapest batch among <see cref="CostSampleItems"/> results, after <see cref="CostWarmUpItems"/>) is cheaper to run
    /// on the enumerating thread than to hand over between threads, so the workers retire and the enumerating thread
    /// computes the rest (see
    /// docs/parallel-select.md, "Cheap selectors"). Internal: tests set <see cref="double.PositiveInfinity"/> (every
    /// worker retires after its first chunk) or 0 (none does).
    /// </summary>
    internal double CheapSelectorNanoseconds { get; init; } = 8;

    /// <summary>How many results a worker times before it decides whether the selector is cheap. Internal, for tests.</summary>
    internal int CostSampleItems { get; init; } = 512;

    /// <summary>
    /// How many results a worker computes before it starts timing: each run enters the worker loop afresh, and its first
    /// iterations run unoptimized code until on-stack replacement, which would make every selector look expensive.
    /// Internal, for tests (0: time from the first result).
    /// </summary>
    internal int CostWarmUpItems { get; init; } = 2048;
}
