import Raft

// MARK: - Configuration

/// The identity, tuning and bounds of one replica. Every bound is named here with its reason.
public struct ReplicaConfiguration: Sendable {
    /// This node's Raft id.
    public var nodeID: NodeID
    /// The group's first members; used only when the store holds no snapshot.
    public var initialMembers: ClusterConfiguration
    /// The Raft core's tuning.
    public var raftOptions: RaftOptions
    /// Seeds Raft's election jitter: a run is a function of its seed and its inputs.
    public var randomSeed: UInt64
    /// The `DecisionBatch.source` of this node's own decision records.
    public var decisionSource: String
    /// A snapshot of Governance is taken every this many applied entries at the least ...
    public var snapshotIntervalEntries: Int = 10_000
    /// ... and, once the last snapshot reached `snapshotAmortizationFloorBytes`, only when the
    /// entries applied since it hold at least this percentage of its bytes. Encoding costs time
    /// linear in the state, on the replica's thread: without this, a state that keeps growing
    /// makes the total encode work quadratic; with it, each applied byte pays for at most
    /// 100/percent bytes of encoding. The price is the log tail kept in memory until the next
    /// compaction, up to this percentage of the snapshot's size.
    public var snapshotLogBytesPercent: Int = 50
    /// Snapshots smaller than this are retaken by entry count alone (small states, the simulator).
    public var snapshotAmortizationFloorBytes: Int = 16 << 20
    /// Compaction trails the snapshot by this many entries, so that slightly slow followers
    /// catch up from the log rather than with a whole snapshot.
    public var compactionMarginEntries: Int = 1_000
    /// A proposed or forwarded write not applied here within this many ticks becomes ambiguous.
    public var writeTimeoutTicks: Int = 100
    /// A linearizable or at-least read not servable within this many ticks fails.
    public var readTimeoutTicks: Int = 100
    /// Open requests (writes and reads) on this node at once; more are refused at once.
    public var maximumPendingRequests: Int = 1 << 16
    /// Writes forwarded to the leader and unanswered at once.
    public var maximumInflightForwards: Int = 4_096
    /// Feed events kept for subscribers to resume from ...
    public var feedRingCapacity: Int = 65_536
    /// ... and their estimated bytes at most (`FeedItem.estimatedBytes`): one 100-tuple write is
    /// one event of about 10 KB, so the count alone would let the ring hold hundreds of MB.
    /// A subscriber resuming below what the ring holds gets a reset, as for the count bound.
    public var feedRingBytes: Int = 64 << 20
    /// Results of recently applied entries kept for forwarded writes whose answer arrives late.
    public var recentResultCapacity: Int = 4_096
    /// A decision batch is proposed once this many records are buffered ...
    public var decisionBatchRecords: Int = 256
    /// ... or once the oldest buffered record is this old.
    public var decisionBatchDelayMilliseconds: Int64 = 1_000
    /// Decision records buffered at most; more are dropped (and counted) until a batch drains.
    public var maximumBufferedDecisions: Int = 4_096
    /// Enforcers tracked at most; acks from further unknown enforcers are ignored.
    public var maximumEnforcers: Int = 4_096

    /// A configuration with the documented defaults.
    public init(nodeID: NodeID, initialMembers: ClusterConfiguration, randomSeed: UInt64) {
        self.nodeID = nodeID
        self.initialMembers = initialMembers
        self.randomSeed = randomSeed
        raftOptions = RaftOptions()
        decisionSource = "node-\(nodeID)"
    }
}
