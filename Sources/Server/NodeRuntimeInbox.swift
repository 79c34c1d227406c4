import Foundation
import HTTP
import Replica

// MARK: - The replica thread's inbox

/// One unit of work for the replica thread.
enum NodeInboxItem: Sendable {
    /// Messages from a peer, in the order they arrived.
    case peers([PeerMessage])
    /// A routed client request and where its answer goes.
    case request(APIOperation, HTTPRequest, HTTPResponder)
    /// A proxied request's answer came back (frees its slot).
    case proxyFinished
    /// Audit backfill work: a peer's range request, a verified chunk to store, a job's end.
    case auditBackfill(AuditBackfillEvent)
}

/// A bounded queue from the HTTP loop threads to the replica thread, with a wake-up.
final class NodeRuntimeInbox: @unchecked Sendable {
    /// Items waiting at most: beyond it requests get 503 and peer batches are dropped.
    static let maximumItems = 65_536

    private let condition = NSCondition()
    private var items: [NodeInboxItem] = []

    /// Queues `item` and wakes the replica thread; false when the inbox is full.
    func push(_ item: NodeInboxItem) -> Bool {
        condition.lock()
        guard items.count < Self.maximumItems else {
            condition.unlock()
            return false
        }
        items.append(item)
        let wake = items.count == 1
        condition.unlock()
        // Outside the lock, so the woken replica thread does not block on it at once.
        if wake { condition.signal() }
        return true
    }

    /// Wakes the replica thread without an item (shutdown).
    func wake() {
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    /// Everything queued, waiting until `deadline` (monotonic nanoseconds) when nothing is.
    func drain(waitingUntil deadline: UInt64) -> [NodeInboxItem] {
        condition.lock()
        defer { condition.unlock() }
        if items.isEmpty {
            let now = SystemClock.monotonicNanoseconds()
            if deadline > now {
                _ = condition.wait(until: Date().addingTimeInterval(Double(deadline - now) / 1e9))
            }
        }
        let drained = items
        items.removeAll(keepingCapacity: true)
        return drained
    }
}
