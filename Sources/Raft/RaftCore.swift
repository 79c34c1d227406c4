/// The Raft consensus core of one server: pure, deterministic, single-threaded.
///
/// It reads no clock, draws no system randomness, starts no thread and does no I/O. The shell
/// drives it with `tick()`, `step(_:)`, `propose(_:)`, `readIndex(_:)`,
/// `transferLeadership(to:)` and `proposeMembershipChange(_:)`, then takes a `Ready` with
/// `ready()`, carries it out (see `Ready`) and reports back with `advance(_:)`.
///
/// Features: PreVote, CheckQuorum with leader lease, pipelined and batched replication with
/// fast conflict backtracking, batched ReadIndex reads, chunked snapshots, single-server
/// membership changes with learners, leadership transfer and a bound on uncommitted bytes.
///
/// A shell's loop, in outline:
///
/// ```swift
/// var core = RaftCore(id: 1, storage: storage, random: SplitMix64(seed: seed))
/// // on each timer tick: core.tick(); on each message: core.step(message)
/// while core.hasReady {
///     let ready = core.ready()
///     transport.send(ready.messages)
///     storage.persist(ready)                      // durable before what follows
///     transport.send(ready.messagesAfterPersistence)
///     stateMachine.apply(ready.snapshotToPersist, ready.committedEntries)
///     readWaiters.complete(ready.readStates, failing: ready.droppedReads)
///     core.advance(ready)
/// }
/// ```
///
/// Membership: one server at a time (add a learner, promote it once caught up, remove), each
/// configuration taking effect when its entry commits; a leader proposes a change only after
/// committing an entry of its own term, and one change at a time. Reads are always confirmed by
/// a quorum round (no lease reads).
public struct RaftCore: Sendable {
    // MARK: - Identity and tuning

    /// This server's id.
    public let id: NodeID
    /// The tuning this core runs with.
    public let options: RaftOptions
    var random: SplitMix64

    // MARK: - Persistent state

    /// The latest term this server has seen.
    public internal(set) var term: UInt64
    /// Whom this server voted for in `term`.
    public internal(set) var votedFor: NodeID?
    var log: RaftLog

    // MARK: - Volatile state

    /// This server's role.
    public internal(set) var role: Role = .follower
    /// The leader known in the current term.
    public internal(set) var leaderID: NodeID?
    /// The committed configuration in force.
    public internal(set) var membership: ClusterConfiguration
    var progress: [NodeID: Progress] = [:]
    var votesReceived: [NodeID: Bool] = [:]
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    var transferTarget: NodeID?
    var pendingConfigurationIndex: UInt64 = 0
    /// The index of the configuration entry in force (0 when it came from a snapshot).
    var committedConfigurationIndex: UInt64 = 0
    var uncommittedBytes = 0
    var reads = ReadIndexQueue()
    var forwardedReads: Set<UInt64> = []
    var latestSnapshot: Snapshot
    var incomingSnapshot: Snapshot?
    var incomingSnapshotTotalBytes: UInt64 = 0
    var snapshotToInstall: Snapshot?

    // MARK: - Output waiting for the next Ready

    var outbox: [RaftMessage] = []
    var outboxAfterPersistence: [RaftMessage] = []
    var completedReads: [ReadState] = []
    var droppedReads: [UInt64] = []
    var reportedHardState: HardState
    var reportedSoftState: SoftState
    var readyOutstanding = false

    // MARK: - Creation and restart

    /// Creates (or restarts) the core of server `id` from what `storage` holds.
    ///
    /// - Parameters:
    ///   - appliedIndex: the last index the state machine has applied, when it keeps its own
    ///     durable state; by default the snapshot index (the state machine restores from the
    ///     snapshot and replays the committed log).
    ///   - random: the seeded generator election timeouts are drawn from.
    public init(id: NodeID, options: RaftOptions = RaftOptions(), storage: some LogStorage,
                appliedIndex: UInt64? = nil, random: SplitMix64) {
        precondition(id != 0, "node id 0 means no node")
        precondition(options.electionTimeoutTicks > options.heartbeatIntervalTicks, "election timeout must exceed the heartbeat interval")
        let hardState = storage.hardState
        let snapshot = storage.snapshot
        let entries = storage.entries(in: storage.firstIndex..<(storage.lastIndex + 1), maxBytes: .max)
        self.id = id
        self.options = options
        self.random = random
        term = hardState.term
        votedFor = hardState.votedFor
        log = RaftLog(snapshot: snapshot.metadata, entries: entries, commitIndex: hardState.commitIndex,
                      appliedIndex: appliedIndex ?? snapshot.metadata.index)
        latestSnapshot = snapshot
        membership = snapshot.metadata.configuration
        reportedHardState = hardState
        reportedSoftState = SoftState(role: .follower, leaderID: nil)
        (membership, committedConfigurationIndex) = configuration(at: log.commitIndex)
        resetElectionTimer()
    }

    // MARK: - Observation

    /// The hard state as it is now (the next Ready carries it when it changed).
    public var hardState: HardState {
        HardState(term: term, votedFor: votedFor, commitIndex: log.commitIndex)
    }

    /// The role and leader as they are now.
    public var softState: SoftState {
        SoftState(role: role, leaderID: leaderID)
    }

    /// The highest index known committed.
    public var commitIndex: UInt64 { log.commitIndex }
    /// The last index the state machine applied, as reported through `advance(_:)`.
    public var appliedIndex: UInt64 { log.appliedIndex }
    /// The first index still in the log (older entries are compacted into the snapshot).
    public var firstIndex: UInt64 { log.firstIndex }
    /// The index of the last entry in the log.
    public var lastIndex: UInt64 { log.lastIndex }
    /// The term of the entry at `index`, or nil when compacted or beyond the log.
    public func term(at index: UInt64) -> UInt64? { log.term(at: index) }
    /// The entry at `index`, or nil when compacted or beyond the log.
    public func entry(at index: UInt64) -> Entry? { log.entry(at: index) }
    /// The latest snapshot this server holds (taken locally or received).
    public var snapshot: Snapshot { latestSnapshot }
    /// On a leader, the highest index known replicated (durably) on `peer`; nil elsewhere or for
    /// a non-member. The leader's own entry is its persisted index.
    public func matchIndex(of peer: NodeID) -> UInt64? {
        guard role == .leader else { return nil }
        return peer == id ? log.persistedIndex : progress[peer]?.match
    }
    /// Whether this server may campaign: a voter of the committed configuration.
    public var isPromotable: Bool { membership.isVoter(id) }

    // MARK: - Time

    /// Advances logical time by one tick: elections and heartbeats are counted in ticks.
    public mutating func tick() {
        if role == .leader {
            tickLeader()
        } else {
            electionElapsed += 1
            if isPromotable && electionElapsed >= randomizedElectionTimeout {
                electionElapsed = 0
                campaign()
            }
        }
    }

    mutating func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= options.electionTimeoutTicks {
            electionElapsed = 0
            transferTarget = nil
            if options.checkQuorum && !quorumRecentlyActive() {
                becomeFollower(term: term, leader: nil)
                return
            }
        }
        if heartbeatElapsed >= options.heartbeatIntervalTicks {
            heartbeatElapsed = 0
            broadcastHeartbeat()
        }
    }

    mutating func resetElectionTimer() {
        electionElapsed = 0
        heartbeatElapsed = 0
        let timeout = options.electionTimeoutTicks
        randomizedElectionTimeout = timeout + Int(random.next() % UInt64(timeout))
    }

    // MARK: - Messages

    /// Feeds one message from a peer into the core.
    public mutating func step(_ message: RaftMessage) {
        guard message.to == id, message.from != id, message.from != 0, isWellFormed(message) else { return }
        guard acceptTerm(of: message) else { return }
        switch message.body {
        case .voteRequest(let request):
            handleVoteRequest(request, from: message.from, messageTerm: message.term)
        case .voteResponse(let isPreVote, let granted):
            handleVoteResponse(isPreVote: isPreVote, granted: granted, from: message.from, messageTerm: message.term)
        case .append(let request):
            handleAppend(request, from: message.from)
        case .appendResponse(let response):
            if role == .leader { handleAppendResponse(response, from: message.from) }
        case .heartbeat(let commitIndex, let readRound):
            handleHeartbeat(commitIndex: commitIndex, readRound: readRound, from: message.from)
        case .heartbeatResponse(let readRound):
            if role == .leader { handleHeartbeatResponse(readRound: readRound, from: message.from) }
        case .snapshotChunk(let chunk):
            handleSnapshotChunk(chunk, from: message.from)
        case .snapshotResponse(let snapshotIndex, let nextOffset, let done):
            if role == .leader { handleSnapshotResponse(snapshotIndex: snapshotIndex, nextOffset: nextOffset, done: done, from: message.from) }
        case .timeoutNow:
            handleTimeoutNow(from: message.from)
        case .readIndexRequest(let requestID):
            if role == .leader { acceptRead(requestID: requestID, origin: message.from) }
        case .readIndexResponse(let requestID, let index):
            if forwardedReads.remove(requestID) != nil {
                completedReads.append(ReadState(requestID: requestID, index: index))
            }
        }
    }

    /// Indices far beyond any real log; a message carrying one is corrupt.
    static let implausibleIndex = UInt64.max / 4

    /// Drops messages no correct peer sends, so that corrupt input cannot break an invariant or
    /// overflow arithmetic: appends must carry contiguous entries following `previousIndex` with
    /// terms between `previousTerm` and the message term, and indices and offsets must be sane.
    func isWellFormed(_ message: RaftMessage) -> Bool {
        switch message.body {
        case .append(let request):
            guard request.previousIndex < Self.implausibleIndex, request.commitIndex < Self.implausibleIndex else { return false }
            return hasContiguousEntries(request, messageTerm: message.term)
        case .appendResponse(let response):
            return response.index < Self.implausibleIndex && response.rejectHintIndex < Self.implausibleIndex
        case .snapshotChunk(let chunk):
            return chunk.offset <= chunk.totalBytes && chunk.totalBytes < Self.implausibleIndex
        case .snapshotResponse(let snapshotIndex, _, _):
            return snapshotIndex < Self.implausibleIndex
        default:
            return true
        }
    }

    private func hasContiguousEntries(_ request: RaftMessage.AppendRequest, messageTerm: UInt64) -> Bool {
        var expectedIndex = request.previousIndex + 1
        var lowestTerm = request.previousTerm
        for entry in request.entries {
            guard entry.index == expectedIndex, entry.term >= lowestTerm, entry.term <= messageTerm else { return false }
            expectedIndex += 1
            lowestTerm = entry.term
        }
        return true
    }

    func message(_ body: RaftMessage.Body, to peer: NodeID, term messageTerm: UInt64? = nil) -> RaftMessage {
        RaftMessage(from: id, to: peer, term: messageTerm ?? term, body: body)
    }

    // MARK: - Role changes

    mutating func becomeFollower(term newTerm: UInt64, leader: NodeID?) {
        precondition(newTerm >= term, "term must never regress")
        // Reads (local or forwarded) belong to one leader in one term; any change ends them.
        if role == .leader || leader != leaderID || newTerm > term { dropReads() }
        if newTerm > term {
            term = newTerm
            votedFor = nil
        }
        role = .follower
        leaderID = leader
        transferTarget = nil
        votesReceived = [:]
        resetElectionTimer()
    }

    mutating func becomeLeader() {
        precondition(role == .candidate, "only a candidate becomes leader")
        role = .leader
        leaderID = id
        transferTarget = nil
        resetElectionTimer()
        progress = [:]
        for member in membership.members where member != id {
            progress[member] = Progress(next: log.lastIndex + 1, maxInflight: options.maxInflightAppends)
        }
        pendingConfigurationIndex = log.lastIndex
        uncommittedBytes = 0
        appendAsLeader(kind: .noOp, data: [])
        broadcastAppend(allowEmpty: true)
    }

    /// Forgets reads that can no longer complete here and reports the local ones as dropped.
    mutating func dropReads() {
        for read in reads.dropAll() where read.origin == id { droppedReads.append(read.requestID) }
        droppedReads.append(contentsOf: forwardedReads.sorted())
        forwardedReads.removeAll()
    }
}
