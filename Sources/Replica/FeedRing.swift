import Authorization
import Governance

// MARK: - The applied-event stream

/// A bounded ring of recent feed events, for subscribers to resume from. Events with a revision
/// above `horizon` are all present; a resume point below it needs a reset (a fresh snapshot).
///
/// Bounded twice: at most `capacity` events and at most `byteCapacity` estimated bytes
/// (`FeedItem.estimatedBytes`); the oldest events go first, and an evicted slot is cleared at
/// once, so the memory held follows what the ring reports.
struct FeedRing {
    /// A circular buffer: the live events are `count` slots from `start`, wrapping around.
    private var slots: [FeedItem?] = []
    private var start = 0
    private(set) var count = 0
    let capacity: Int
    let byteCapacity: Int
    /// The estimated bytes of the events held.
    private(set) var byteCount = 0
    /// The highest revision whose events may be missing (evicted, or before the state restored from).
    private(set) var horizon: UInt64

    init(capacity: Int, byteCapacity: Int = .max, horizon: UInt64) {
        precondition(capacity > 0, "the feed ring needs room")
        precondition(byteCapacity > 0, "the feed ring needs bytes")
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        self.horizon = horizon
    }

    mutating func append(_ item: FeedItem) {
        let bytes = item.estimatedBytes
        while count > 0 && (count >= capacity || byteCount + bytes > byteCapacity) {
            evictOldest()
        }
        if count == slots.count { grow() }
        slots[(start + count) % slots.count] = item
        count += 1
        byteCount += bytes
    }

    /// Forgets everything: the state was replaced at `revision`.
    mutating func reset(horizon revision: UInt64) {
        slots = []
        start = 0
        count = 0
        byteCount = 0
        horizon = revision
    }

    func read(after revision: UInt64, limit: Int) -> FeedRead {
        guard revision >= horizon else { return .resetNeeded(horizon: horizon) }
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if item(at: middle).revision <= revision { low = middle + 1 } else { high = middle }
        }
        let end = min(count, low + max(0, limit))
        return .events((low..<end).map { item(at: $0) })
    }

    /// The event `position` places after the oldest one held.
    private func item(at position: Int) -> FeedItem { slots[(start + position) % slots.count]! }

    private mutating func evictOldest() {
        let oldest = slots[start]!
        horizon = max(horizon, oldest.revision)
        byteCount -= oldest.estimatedBytes
        slots[start] = nil
        start = (start + 1) % slots.count
        count -= 1
    }

    /// Doubles the buffer up to `capacity`, the live events moved to the front in order.
    private mutating func grow() {
        let size = min(capacity, max(16, slots.count * 2))
        var grown = [FeedItem?](repeating: nil, count: size)
        for position in 0..<count { grown[position] = slots[(start + position) % slots.count] }
        slots = grown
        start = 0
    }
}

// MARK: - Sizing feed events

extension FeedItem {
    /// An estimate of the memory one event holds: its inline size, plus for each string its
    /// UTF-8 bytes and a heap header (`stringBytes`), plus a flat allowance per dictionary
    /// entry and per conditional tuple. Cheap (string lengths are stored, not counted) and
    /// deterministic; it over-counts short strings (stored inline) and is meant for bounds only.
    /// A tuple of two ~30-byte ids estimates at about 250 bytes.
    var estimatedBytes: Int {
        MemoryLayout<FeedItem>.stride + event.estimatedHeapBytes
    }
}

extension FeedEvent {
    /// Per string: its UTF-8 bytes plus a heap allocation header.
    static func stringBytes(_ string: String) -> Int { 32 + string.utf8.count }
    /// Per dictionary entry (key, value, hash table slot).
    static let entryBytes = 64

    var estimatedHeapBytes: Int {
        let text = Self.stringBytes
        switch self {
        case .kill(let agentID, _, let reason, let initiator):
            return text(agentID) + text(reason) + text(initiator)
        case .reinstate(let agentID, _):
            return text(agentID)
        case .userKill(let userID, _), .userReinstate(let userID, _):
            return text(userID)
        case .tokenRevoked(let jti, _):
            return text(jti)
        case .agent(let agent):
            return text(agent.id) + text(agent.name) + text(agent.owner) + agent.scopes.reduce(0) { $0 + text($1) }
                + agent.attributes.count * Self.entryBytes + agent.secretHash.count
        case .agentDeleted(let id), .connectionDeleted(let id):
            return text(id)
        case .user(let user):
            return text(user.id) + user.attributes.count * Self.entryBytes
        case .connection(let connection):
            return text(connection.id) + text(connection.caller) + text(connection.callee)
                + connection.scopes.reduce(0) { $0 + text($1) }
        case .model(let modelID, let canonicalJSON):
            return text(modelID) + canonicalJSON.count
        case .tuples(let writes, let deletes):
            let written = writes.reduce(0) { total, tuple in
                total + MemoryLayout<RelationshipTuple>.stride + text(tuple.user) + text(tuple.relation) + text(tuple.object)
                    + (tuple.condition.map { text($0.name) + $0.context.count * Self.entryBytes } ?? 0)
            }
            let deleted = deletes.reduce(0) { total, key in
                total + MemoryLayout<TupleKey>.stride + text(key.user) + text(key.relation) + text(key.object)
            }
            return written + deleted
        case .settings:
            return 0
        case .signingKey(let key):
            return text(key.kid) + key.publicKey.count
        }
    }
}
