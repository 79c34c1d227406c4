import Foundation
import HTTP
import Raft
import Synchronization

// MARK: - One peer's sender thread

/// Drains one peer's bounded queue on its own thread: everything queued goes out in one POST,
/// keep-alive. When idle it announces itself every `announceInterval` with an empty batch, so
/// the peer learns this node's address (how nodes added at run time become known everywhere).
final class PeerSender: @unchecked Sendable {
    /// An idle sender posts an empty batch this often.
    static let announceIntervalSeconds = 1.0
    /// The first pause after a failed request; doubles up to `maximumBackoffSeconds`.
    static let initialBackoffSeconds = 0.005
    /// The longest pause between attempts to an unreachable peer: well under the 100 ms election
    /// timeout, so a peer that comes back hears the leader's heartbeats before it campaigns.
    static let maximumBackoffSeconds = 0.04
    /// Sent messages left at the queue's front before they are removed in one move.
    static let compactionThreshold = 1_024

    let peerID: NodeID
    private unowned let transport: PeerTransport
    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    private var queueHead = 0
    private var running = true
    /// Whether the last request reached the peer (only the sender thread touches it); a change is logged once.
    private var reachable = true

    init(peerID: NodeID, transport: PeerTransport) {
        self.peerID = peerID
        self.transport = transport
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

    /// Queues one encoded message, dropping the oldest when the queue is full.
    func enqueue(_ encoded: [UInt8]) {
        condition.lock()
        if queue.count - queueHead >= PeerTransport.maximumQueuedMessages {
            queueHead += 1
            transport.metrics.peerMessagesDropped(1)
        }
        queue.append(encoded)
        condition.signal()
        condition.unlock()
    }

    /// The next body to send (nil: stop), waiting up to the announce interval for messages.
    private func nextBatch() -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        if running && queue.count == queueHead {
            _ = condition.wait(until: Date().addingTimeInterval(Self.announceIntervalSeconds))
        }
        guard running else { return nil }
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
        while let body = nextBatch() {
            guard let address = transport.address(of: peerID) else { continue }
            let failure = post(body, to: address)
            noteReachability(failure, address: address)
            if failure == nil {
                backoff = Self.initialBackoffSeconds
            } else {
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, Self.maximumBackoffSeconds)
            }
        }
    }

    /// Logs when the peer becomes unreachable (with why) and when it is back, not every failure.
    private func noteReachability(_ failure: String?, address: PeerAddress) {
        if let failure, reachable {
            NodeRuntimeLog.event(transport.selfID, "peer \(peerID) at \(address) unreachable: \(failure)")
        } else if failure == nil && !reachable {
            NodeRuntimeLog.event(transport.selfID, "peer \(peerID) at \(address) reachable again")
        }
        reachable = failure == nil
    }

    /// One request; nil when the peer took the batch, else why not.
    private func post(_ body: [UInt8], to address: PeerAddress) -> String? {
        var headers = HTTPHeaders([
            ("Content-Type", "application/octet-stream"),
            (PeerTransportBatch.secretHeader, transport.secretHex),
            (PeerTransportBatch.nodeIDHeader, String(transport.selfID)),
            (PeerTransportBatch.addressHeader, transport.selfAddress.description),
        ])
        headers.add(name: "Connection", value: "keep-alive")
        let request = HTTPClientRequest(method: "POST", target: PeerTransportBatch.path, headers: headers, body: body)
        do {
            let response = try transport.client.send(request, host: address.host, port: address.port)
            guard response.status == 204 else {
                transport.metrics.peerSendFailed()
                return response.status == 401 ? "it refused this node's cluster secret (401)" : "it answered \(response.status)"
            }
            transport.metrics.peerBatchSent()
            return nil
        } catch {
            transport.metrics.peerSendFailed()
            return "\(error)"
        }
    }
}
