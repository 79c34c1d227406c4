import Governance
import Raft

/// The pure glue between Raft and Governance that both the production server and the chaos
/// simulator drive: it persists through `LogStore`, sends through `Transport`, reads wall time
/// through `Clock`, and owns all request bookkeeping (contract: /work/contracts/replica-api.md).
///
/// Single-threaded and deterministic: the shell feeds events (`tick`, `receive`, `submitWrite`,
/// `submitRead`, …) and then calls `process()` once per loop iteration, which runs the Raft
/// Ready cycle with one group commit and returns the completions.
public final class Replica {
    // MARK: - Bounds

    /// Ready cycles one `process()` runs at most; the rest waits for the next iteration, so one
    /// call's work (and its saves) stays bounded.
    static let maximumReadyCyclesPerProcess = 8
    /// Ticks deferred state (audit records, commit index, compaction) waits at most for a save
    /// to ride along with before `process()` saves it on its own.
    static let maximumDeferredSaveTicks: UInt64 = 2

    // MARK: - Identity and the world

    /// This node's configuration.
    public let configuration: ReplicaConfiguration
    let logStore: any LogStore
    let transport: any Transport
    let clock: any Clock

    // MARK: - Replicated state

    var core: RaftCore
    var state: GovernanceState
    /// The last index applied here (mirrors what `core.advance` will be told).
    var lastAppliedIndex: UInt64
    /// The timestamp of the last applied normal entry.
    var lastAppliedTimestamp: Int64
    /// The highest timestamp this node stamped or saw in its log as leader.
    var highestStampedTimestamp: Int64 = .min
    /// Audit records up to this sequence number are already in the store.
    var storedAuditHeadSeq: UInt64
    /// The commit index stored when this replica started: the tail to re-apply first.
    let commitIndexAtStart: UInt64

    // MARK: - Persistence and output

    /// What the next save will carry; whatever it holds besides urgent parts waits (see `process()`).
    var deferredBatch = DurableBatch()
    /// The tick at which `deferredBatch` was first found waiting at the end of `process()`.
    var deferredSinceTick: UInt64?
    var lastSavedHardState: HardState
    /// The index of the last entry in the store (the snapshot's when no entry follows it).
    var durableLastIndex: UInt64
    var storeFailed = false
    var outgoing: [PeerMessage] = []
    var completions: [RequestID: RequestOutcome] = [:]
    var feedOutput: [FeedItem] = []
    var snapshotInstalledThisCall = false
    var pendingSnapshot: (index: UInt64, data: [UInt8])?
    /// The bytes of the last snapshot taken, installed or restored from (see `scheduleSnapshot`).
    var lastSnapshotByteCount: Int
    /// The bytes of the entries applied since that snapshot.
    var appliedBytesSinceSnapshot = 0

    // MARK: - Requests

    var tickCount: UInt64 = 0
    var openRequests: Set<RequestID> = []
    var proposals: [UInt64: Proposal] = [:]
    /// Forwarded writes the leader has not answered yet, by forward id.
    var forwards: [UInt64: Forward] = [:]
    /// Forwarded writes the leader answered as committed, waiting to apply here.
    var forwardsAwaitingApply: [UInt64: Forward] = [:]
    var nextForwardID: UInt64
    var recentForwardKeys: Set<ForwardKey> = []
    var recentForwardOrder: [ForwardKey] = []
    var recentResults: RecentResults
    var unbatchedReads: [RequestID] = []
    var readBatches: [UInt64: [RequestID]] = [:]
    var nextReadBatchID: UInt64
    var readWaiters: [RequestID: ReadWaiter] = [:]
    var enforcerWaiters: [EnforcerWaiter] = []
    var enforcerRegistry: [String: EnforcerStatus] = [:]
    var feedRing: FeedRing
    var decisionBuffer: DecisionBuffer
    var decisionBatchSubmitted = false
    /// Committed entries that did not decode and were skipped on every replica alike.
    public internal(set) var undecodableEntryCount = 0

    /// Identifies a forwarded write at the leader, to drop duplicated deliveries.
    struct ForwardKey: Hashable {
        var node: NodeID
        var forwardID: UInt64
    }

    // MARK: - Creation and restart

    /// Restores the replica from what `logStore` holds: Governance from the snapshot; the
    /// committed tail is re-applied by the first `process()` calls.
    public init(configuration: ReplicaConfiguration, logStore: any LogStore, transport: any Transport, clock: any Clock) throws {
        self.configuration = configuration
        self.logStore = logStore
        self.transport = transport
        self.clock = clock
        let stored = try logStore.load()
        let image = try ReplicaSnapshot.decode(stored.snapshot?.data ?? [])
        var storage = MemoryLogStorage(configuration: stored.snapshot?.metadata.configuration ?? configuration.initialMembers)
        if let snapshot = stored.snapshot, snapshot.metadata.index > 0 { storage.installSnapshot(snapshot) }
        storage.append(stored.entries)
        storage.setHardState(stored.hardState)
        core = RaftCore(id: configuration.nodeID, options: configuration.raftOptions, storage: storage,
                        random: SplitMix64(seed: configuration.randomSeed))
        state = image.governance
        lastAppliedIndex = storage.snapshot.metadata.index
        lastAppliedTimestamp = image.lastAppliedTimestampMilliseconds
        lastSnapshotByteCount = stored.snapshot?.data.count ?? 0
        storedAuditHeadSeq = stored.auditHeadSeq
        lastSavedHardState = stored.hardState
        durableLastIndex = stored.entries.last?.index ?? stored.snapshot?.metadata.index ?? 0
        commitIndexAtStart = stored.hardState.commitIndex
        recentResults = RecentResults(capacity: configuration.recentResultCapacity)
        feedRing = FeedRing(capacity: configuration.feedRingCapacity, byteCapacity: configuration.feedRingBytes,
                            horizon: lastAppliedIndex)
        decisionBuffer = DecisionBuffer(capacity: configuration.maximumBufferedDecisions)
        decisionBuffer.lastProposedSeq = Self.highestOwnDecisionBatch(in: stored.entries, after: commitIndexAtStart,
                                                                      source: configuration.decisionSource)
        // Ids unique across restarts: the wall clock at start, shifted above a per-run counter.
        let incarnation = UInt64(max(0, clock.nowMilliseconds)) << 20
        nextForwardID = incarnation
        nextReadBatchID = incarnation
    }

    /// The highest sequence of this node's own decision batches among stored entries after
    /// `index`. The stored commit index may lag what was committed and applied before a crash
    /// (it is saved lazily), so a batch in that tail may already be committed; the next batch
    /// must be numbered past it, or it would be dropped as that batch's duplicate.
    static func highestOwnDecisionBatch(in entries: [Entry], after index: UInt64, source: String) -> UInt64 {
        var highest: UInt64 = 0
        for entry in entries where entry.index > index && entry.kind == .normal {
            guard let payload = try? LogEntryPayload.decode(entry.data),
                  case .decisionBatch(let batch) = payload.command, batch.source == source else { continue }
            highest = max(highest, batch.batchSeq)
        }
        return highest
    }

    // MARK: - Observation

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
    public var appliedRevision: UInt64 { lastAppliedIndex }
    /// Open client requests on this node.
    public var openRequestCount: Int { openRequests.count }

    // MARK: - Events

    /// Advances logical time by one tick: Raft timeouts, and request deadlines counted in ticks.
    public func tick() {
        tickCount += 1
        core.tick()
        expireWrites()
        expireReads()
    }

    /// Feeds one message from a peer.
    public func receive(_ message: PeerMessage) {
        guard message.to == nodeID, message.from != nodeID else { return }
        switch message.body {
        case .raft(let raftMessage):
            guard raftMessage.from == message.from, raftMessage.to == message.to else { return }
            core.step(raftMessage)
        case .forwardWrite(let forwardID, let payload):
            acceptForwardedWrite(from: message.from, forwardID: forwardID, payload: payload)
        case .forwardResult(let forwardID, let outcome):
            acceptForwardResult(from: message.from, forwardID: forwardID, outcome: outcome)
        }
    }

    /// Hands leadership to `target` (writes are refused with `transferInProgress` meanwhile).
    public func transferLeadership(to target: NodeID) throws(RaftError) { try core.transferLeadership(to: target) }

    /// Proposes one membership change; returns its entry's index.
    public func proposeMembershipChange(_ change: MembershipChange) throws(RaftError) -> UInt64 {
        try core.proposeMembershipChange(change)
    }

    // MARK: - Feed

    /// Feed events after `revision` (oldest first, at most `limit`), or a reset when `revision`
    /// is older than the ring holds.
    public func events(after revision: UInt64, limit: Int) -> FeedRead {
        feedRing.read(after: revision, limit: limit)
    }

    // MARK: - Audit history

    /// The sequence number the next audit record handed to `save` must carry: the store's
    /// audit chain stays contiguous.
    var nextAuditSeqToSave: UInt64 { storedAuditHeadSeq + UInt64(deferredBatch.auditRecords.count) + 1 }

    /// Audit records this node's store lacks, when it caught up from a leader's snapshot (the
    /// snapshot carries the audit head, not the history). While open, new records are not
    /// handed to `save`; the shell copies the range from a peer (records are identical on every
    /// node, hash-chained) into its store and reports it with `auditRecordsBackfilled(through:)`.
    public var auditGap: ClosedRange<UInt64>? {
        let next = nextAuditSeqToSave
        return state.auditHead.seq >= next ? next...state.auditHead.seq : nil
    }

    /// The shell stored audit records up to `seq` itself (backfilled from a peer, contiguous
    /// with what the store held); records after `seq` flow through `save` again once the gap
    /// is closed.
    public func auditRecordsBackfilled(through seq: UInt64) {
        guard deferredBatch.auditRecords.isEmpty else { return }
        storedAuditHeadSeq = max(storedAuditHeadSeq, min(seq, state.auditHead.seq))
    }

    // MARK: - Completion helpers

    func complete(_ requestID: RequestID, _ outcome: RequestOutcome) {
        guard openRequests.remove(requestID) != nil else { return }
        completions[requestID] = outcome
    }
}
