import Governance

// MARK: - Results of recently applied entries

/// The results of the last `capacity` applied entries, so that a forwarded write whose
/// `committed(revision)` answer arrives after this node applied that revision still gets the
/// result its own apply produced. Bounded: older results are forgotten, oldest first.
struct RecentResults {
    private var results: [UInt64: CommandResult] = [:]
    private var order: [UInt64] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "the recent-results ring needs room")
        self.capacity = capacity
    }

    mutating func remember(_ result: CommandResult, at revision: UInt64) {
        if order.count - head >= capacity {
            results[order[head]] = nil
            head += 1
            if head > capacity {
                order.removeFirst(head)
                head = 0
            }
        }
        order.append(revision)
        results[revision] = result
    }

    func result(at revision: UInt64) -> CommandResult? { results[revision] }

    mutating func removeAll() {
        results.removeAll()
        order.removeAll()
        head = 0
    }
}
