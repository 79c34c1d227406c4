import Governance

// MARK: - This node's decision records, waiting to be batched

/// A bounded buffer of decision records; the replica proposes them as `DecisionBatch`es.
struct DecisionBuffer {
    let capacity: Int
    private(set) var records: [DecisionRecord] = []
    /// When the oldest buffered record arrived (clock milliseconds).
    private(set) var oldestMilliseconds: Int64 = 0
    /// Records refused because the buffer was full.
    private(set) var droppedCount = 0
    /// The batch proposed and not yet resolved, retried as is (same sequence) until it applies.
    var inFlight: DecisionBatch?
    /// The highest sequence number proposed by this incarnation.
    var lastProposedSeq: UInt64 = 0

    init(capacity: Int) {
        precondition(capacity > 0, "the decision buffer needs room")
        self.capacity = capacity
    }

    mutating func append(_ record: DecisionRecord, now: Int64) -> Bool {
        guard records.count < capacity else {
            droppedCount += 1
            return false
        }
        if records.isEmpty { oldestMilliseconds = now }
        records.append(record)
        return true
    }

    mutating func take(_ count: Int, now: Int64) -> [DecisionRecord] {
        let taken = Array(records.prefix(count))
        records.removeFirst(taken.count)
        if !records.isEmpty { oldestMilliseconds = now }
        return taken
    }
}
