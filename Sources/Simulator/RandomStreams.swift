/// The simulator in one page, and the numbers of its independent random streams.
///
/// A run is a pure function of one seed: no host clock, no system randomness, no threads.
/// The pieces, each usable on its own:
/// - `SeededRandom` (xoshiro256** seeded through SplitMix64) gives every subsystem its own
///   stream, `SeededRandom(seed:stream:)` with a number below, so that drawing more numbers in
///   one subsystem never shifts the choices of another as the code evolves.
/// - `VirtualClock` and `EventQueue` order everything by (virtual time, scheduling order).
/// - `SimulatedNetwork` turns a send into zero, one or two timed deliveries and decides at
///   arrival whether each gets through (partitions, flapping) or is held (clogging).
/// - `FaultPlan` is the nemesis timeline; the driver applies each `FaultEvent` when it is due:
///   network events to the network, process and storage events to replicas, clock events to
///   each replica's `NodeClock`.
/// - `History` records client operations; `LinearizabilityChecker` judges them against a
///   `SequentialModel` such as `KillSwitchModel`.
/// - `TraceHasher` folds every processed event; the same seed must give the same hash.
public enum RandomStreams {
    /// The network's drops, delays, duplicates and reorderings.
    public static let network: UInt64 = 1
    /// The clients' choice of operations, keys and think times.
    public static let workload: UInt64 = 2
    /// The replicas' own randomness (election timeouts), forked per replica.
    public static let replicas: UInt64 = 3
    /// Storage fault details (which bytes a torn or misdirected write damages).
    public static let storage: UInt64 = 4
    /// The fault plan (nemesis timeline).
    public static let faultPlan: UInt64 = 0xFA01_7000
    /// Whether and when a plan with network faults gets its figure-8 episode (its own stream,
    /// so the other episodes of seeds without one stay as they were).
    public static let figure8: UInt64 = 0xFA01_7008
}
