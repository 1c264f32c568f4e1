namespace Primitives.CoyoteTests.Harness.Toys;

/// <summary>
/// A one-shot latch with the same shape as the library's wait gate: the waiter announces itself and
/// re-checks (Dekker), the setter stores the flag and takes the lock only when someone announced.
/// Used to prove that the harness finds a lost wake-up. Not a primitive of the library.
/// </summary>
public sealed class ToyLatch(ToyFault fault)
{
    private readonly object _lock = new();
    private int _set;       // 0 until Set
    private int _waiters;   // waiters that announced themselves

    /// <summary>Opens the latch and wakes every announced waiter.</summary>
    public void Set()
    {
        Interlocked.Exchange(ref _set, 1);             // full fence: pairs with the waiter's announce-then-check
        if (Volatile.Read(ref _waiters) != 0)          // pairs with Interlocked.Increment in Wait
        {
            lock (_lock)
            {
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>Blocks until <see cref="Set"/> was called.</summary>
    public void Wait()
    {
        lock (_lock)
        {
            while (true)
            {
                if (fault != ToyFault.AnnounceAfterCheck)
                {
                    Interlocked.Increment(ref _waiters);   // full fence: announce before the check
                }

                bool isSet = Volatile.Read(ref _set) != 0; // pairs with the Interlocked.Exchange in Set
                if (fault == ToyFault.AnnounceAfterCheck)
                {
                    Interlocked.Increment(ref _waiters);   // SEEDED FAULT: announced after the check
                }

                if (!isSet)
                {
                    Monitor.Wait(_lock);
                }

                Interlocked.Decrement(ref _waiters);
                if (isSet)
                {
                    return;
                }
            }
        }
    }
}
