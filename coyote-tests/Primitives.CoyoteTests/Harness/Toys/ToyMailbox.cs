namespace Primitives.CoyoteTests.Harness.Toys;

/// <summary>
/// A one-shot, one-slot mailbox between one producer and one consumer: the smallest "store, then
/// publish with a release" protocol, used to prove that the harness finds a publication-order bug
/// and a livelock. Not a primitive of the library.
/// </summary>
public sealed class ToyMailbox(ToyFault fault)
{
    private int _value;   // plain: written by the producer before _full publishes it, read by the consumer after
    private int _full;    // 0 until the value is published

    /// <summary>Producer: stores the value, then publishes it.</summary>
    public void Put(int value)
    {
        switch (fault)
        {
            case ToyFault.PublishBeforeStore:
                Volatile.Write(ref _full, 1);   // SEEDED FAULT: publishes before the store below
                _value = value;
                break;
            case ToyFault.NeverPublish:
                _value = value;                 // SEEDED FAULT: never publishes
                break;
            default:
                _value = value;
                Volatile.Write(ref _full, 1);   // release: pairs with the acquire in Take
                break;
        }
    }

    /// <summary>Consumer: spins until the value is published, then reads it.</summary>
    public int Take()
    {
        while (Volatile.Read(ref _full) == 0)   // acquire: pairs with the release in Put
        {
            Thread.Yield();
        }

        return _value;
    }
}
