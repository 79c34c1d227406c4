// MARK: - Fault vocabulary

/// The classes of faults a plan may inject, combinable as a mask.
public struct FaultClasses: OptionSet, Hashable, Sendable {
    /// The mask's bits.
    public let rawValue: UInt8

    /// Creates a mask from its bits.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Partitions, one-way links, leader isolation, flapping, clogging, lossy links.
    public static let network = FaultClasses(rawValue: 1 << 0)
    /// Crashes and restarts, pauses, slow nodes.
    public static let process = FaultClasses(rawValue: 1 << 1)
    /// Corruption of synced records; torn and misdirected writes on crash.
    public static let storage = FaultClasses(rawValue: 1 << 2)
    /// Clock skew and timer drift per node.
    public static let clock = FaultClasses(rawValue: 1 << 3)
    /// Only the targeted figure-8 schedule (see `FaultPlanBuilder`), one episode after another.
    /// Plans with `.network` also get one such episode in a quarter of the seeds.
    public static let figure8 = FaultClasses(rawValue: 1 << 4)
    /// Every class (figure-8 episodes come in with `.network`).
    public static let all: FaultClasses = [.network, .process, .storage, .clock]
}

/// What a crash does to the node's last, unsynced disk writes.
public enum CrashKind: Hashable, Sendable {
    /// Writes not yet synced are lost; synced ones survive intact.
    case loseUnsyncedWrites
    /// As above, and the last write reaches the disk only partly (a torn write).
    case tornLastWrite
    /// As above, and the last write lands at the wrong place on the disk.
    case misdirectedLastWrite
}

/// One fault action on the timeline. The plan only schedules these; a driver applies them to
/// the network and to the replicas.
public enum FaultEvent: Equatable, Sendable {
    /// Symmetric partition into these groups.
    case partition(groups: [[NodeID]])
    /// Messages from `from` to `to` are lost; the other direction works.
    case partitionOneWay(from: [NodeID], to: [NodeID])
    /// Cut one node off from all others.
    case isolate(NodeID)
    /// Cut off whichever node leads when the event applies (resolved by the driver).
    case isolateLeader
    /// Cut off the next node to win an election the moment it wins, before its first append
    /// leaves (resolved by the driver; disarmed by the next heal or rotation).
    case isolateNextLeader
    /// Heal every partition, then cut off again only the leader isolated most recently by
    /// `isolateLeader` or `isolateNextLeader`: the earlier ones rejoin the cluster.
    case rotateIsolatedLeaders
    /// The moment a leader's commit index next moves, heal every partition and cut off only
    /// that leader, before anything it sends with the new commit index leaves (resolved by the
    /// driver; disarmed by the next heal).
    case rotateAtNextCommit
    /// Remove every partition and flapping link.
    case healPartitions
    /// Clog one directed link (messages held, not lost).
    case clogLink(from: NodeID, to: NodeID)
    /// Unclog one directed link, releasing what it held.
    case unclogLink(from: NodeID, to: NodeID)
    /// Make one directed link alternate down and up every `period` nanoseconds.
    case startFlapping(from: NodeID, to: NodeID, period: VirtualNanoseconds)
    /// Stop one link's flapping.
    case stopFlapping(from: NodeID, to: NodeID)
    /// Give every link these random faults (drop, duplicate, delay, reorder).
    case degradeLinks(LinkFaults)
    /// Give every link the healthy profile again.
    case restoreLinks
    /// Crash a node.
    case crash(NodeID, CrashKind)
    /// Restart a crashed node from its disk.
    case restart(NodeID)
    /// Freeze a node (as a long GC pause or SIGSTOP would), keeping its memory.
    case pause(NodeID)
    /// Let a paused node run again.
    case resume(NodeID)
    /// Make a node process everything `factor` times slower.
    case slow(NodeID, factor: UInt64)
    /// Give a slow node its normal speed back.
    case restoreSpeed(NodeID)
    /// Flip bits in one synced record of a node's disk; `recordSelector` picks which one
    /// (the driver takes it modulo the records present). Checksums must catch it.
    case corruptSyncedRecord(NodeID, recordSelector: UInt64)
    /// Offset a node's clock by this many nanoseconds from true time.
    case clockSkew(NodeID, offsetNanoseconds: Int64)
    /// Make a node's timers run fast or slow by this many parts per million.
    case clockDrift(NodeID, partsPerMillion: Int64)
}

/// A fault event and when it happens.
public struct ScheduledFault: Equatable, Sendable {
    /// The virtual time at which the driver applies the event.
    public let time: VirtualNanoseconds
    /// The event.
    public let event: FaultEvent
}

// MARK: - The plan

/// A nemesis timeline generated from a seed: faults from the enabled classes during the fault
/// window, then, from `healingStartsAt`, a healing period in which every partition, clog,
/// flapping link, degraded link, crash, pause and slowdown has been undone and nothing new is
/// injected, so that liveness can be checked. Clock skew and drift stay: a correct cluster must
/// make progress under bounded clock error.
public struct FaultPlan: Equatable, Sendable {
    /// The knobs of generation.
    public struct Configuration: Equatable, Sendable {
        /// Replicas in the cluster (3 or 5 in practice).
        public var nodeCount: Int
        /// How long faults are injected.
        public var faultWindow: VirtualNanoseconds = VirtualTime.seconds(30)
        /// The fault-free period at the end, for liveness.
        public var healingPeriod: VirtualNanoseconds = VirtualTime.seconds(10)
        /// The range of quiet time between the starts of two consecutive fault episodes.
        public var gapBetweenFaults: ClosedRange<VirtualNanoseconds> = VirtualTime.milliseconds(100)...VirtualTime.seconds(2)
        /// The range of how long one episode (a partition, a crash, a pause) lasts.
        public var faultDuration: ClosedRange<VirtualNanoseconds> = VirtualTime.milliseconds(200)...VirtualTime.seconds(5)
        /// The largest clock offset injected, either way: a few election timeouts.
        public var maximumClockSkew: VirtualNanoseconds = VirtualTime.seconds(1)
        /// The largest timer drift, either way, in parts per million (5%, far beyond real quartz).
        public var maximumDriftPartsPerMillion: Int64 = 50_000
        /// The largest slowdown factor of a slow node.
        public var maximumSlowdownFactor: UInt64 = 20

        /// Creates a configuration for `nodeCount` replicas with the defaults above.
        public init(nodeCount: Int) {
            precondition(nodeCount >= 1, "a cluster needs a node")
            self.nodeCount = nodeCount
        }
    }

    /// The bound on generated events; a 30-second window with the default gaps makes a few
    /// hundred, and a configuration that would make more is a mistake.
    public static let maximumEvents = 100_000

    /// The classes this plan draws from.
    public let classes: FaultClasses
    /// The configuration it was generated with.
    public let configuration: Configuration
    /// Every event in time order (ties keep generation order).
    public let events: [ScheduledFault]
    /// Whether the plan holds a figure-8 episode (the run then cuts appends to few entries).
    public var hasFigure8Episode: Bool { events.contains { $0.event == .isolateNextLeader } }
    /// When the healing period begins: no fault starts at or after this time.
    public let healingStartsAt: VirtualNanoseconds
    /// When the run should end, after the healing period.
    public let endsAt: VirtualNanoseconds

    /// Generates the plan for `seed`, drawing only from `classes`.
    public static func generate(seed: UInt64, classes: FaultClasses, configuration: Configuration) -> FaultPlan {
        var builder = FaultPlanBuilder(seed: seed, classes: classes, configuration: configuration)
        let events = builder.build()
        return FaultPlan(
            classes: classes,
            configuration: configuration,
            events: events,
            healingStartsAt: configuration.faultWindow,
            endsAt: configuration.faultWindow + configuration.healingPeriod
        )
    }

    /// Schedules every event into `queue`, wrapped as the driver's events.
    public func schedule<Event>(into queue: inout EventQueue<Event>, as wrap: (FaultEvent) -> Event) {
        for fault in events {
            queue.schedule(wrap(fault.event), at: fault.time)
        }
    }
}
