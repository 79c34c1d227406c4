import Foundation
import HTTP
import Raft
import Synchronization

// MARK: - One peer's sender

/// Sends one peer's messages as pipelined `POST`s over one keep-alive connection. The replica
/// thread writes a batch straight into the socket when the connection is idle and the socket
/// takes it at once (no thread hand-off on the hot path); otherwise the batch waits in a bounded
/// queue for this sender's thread, which also connects, backs off, writes what the socket did
/// not take, and reads the `204`s. At most `maximumUnansweredBatches` wait for their `204`; the
/// messages behind them are coalesced into the next batch.
/// When idle the thread announces this node every `announceInterval` with an empty batch, so
/// the peer learns its address (how nodes added at run time become known everywhere).
final class PeerSender: @unchecked Sendable {
    /// An idle sender posts an empty batch this often.
    static let announceIntervalSeconds = 1.0
    /// The first pause after a failed request; doubles up to `maximumBackoffSeconds`.
    static let initialBackoffSeconds = 0.005
    /// The longest pause between attempts to an unreachable peer: well under the election
    /// timeout, so a peer that comes back hears the leader's heartbeats before it campaigns.
    static let maximumBackoffSeconds = 0.04
    /// Sent messages left at the queue's front before they are removed in one move.
    static let compactionThreshold = 1_024
    /// Batches sent whose `204` has not arrived, at most. Beyond it messages wait in the queue
    /// and leave together once the peer took the earlier batches: an idle connection sends at
    /// once, a busy one coalesces (one request per round trip to the peer, not per message).
    static let maximumUnansweredBatches = 2

    let peerID: NodeID
    private unowned let transport: PeerTransport
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue: [[UInt8]] = []
    private var queueHead = 0
    private var running = true
    /// The connection; used under the lock by the replica thread, or by the sender thread
    /// while `busy` (then the replica thread only queues).
    private var pipeline: HTTPPipeline?
    private var busy = false
    /// Set when a fast-path write failed or left bytes unsent: the thread takes over.
    private var needsThread = false
    /// Whether the last request reached the peer (only the sender thread touches it); a change is logged once.
    private var reachable = true
    private let headers: HTTPHeaders

    init(peerID: NodeID, transport: PeerTransport) {
        self.peerID = peerID
        self.transport = transport
        var headers = HTTPHeaders([
            ("Content-Type", "application/octet-stream"),
            (PeerTransportBatch.secretHeader, transport.secretHex),
            (PeerTransportBatch.nodeIDHeader, String(transport.selfID)),
            (PeerTransportBatch.addressHeader, transport.selfAddress.description),
        ])
        headers.add(name: "Connection", value: "keep-alive")
        self.headers = headers
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "peer-\(peerID)"
        thread.start()
    }

    func stop() {
        condition.lock()
        running = false
        condition.signal()
        condition.unlock()
    }

    // MARK: - The replica thread's side

    /// Sends encoded messages: written at once when the connection is idle and the socket takes
    /// them, else queued for the thread (dropping the oldest when the queue is full).
    func enqueue(_ messages: [[UInt8]]) {
        guard !messages.isEmpty else { return }
        condition.lock()
        defer { condition.unlock() }
        if queue.count == queueHead, trySendDirectly(messages) { return }
        for encoded in messages {
            if queue.count - queueHead >= PeerTransport.maximumQueuedMessages {
                queueHead += 1
                transport.metrics.peerMessagesDropped(1)
            }
            queue.append(encoded)
        }
        condition.signal()
    }

    /// The fast path, under the lock: true when the batch left (fully written, or its tail
    /// handed to the thread). Never blocks.
    private func trySendDirectly(_ messages: [[UInt8]]) -> Bool {
        guard running, !busy, !needsThread, let pipeline, pipeline.isConnected, !pipeline.hasUnsentBytes,
              let address = transport.address(of: peerID), address.host == pipeline.host, address.port == pipeline.port
        else { return false }
        var body: [UInt8] = []
        for encoded in messages { PeerTransportBatch.append(encoded, to: &body) }
        guard body.count <= PeerTransportBatch.maximumBatchBytes else { return false }
        do {
            if try !collectedAllDelivered(pipeline.collect(waiting: false)) {
                needsThread = true
                condition.signal()
            }
            // The peer has not answered an earlier batch: under load the thread sends (and
            // coalesces) off the replica thread; directly only on an idle connection.
            guard pipeline.outstanding == 0 else { return false }
            if try !pipeline.sendWithoutBlocking(request(body)) {
                needsThread = true
                condition.signal()
            }
            transport.metrics.peerBatchSent()
            return true
        } catch {
            // The connection is closed; the thread reconnects and sends the batch.
            needsThread = true
            return false
        }
    }

    /// Counts refused batches; false when any response was not a 204.
    private func collectedAllDelivered(_ statuses: [Int]) -> Bool {
        let refused = statuses.filter { $0 != 204 }
        for _ in refused { transport.metrics.peerSendFailed() }
        lastRefusal = refused.last ?? lastRefusal
        return refused.isEmpty
    }

    /// The status of the latest refused batch (guarded by `condition`).
    private var lastRefusal: Int?

    private func request(_ body: [UInt8]) -> HTTPClientRequest {
        HTTPClientRequest(method: "POST", target: PeerTransportBatch.path, headers: headers, body: body)
    }

    // MARK: - The thread's side

    /// What the thread does next.
    private enum Work {
        case stop
        /// Nothing queued: only catch up (write unsent bytes, read responses, reconnect).
        case catchUp
        /// Send what is queued (when nothing is, an empty batch announcing this node).
        case send(announce: Bool)
    }

    /// Waits for work, then marks the connection busy and hands out a pipeline to the peer's address.
    private func nextWork() -> (Work, HTTPPipeline?) {
        condition.lock()
        defer { condition.unlock() }
        var announce = false
        if running && queue.count == queueHead && !needsThread {
            announce = !condition.wait(until: Date().addingTimeInterval(Self.announceIntervalSeconds))
        }
        guard running else { return (.stop, nil) }
        guard let address = transport.address(of: peerID) else {
            transport.metrics.peerMessagesDropped(queue.count - queueHead)
            queue.removeAll()
            queueHead = 0
            needsThread = false
            return (.catchUp, nil)
        }
        if let current = pipeline, current.host != address.host || current.port != address.port {
            current.close()
            pipeline = nil
        }
        let connection = pipeline ?? HTTPPipeline(client: transport.client, host: address.host, port: address.port)
        pipeline = connection
        busy = true
        needsThread = false
        return (queue.count == queueHead && !announce ? .catchUp : .send(announce: announce), connection)
    }

    /// Everything queued (up to the batch bound) as one body, under the lock.
    private func takeBatch() -> [UInt8] {
        condition.lock()
        defer { condition.unlock() }
        var body: [UInt8] = []
        while queueHead < queue.count {
            let next = queue[queueHead]
            if !body.isEmpty && body.count + next.count + 4 > PeerTransportBatch.maximumBatchBytes { break }
            PeerTransportBatch.append(next, to: &body)
            queueHead += 1
        }
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: queue.capacity <= 1_024)
            queueHead = 0
        } else if queueHead >= Self.compactionThreshold {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return body
    }

    private func run() {
        var backoff = Self.initialBackoffSeconds
        while true {
            let (work, connection) = nextWork()
            if case .stop = work { break }
            guard let connection else { continue }
            let failure = carryOut(work, on: connection)
            condition.lock()
            busy = false
            let refusal = lastRefusal
            lastRefusal = nil
            if queue.count > queueHead || connection.hasUnsentBytes { needsThread = true }
            condition.unlock()
            let problem = failure ?? refusal.map { $0 == 401 ? "it refused this node's cluster secret (401)" : "it answered \($0)" }
            noteReachability(problem, address: "\(connection.host):\(connection.port)")
            if problem == nil {
                backoff = Self.initialBackoffSeconds
            } else {
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, Self.maximumBackoffSeconds)
            }
        }
        condition.lock()
        pipeline?.close()
        condition.unlock()
    }

    /// Blocking work on the connection (outside the lock, `busy` set); nil when it went well.
    /// Before sending it waits until fewer than `maximumUnansweredBatches` are unanswered, and
    /// only then takes the queue: what arrived meanwhile leaves in the same batch.
    private func carryOut(_ work: Work, on connection: HTTPPipeline) -> String? {
        do {
            try connection.connect()
            try connection.flush()
            var statuses = try connection.collect(waiting: false)
            if case .send(let announce) = work {
                while connection.outstanding >= Self.maximumUnansweredBatches {
                    statuses += try connection.collect(waiting: true)
                }
                let body = takeBatch()
                if !body.isEmpty || announce {
                    try connection.sendWithoutBlocking(request(body))
                    try connection.flush()
                    transport.metrics.peerBatchSent()
                }
            }
            condition.lock()
            _ = collectedAllDelivered(statuses)
            condition.unlock()
            return nil
        } catch {
            transport.metrics.peerSendFailed()
            return "\(error)"
        }
    }

    /// Logs when the peer becomes unreachable (with why) and when it is back, not every failure.
    private func noteReachability(_ failure: String?, address: String) {
        if let failure, reachable {
            NodeRuntimeLog.event(transport.selfID, "peer \(peerID) at \(address) unreachable: \(failure)")
        } else if failure == nil && !reachable {
            NodeRuntimeLog.event(transport.selfID, "peer \(peerID) at \(address) reachable again")
        }
        reachable = failure == nil
    }
}
