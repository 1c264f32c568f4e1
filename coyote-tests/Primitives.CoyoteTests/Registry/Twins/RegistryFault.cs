namespace Primitives.CoyoteTests.Registry.Twins;

/// <summary>The seeded faults of <see cref="FaultyTaskRegistry"/>, a copy of <c>Primitives.Registry.TaskRegistry</c>.</summary>
public enum RegistryFault
{
    /// <summary>The algorithm as in the library.</summary>
    None,

    /// <summary>Publish stores the slot's tag BEFORE its owner: the consumer can see the tag and read a stale owner.</summary>
    TagBeforeOwner,

    /// <summary>Claim lets a number through at <c>Released + Window</c> (one past the window): a slot still in use is reused.</summary>
    WindowOffByOne,

    /// <summary>TryStop compares and then stores without a CAS: a higher stop can overwrite a lower one.</summary>
    StopWithoutCas,

    /// <summary>Publish does not wake the consumer: a consumer that parked waits forever.</summary>
    PublishWithoutWake,
}
