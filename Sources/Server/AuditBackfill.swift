import Foundation
import Governance
import HTTP
import JSON
import Raft
import Replica
import Storage
import Synchronization

// MARK: - Audit backfill: state, inbox events, job thread

/// Closes the replica's `auditGap`: a node that caught up from a leader's snapshot holds the audit
/// head but not the history before it. While the gap is open the replica thread starts one job at
/// a time; the job's thread copies the missing range from a peer (`AuditBackfillWire`) and
/// verifies it (`AuditBackfillScan`), and the replica thread stores each verified chunk in one
/// transaction and tells the replica (`auditRecordsBackfilled(through:)`). Network I/O never runs
/// on the replica thread; a store of one chunk (≤ 1 000 records) does, like any group commit.
final class AuditBackfill: @unchecked Sendable {
    /// The first pause before another job after one that stored nothing, in ticks (0.5 s).
    static let initialRetryTicks: UInt64 = 50
    /// The longest pause between jobs, in ticks (30 s): a gap no peer can fill is retried rarely.
    static let maximumRetryTicks: UInt64 = 3_000
    /// How long a job waits for the replica thread to store one chunk before it gives up.
    static let chunkWaitSeconds = 30.0

    /// The job threads' HTTP client: one request at a time per job.
    let client = HTTPClient(configuration: HTTPClientConfiguration(
        connectTimeout: .seconds(1), responseTimeout: .seconds(10), maximumIdleConnectionsPerHost: 1))
    private let stopped = Atomic<Bool>(false)

    // Replica-thread state.
    var job: AuditBackfillJob?
    var nextAttemptTick: UInt64 = 0
    var consecutiveFailures = 0
    var state = AuditBackfillState.idle
    var metricsDeclared = false

    /// Asks a running job to end (shutdown); no new job starts.
    func stop() { stopped.store(true, ordering: .sequentiallyConsistent) }

    /// Whether `stop()` was called.
    var isStopped: Bool { stopped.load(ordering: .sequentiallyConsistent) }
}

/// What the node's backfill is doing, for `/v1/cluster`.
enum AuditBackfillState: Sendable, Equatable {
    /// No gap.
    case idle
    /// A job is copying the missing range.
    case copying
    /// No peer holds the missing range; the best holds records up to `bestPeerHead`.
    case unavailable(bestPeerHead: UInt64)
    /// The last job failed.
    case failing(String)

    var name: String {
        switch self {
        case .idle: "idle"
        case .copying: "copying"
        case .unavailable: "unavailable"
        case .failing: "failing"
        }
    }
}

/// Work for the replica thread (`NodeInboxItem.auditBackfill`).
enum AuditBackfillEvent: Sendable {
    /// A peer asks for stored records (`AuditBackfillWire`).
    case serve(after: UInt64, limit: Int, responder: HTTPResponder)
    /// A job verified a chunk: store it and acknowledge.
    case store(AuditBackfillJob, AuditBackfillChunk)
    /// A job ended.
    case finished(AuditBackfillJob, AuditBackfillOutcome)
}

/// One job: its thread runs `AuditBackfillRunner` over HTTP and hands chunks to the replica
/// thread through the inbox, waiting for each to be stored (so at most one chunk is in flight).
final class AuditBackfillJob: AuditBackfillSink, @unchecked Sendable {
    let plan: AuditBackfillPlan
    private let runtime: NodeRuntime
    private let condition = NSCondition()
    private var answer: Int??

    init(plan: AuditBackfillPlan, runtime: NodeRuntime) {
        self.plan = plan
        self.runtime = runtime
    }

    /// Runs the job on its own thread; its outcome arrives as `.finished`.
    func start() {
        let thread = Thread { [self] in
            let backfill = runtime.auditBackfill
            let nodeID = runtime.configuration.nodeID
            let source = AuditBackfillHTTPSource(client: backfill.client, transport: runtime.transport)
            let runner = AuditBackfillRunner(
                plan: plan, source: source, sink: self, shouldStop: { backfill.isStopped },
                sleep: { Thread.sleep(forTimeInterval: $0) }, log: { NodeRuntimeLog.event(nodeID, $0) })
            let outcome = runner.run()
            deliver(.finished(self, outcome))
        }
        thread.name = "audit-backfill"
        thread.start()
    }

    /// Hands `chunk` to the replica thread and waits until it is stored (bounded).
    func store(_ chunk: AuditBackfillChunk) -> Int? {
        condition.lock()
        answer = nil
        condition.unlock()
        guard deliver(.store(self, chunk)) else { return nil }
        let deadline = Date().addingTimeInterval(AuditBackfill.chunkWaitSeconds)
        condition.lock()
        defer { condition.unlock() }
        while answer == nil && Date() < deadline && !runtime.auditBackfill.isStopped {
            _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.1)))
        }
        return answer ?? nil
    }

    /// The replica thread's answer to the chunk in flight: records stored, nil when refused.
    func acknowledge(_ stored: Int?) {
        condition.lock()
        answer = .some(stored)
        condition.signal()
        condition.unlock()
    }

    /// Queues an event for the replica thread, retrying briefly while the inbox is full.
    @discardableResult
    private func deliver(_ event: AuditBackfillEvent) -> Bool {
        for _ in 0..<100 {
            if runtime.enqueue(.auditBackfill(event)) { return true }
            if runtime.auditBackfill.isStopped { return false }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }
}

/// Pages over HTTP from a peer's `AuditBackfillWire.path`, with the cluster secret.
struct AuditBackfillHTTPSource: AuditBackfillSource {
    let client: HTTPClient
    let transport: PeerTransport

    func fetch(after: UInt64, limit: Int, from peer: AuditBackfillPeer) -> Result<AuditBackfillPage, AuditBackfillRefusal> {
        let headers = HTTPHeaders([
            (PeerTransportBatch.secretHeader, transport.secretHex),
            (PeerTransportBatch.nodeIDHeader, String(transport.selfID)),
            (PeerTransportBatch.addressHeader, transport.selfAddress.description),
        ])
        let request = HTTPClientRequest(method: "GET", target: AuditBackfillWire.target(after: after, limit: limit), headers: headers)
        let response: HTTPClientResponse
        do {
            response = try client.send(request, host: peer.address.host, port: peer.address.port)
        } catch {
            return .failure(AuditBackfillRefusal("unreachable at \(peer.address): \(error)"))
        }
        guard response.status == 200 else {
            return .failure(AuditBackfillRefusal(response.status == 401 ? "it refused this node's cluster secret (401)"
                                                 : "it answered \(response.status)"))
        }
        guard let page = AuditBackfillWire.decode(body: response.body, headHeader: response.headers[AuditBackfillWire.headHeader]) else {
            return .failure(AuditBackfillRefusal("a malformed page of audit records"))
        }
        return .success(page)
    }
}
