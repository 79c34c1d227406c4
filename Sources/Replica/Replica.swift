import Governance
import Raft

/// The pure glue between Raft and Governance that both the production server and the chaos
/// simulator drive (contract: /work/contracts/replica-api.md).
public final class Replica {
    /// This node's configuration.
    public let configuration: ReplicaConfiguration
    let logStore: any LogStore
    let transport: any Transport
    let clock: any Clock
    var core: RaftCore
    var state = GovernanceState()

    /// Restores the replica from what `logStore` holds.
    public init(configuration: ReplicaConfiguration, logStore: any LogStore, transport: any Transport, clock: any Clock) throws {
        self.configuration = configuration
        self.logStore = logStore
        self.transport = transport
        self.clock = clock
        let stored = try logStore.load()
        var storage = MemoryLogStorage(configuration: stored.snapshot?.metadata.configuration ?? configuration.initialMembers)
        if let snapshot = stored.snapshot, snapshot.metadata.index > 0 { storage.installSnapshot(snapshot) }
        storage.append(stored.entries)
        storage.setHardState(stored.hardState)
        core = RaftCore(id: configuration.nodeID, options: configuration.raftOptions, storage: storage,
                        random: SplitMix64(seed: configuration.randomSeed))
    }

    /// The governance state as applied here; read it on the shell's thread after `process()`.
    public var governance: GovernanceState { state }
    /// A read-only view of the Raft core (term, log, commit) for checkers and status.
    public var raft: RaftCore { core }
    /// This node's id.
    public var nodeID: NodeID { configuration.nodeID }
    /// This node's role.
    public var role: Role { core.role }
    /// The leader this node knows of.
    public var leaderID: NodeID? { core.leaderID }
    /// The current term.
    public var term: UInt64 { core.term }
    /// The highest index known committed.
    public var commitIndex: UInt64 { core.commitIndex }
    /// The last log index applied here (no-op and configuration entries included).
    public var appliedRevision: UInt64 { core.appliedIndex }
    /// Committed entries that did not decode and were skipped on every replica alike.
    public private(set) var undecodableEntryCount = 0

    /// Advances logical time by one tick.
    public func tick() { core.tick() }
    /// Feeds one message from a peer.
    public func receive(_ message: PeerMessage) {}
    /// Submits a write; it completes in a later `process()`.
    public func submitWrite(requestID: RequestID, command: Command, actor: Actor, idempotencyKey: String?, waitForEnforcers: Bool = false) {}
    /// Submits a read; it completes with `.readReady` in a later `process()`.
    public func submitRead(requestID: RequestID, consistency: ReadConsistency) {}
    /// Records that an enforcer applied everything up to `revision`.
    public func recordEnforcerAck(enforcerID: String, revision: UInt64) {}
    /// Buffers one of this node's decision records; false when the buffer is full.
    public func recordDecision(_ record: DecisionRecord) -> Bool { false }
    /// Hands leadership to `target`.
    public func transferLeadership(to target: NodeID) throws(RaftError) { try core.transferLeadership(to: target) }
    /// Proposes one membership change; returns its entry's index.
    public func proposeMembershipChange(_ change: MembershipChange) throws(RaftError) -> UInt64 {
        try core.proposeMembershipChange(change)
    }
    /// Feed events after `revision`, or a reset when it is older than the ring.
    public func events(after revision: UInt64, limit: Int) -> FeedRead { .events([]) }
    /// The enforcers this node has heard from.
    public func enforcers() -> [EnforcerStatus] { [] }
    /// Runs the Ready cycle once (group commit) and returns what completed.
    public func process() throws -> ReplicaOutput { ReplicaOutput() }
}
