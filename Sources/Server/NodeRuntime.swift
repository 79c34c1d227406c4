import Crypto
import Foundation
import Governance
import HTTP
import Raft
import Replica
import Storage
import Tokens

// MARK: - The node runtime

/// Drives one `Replica` on its own thread: drains the inbox (client operations and peer
/// messages), ticks Raft every `tickMilliseconds`, runs `process()` (one group commit) and
/// completes the answers. Everything that touches the replica, the store or the governance
/// state runs on that thread, hence the unchecked `Sendable`.
public final class NodeRuntime: @unchecked Sendable {
    // MARK: - Bounds and timing

    /// Raft's tick: by default election timeout 15–30 ticks (150–300 ms), a heartbeat every 3 ticks.
    public static let tickMilliseconds: UInt64 = 10
    /// The shortest election timeout in ticks: several heartbeats (one per tick) fit in it.
    static let minimumElectionTicks = 5
    /// Ticks caught up at most after a stall, so a paused process does not fire a burst of elections.
    static let maximumCatchUpTicks = 10
    /// Background duties (bootstrap key, signing key, learner promotion) run this often, in ticks.
    static let dutyIntervalTicks: UInt64 = 5
    /// A membership change not applied within this many ticks is answered 504.
    static let membershipTimeoutTicks: UInt64 = 500
    /// Requests proxied to the leader at once (membership and leadership calls on a follower).
    static let maximumProxies = 16
    /// Audit pages (1 000 records each) verified per loop iteration: a few ms, far below a tick budget.
    static let auditPagesPerIteration = 2
    /// The route whose evaluation runs as a sliced job.
    static let auditVerifyRoute = "GET /v1/audit/verify"
    /// Bytes of random jti drawn per token.
    static let tokenIDBytes = 16

    // MARK: - Parts

    let configuration: NodeConfiguration
    let replica: Replica
    let store: SQLiteLogStore
    /// The audit table, read on the replica thread after saving what the replica held back.
    private(set) lazy var auditReader = AuditReaderSQLite(store: store) { [unowned self] in saveDeferred() }
    let transport: PeerTransport
    let metrics: NodeMetrics
    let identity: NodeSigningIdentity
    let secrets: ServerSecrets
    let clock = SystemClock()
    let inbox = NodeRuntimeInbox()
    let feedHub = FeedHub()
    let auditBackfill = AuditBackfill()
    let proxyClient = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(1), responseTimeout: .seconds(10)))

    // MARK: - Replica-thread state

    var pending: [RequestID: NodeRuntimePending] = [:]
    var nextRequestID: RequestID = 1
    var membershipWaits: [(index: UInt64, term: UInt64, responder: HTTPResponder, deadline: UInt64)] = []
    var tickCount: UInt64 = 0
    var lastLeader: NodeID?
    var lastRole: Role = .follower
    var bootstrapKeyInFlight = false
    var signingKeyInFlight = false
    var proxiesInFlight = 0
    var auditJobs: [(read: ReadOperation, responder: HTTPResponder, progress: AuditVerification)] = []
    private let running = NSCondition()
    private var stopRequested = false
    private var stopped = false

    /// A runtime over an opened store and a built replica.
    init(configuration: NodeConfiguration, replica: Replica, store: SQLiteLogStore, transport: PeerTransport,
         metrics: NodeMetrics, identity: NodeSigningIdentity) {
        self.configuration = configuration
        self.replica = replica
        self.store = store
        self.transport = transport
        self.metrics = metrics
        self.identity = identity
        secrets = ServerSecrets(clientSecretKey: HMACSHA256.authenticate(Array("client-secret-key".utf8), key: configuration.clusterSecret))
    }

    // MARK: - Thread

    /// Starts the replica thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "replica"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Asks the loop to stop after its current iteration and waits until it has (a final save included).
    func stop() {
        running.lock()
        stopRequested = true
        running.unlock()
        inbox.wake()
        running.lock()
        while !stopped { running.wait() }
        running.unlock()
    }

    private var shouldStop: Bool {
        running.lock()
        defer { running.unlock() }
        return stopRequested
    }

    private func run() {
        var nextTick = SystemClock.monotonicNanoseconds() + Self.tickMilliseconds * 1_000_000
        while !shouldStop {
            advanceAuditJobs()
            let deadline = replica.raft.hasReady || !auditJobs.isEmpty ? 0 : nextTick
            for item in inbox.drain(waitingUntil: deadline) { handle(item) }
            var now = SystemClock.monotonicNanoseconds()
            var caughtUp = 0
            while now >= nextTick {
                if caughtUp < Self.maximumCatchUpTicks { onTick() }
                caughtUp += 1
                nextTick += Self.tickMilliseconds * 1_000_000
                now = SystemClock.monotonicNanoseconds()
            }
            processOnce()
        }
        processOnce()
        saveDeferred()
        running.lock()
        stopped = true
        running.broadcast()
        running.unlock()
    }

    private func onTick() {
        replica.tick()
        tickCount += 1
        if tickCount % Self.dutyIntervalTicks == 0 { runDuties() }
        expireMembershipWaits()
        advanceAuditBackfill()
        feedHub.tick(view: FeedClusterView(leader: replica.leaderID.map { String($0) }, term: replica.term), source: replica,
                     nowMilliseconds: Int64(SystemClock.monotonicNanoseconds() / 1_000_000))
    }

    /// One `process()` (its saves are the ones answers wait for), then every completion answered.
    func processOnce() {
        let output: ReplicaOutput
        do {
            output = try replica.process()
        } catch {
            NodeRuntimeLog.event(configuration.nodeID, "fatal: storage failed: \(error); exiting so the node restarts from disk")
            exit(1)
        }
        if let soft = output.softState { observe(soft) }
        feedHub.publish(output.feed, snapshotInstalled: output.snapshotInstalled, source: replica,
                        nowMilliseconds: Int64(SystemClock.monotonicNanoseconds() / 1_000_000))
        for (requestID, outcome) in output.completions { complete(requestID, outcome) }
        answerMembershipWaits()
        metrics.progress(applied: replica.appliedRevision, commit: replica.commitIndex, term: replica.term,
                         isLeader: replica.role == .leader)
    }

    /// Saves what the replica deferred (audit records, commit index, compaction) now.
    func saveDeferred() {
        do {
            try replica.saveDeferred()
        } catch {
            NodeRuntimeLog.event(configuration.nodeID, "fatal: storage failed: \(error); exiting so the node restarts from disk")
            exit(1)
        }
    }

    private func observe(_ soft: SoftState) {
        if soft.leaderID != lastLeader {
            metrics.leaderChanged()
            let leader = soft.leaderID.map(String.init) ?? "none"
            NodeRuntimeLog.event(configuration.nodeID, "leader changed: leader=\(leader) term=\(replica.term) role=\(soft.role)")
        }
        lastLeader = soft.leaderID
        lastRole = soft.role
        // A new leader creates the bootstrap key and learns its followers at once, not a duty interval later.
        if soft.leaderID != nil { runDuties() }
    }

    // MARK: - Inbox

    private func handle(_ item: NodeInboxItem) {
        switch item {
        case .peers(let messages):
            for message in messages { replica.receive(message) }
        case .request(let operation, let request, let responder):
            handle(operation, request: request, responder: responder)
        case .proxyFinished:
            proxiesInFlight -= 1
        case .auditBackfill(let event):
            handleAuditBackfill(event)
        }
    }

    /// Hands an inbox item over from an HTTP loop thread; false when the inbox is full.
    func enqueue(_ item: NodeInboxItem) -> Bool {
        inbox.push(item)
    }

    /// A fresh request id.
    func makeRequestID() -> RequestID {
        defer { nextRequestID += 1 }
        return nextRequestID
    }
}
