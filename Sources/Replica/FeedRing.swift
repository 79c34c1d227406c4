// MARK: - The applied-event stream

/// A bounded ring of recent feed events, for subscribers to resume from. Events with a revision
/// above `horizon` are all present; a resume point below it needs a reset (a fresh snapshot).
struct FeedRing {
    private var items: [FeedItem] = []
    private var head = 0
    let capacity: Int
    /// The highest revision whose events may be missing (evicted, or before the state restored from).
    private(set) var horizon: UInt64

    init(capacity: Int, horizon: UInt64) {
        precondition(capacity > 0, "the feed ring needs room")
        self.capacity = capacity
        self.horizon = horizon
    }

    var count: Int { items.count - head }

    mutating func append(_ item: FeedItem) {
        if count >= capacity {
            horizon = max(horizon, items[head].revision)
            head += 1
            if head >= capacity {
                items.removeFirst(head)
                head = 0
            }
        }
        items.append(item)
    }

    /// Forgets everything: the state was replaced at `revision`.
    mutating func reset(horizon revision: UInt64) {
        items.removeAll()
        head = 0
        horizon = revision
    }

    func read(after revision: UInt64, limit: Int) -> FeedRead {
        guard revision >= horizon else { return .resetNeeded(horizon: horizon) }
        var low = head
        var high = items.count
        while low < high {
            let middle = (low + high) / 2
            if items[middle].revision <= revision { low = middle + 1 } else { high = middle }
        }
        let end = min(items.count, low + max(0, limit))
        return .events(Array(items[low..<end]))
    }
}
