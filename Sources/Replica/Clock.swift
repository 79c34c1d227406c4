// MARK: - Wall time, as the replica needs it

/// Wall time: the system clock in production, a virtual (possibly skewed) clock in the simulator.
/// Raft timeouts do not use it: they count `Replica.tick()` calls.
public protocol Clock: AnyObject {
    /// Milliseconds since the Unix epoch: entry timestamps, enforcer leases, decision batching.
    var nowMilliseconds: Int64 { get }
}
