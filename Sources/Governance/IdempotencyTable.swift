// MARK: - Idempotency

/// Remembers the result of each write that carried an `Idempotency-Key`, so a retried write
/// returns the first result and applies once. Bounded: at most
/// `GovernanceLimits.idempotencyCapacity` keys (the oldest is evicted first), each kept for
/// `idempotencyRetentionMilliseconds` of entry-timestamp time. Rejections are remembered too:
/// the first result under a key is final, whatever it was. Otherwise a client told "rejected"
/// could later see a stale attempt with the same key apply (the chaos simulator found this: a
/// reinstate stuck on a paused node applied after its retry had been definitively rejected).
struct IdempotencyTable: Sendable {
    /// One remembered write.
    struct Entry: Sendable, Hashable {
        var result: CommandResult
        var revision: UInt64
        var timestampMilliseconds: Int64
    }

    private(set) var entries: [String: Entry] = [:]
    /// Keys in the order they were remembered, from `orderStart`; an element is stale when its
    /// key was since evicted or remembered again at another revision.
    private var order: [(key: String, revision: UInt64)] = []
    private var orderStart = 0

    var count: Int { entries.count }

    /// The first result for `key`, when it is remembered and not expired at `now`.
    func lookup(_ key: String, nowMilliseconds: Int64) -> Entry? {
        guard let entry = entries[key] else { return nil }
        return Self.isExpired(entry, nowMilliseconds: nowMilliseconds) ? nil : entry
    }

    static func isExpired(_ entry: Entry, nowMilliseconds: Int64) -> Bool {
        nowMilliseconds &- entry.timestampMilliseconds >= GovernanceLimits.idempotencyRetentionMilliseconds
    }

    /// Remembers `result`, evicting expired keys at the front and the oldest beyond capacity.
    mutating func remember(_ key: String, result: CommandResult, revision: UInt64, nowMilliseconds: Int64) {
        entries[key] = Entry(result: result, revision: revision, timestampMilliseconds: nowMilliseconds)
        order.append((key, revision))
        while orderStart < order.count {
            let (oldestKey, oldestRevision) = order[orderStart]
            guard let oldest = entries[oldestKey], oldest.revision == oldestRevision else {
                orderStart += 1
                continue
            }
            guard entries.count > GovernanceLimits.idempotencyCapacity
                || Self.isExpired(oldest, nowMilliseconds: nowMilliseconds)
            else { break }
            entries[oldestKey] = nil
            orderStart += 1
        }
        if orderStart > 1_024 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
        precondition(entries.count <= GovernanceLimits.idempotencyCapacity, "idempotency table over capacity")
    }

    /// Live entries in remembered order (snapshots).
    var liveEntriesInOrder: [(key: String, entry: Entry)] {
        var result: [(key: String, entry: Entry)] = []
        result.reserveCapacity(entries.count)
        for index in orderStart..<order.count {
            let (key, revision) = order[index]
            if let entry = entries[key], entry.revision == revision { result.append((key, entry)) }
        }
        return result
    }

    /// Rebuilds the table from `liveEntriesInOrder` (restore).
    init(restoring live: [(key: String, entry: Entry)]) {
        for (key, entry) in live {
            entries[key] = entry
            order.append((key, entry.revision))
        }
    }

    init() {}
}
