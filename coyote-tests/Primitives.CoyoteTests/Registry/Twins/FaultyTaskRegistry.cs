using Primitives.Internal;

namespace Primitives.CoyoteTests.Registry.Twins;

/// <summary>
/// Seeded-bug twin of <c>Primitives.Registry.TaskRegistry</c>: the algorithm of the synchronous members,
/// copied from src/Primitives/Registry/TaskRegistry.cs and TaskRegistry.Waiting.cs (forkjoin @ 8bc809c)
/// without argument checks, padding or async forms, with one switchable fault (<see cref="RegistryFault"/>).
/// With <see cref="RegistryFault.None"/> it behaves like the original; keep it in sync when the original
/// changes. See the original for the design note and the orderings.
/// </summary>
internal sealed class FaultyTaskRegistry : ITaskRegistry
{
    private const long ClosedBit = 1L << 62;
    private const long WindowFull = -2;

    private readonly RegistryFault _fault;
    private readonly int _window;
    private readonly int _mask;
    private readonly long[] _tags;
    private readonly int[] _owners;
    private readonly WaitGate _claimGate = new();
    private readonly WaitGate _ownerGate = new();
    private StopRecord? _stop;
    private long _next;
    private long _released;

    public FaultyTaskRegistry(int window, RegistryFault fault)
    {
        _fault = fault;
        _window = window;
        int length = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)window);
        _mask = length - 1;
        _tags = new long[length];
        _owners = new int[length];
        Array.Fill(_tags, -1);
    }

    public int Window => _window;

    public long StoppedAt => Volatile.Read(ref _stop)?.Task ?? long.MaxValue; // acquire: pairs with the CAS in TryStop

    public Exception? Error => Volatile.Read(ref _stop)?.Error; // acquire: pairs with the CAS in TryStop

    public long ReleasedCount => Volatile.Read(ref _released); // acquire: pairs with the release store in Release

    public long Claim()
    {
        while (true)
        {
            long first = TryClaim();
            if (first != WindowFull)
            {
                return first;
            }

            _claimGate.Wait(static r => r.CanClaimOrEnded(), this, CancellationToken.None);
        }
    }

    public void Publish(long task, int owner)
    {
        int slot = (int)(task & _mask);
        if (_fault == RegistryFault.TagBeforeOwner)
        {
            Volatile.Write(ref _tags[slot], task); // FAULT: the tag is released before the owner is stored
            Volatile.Write(ref _owners[slot], owner);
        }
        else
        {
            Volatile.Write(ref _owners[slot], owner); // ordered before the tag's release store below
            Volatile.Write(ref _tags[slot], task); // release: pairs with the consumer's acquire of the tag
        }

        if (_fault != RegistryFault.PublishWithoutWake)
        {
            _ownerGate.NotifyIfWaiting();
        }
    }

    public bool TryStop(long task, Exception? error)
    {
        StopRecord? current = Volatile.Read(ref _stop); // acquire: pairs with the CAS below
        var mine = new StopRecord(task, error);
        while (current is null || task < current.Task)
        {
            if (_fault == RegistryFault.StopWithoutCas)
            {
                Volatile.Write(ref _stop, mine); // FAULT: a lower record stored meanwhile is overwritten
                Wake();
                return true;
            }

            StopRecord? seen = Interlocked.CompareExchange(ref _stop, mine, current); // full fence
            if (ReferenceEquals(seen, current))
            {
                Wake();
                return true;
            }

            current = seen;
        }

        return false;
    }

    public void Close()
    {
        long next = Volatile.Read(ref _next); // acquire: pairs with the CAS in TryClaim
        while ((next & ClosedBit) == 0)
        {
            long seen = Interlocked.CompareExchange(ref _next, next | ClosedBit, next); // full fence
            if (seen == next)
            {
                Wake();
                return;
            }

            next = seen;
        }
    }

    public bool WaitForOwner(long task, out int owner)
    {
        if (TryReadOwner(task, out owner))
        {
            return true;
        }

        _ownerGate.Wait(static s => s.Registry.TryReadOwner(s.Task, out _) || s.Registry.WillNeverBePublished(s.Task), (Registry: this, Task: task), CancellationToken.None);
        return TryReadOwner(task, out owner); // re-read after "never": a failing worker publishes before it stops
    }

    public void Release(long task)
    {
        Volatile.Write(ref _released, task + 1); // release: pairs with the claimers' acquire in TryClaim
        _claimGate.NotifyIfWaiting();
    }

    private long TryClaim()
    {
        long next = Volatile.Read(ref _next); // acquire: pairs with the CAS below and in Close
        while (true)
        {
            if ((next & ClosedBit) != 0 || next >= StoppedAt)
            {
                return -1;
            }

            if (!HasRoom(next))
            {
                return WindowFull;
            }

            long seen = Interlocked.CompareExchange(ref _next, next + 1, next); // full fence
            if (seen == next)
            {
                return next;
            }

            next = seen;
        }
    }

    private bool HasRoom(long next)
    {
        long limit = Volatile.Read(ref _released) + _window; // acquire: pairs with the release store in Release
        return _fault == RegistryFault.WindowOffByOne ? next <= limit : next + 1 <= limit;
    }

    private bool CanClaimOrEnded()
    {
        long next = Volatile.Read(ref _next); // acquire: pairs with the CAS in TryClaim and Close
        return (next & ClosedBit) != 0 || next >= StoppedAt || HasRoom(next);
    }

    private bool TryReadOwner(long task, out int owner)
    {
        int slot = (int)(task & _mask);
        if (Volatile.Read(ref _tags[slot]) == task) // acquire: pairs with the release store of the tag in Publish
        {
            owner = Volatile.Read(ref _owners[slot]);
            return true;
        }

        owner = -1;
        return false;
    }

    private bool WillNeverBePublished(long task)
    {
        if (task >= StoppedAt)
        {
            return true;
        }

        long next = Volatile.Read(ref _next); // acquire: pairs with the CAS in Close
        return (next & ClosedBit) != 0 && task >= (next & ~ClosedBit);
    }

    private void Wake()
    {
        _claimGate.NotifyIfWaiting();
        _ownerGate.NotifyIfWaiting();
    }

    private sealed class StopRecord(long task, Exception? error)
    {
        public long Task { get; } = task;

        public Exception? Error { get; } = error;
    }
}
