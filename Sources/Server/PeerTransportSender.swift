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
    static let initialBackoffSeconds = 0.01
    /// The longest pause between attempts to an unreachable peer.
    static let maximumBackoffSeconds = 0.2
    /// Sent messages left at the queue's front before they are removed in one move.
    static let compactionThreshold = 1_024

    let peerID: NodeID
    private unowned let transport: PeerTransport
    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    private var queueHead = 0
    private var running = true

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
            if post(body, to: address) {
                backoff = Self.initialBackoffSeconds
            } else {
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, Self.maximumBackoffSeconds)
            }
        }
    }

    /// One request; false when the peer could not be reached or refused it.
    private func post(_ body: [UInt8], to address: PeerAddress) -> Bool {
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
            transport.metrics.peerBatchSent()
            return response.status == 204
        } catch {
            transport.metrics.peerSendFailed()
            return false
        }
    }
}
