import Raft

// MARK: - Knobs of one chaos run

/// Everything a chaos run depends on besides its seed. Two runs with the same seed and the
/// same configuration are identical, event for event.
public struct SimulationConfiguration: Sendable {
    /// Replicas in the cluster: 3 or 5.
    public var nodeCount: Int = 3
    /// The fault classes the nemesis draws from.
    public var faults: FaultClasses = .all
    /// The whole run, in virtual seconds: the fault window, then `healingSeconds` without faults.
    public var virtualSeconds: UInt64 = 30
    /// The fault-free tail in which liveness and convergence are checked.
    public var healingSeconds: UInt64 = 8
    /// Concurrent clients.
    public var clientCount: Int = 8
    /// Agents the workload registers, kills, reinstates and checks.
    public var agentCount: Int = 6
    /// How often each replica ticks (its own clock; Raft timeouts are in ticks).
    public var tickInterval: VirtualNanoseconds = VirtualTime.milliseconds(10)
    /// A client gives up on one attempt after this long and treats it as ambiguous.
    public var attemptTimeout: VirtualNanoseconds = VirtualTime.seconds(2)
    /// Attempts per operation (the first plus retries with the same idempotency key).
    public var maximumAttempts: Int = 4
    /// A client waits this long between operations, at random.
    public var thinkTime: ClosedRange<VirtualNanoseconds> = VirtualTime.milliseconds(5)...VirtualTime.milliseconds(50)
    /// Clients stop issuing operations this long before the end, so replicas can converge.
    public var quiescence: VirtualNanoseconds = VirtualTime.seconds(3)
    /// Once faults heal, a leader must be elected and a client write applied within this bound.
    public var livenessBound: VirtualNanoseconds = VirtualTime.seconds(5)
    /// Replicas snapshot every this many entries (small, so that snapshots and compaction run).
    public var snapshotIntervalEntries: Int = 400
    /// Compaction trails the snapshot by this many entries.
    public var compactionMarginEntries: Int = 100
    /// Runs whose plan has a figure-8 episode cut appends to this many entries (production:
    /// 4,096), so that the few entries a cut-off leader takes cross several appends and the
    /// first acknowledgements carry only old-term entries.
    public var figure8MaxEntriesPerAppend: Int = 1
    /// The linearizability search budget per agent; running out is reported as `unknown`.
    public var linearizabilityStepBudget: Int = 2_000_000
    /// Stop the run at the first violation (the CLI does; a trace replay runs on to the end).
    public var stopAtFirstViolation: Bool = true
    /// Keep a readable timeline (for `--trace`); off for speed otherwise.
    public var recordsTimeline: Bool = false

    /// The defaults above.
    public init() {}

    /// The fault plan configuration these knobs imply.
    var faultPlanConfiguration: FaultPlan.Configuration {
        var plan = FaultPlan.Configuration(nodeCount: nodeCount)
        precondition(virtualSeconds > healingSeconds, "the run must be longer than its healing period")
        plan.faultWindow = VirtualTime.seconds(virtualSeconds - healingSeconds)
        plan.healingPeriod = VirtualTime.seconds(healingSeconds)
        return plan
    }
}
