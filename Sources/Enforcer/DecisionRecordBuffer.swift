import Governance

// MARK: - Decision records waiting to be shipped

/// The bounded buffer of decision records the enforcer ships to `POST /v1/audit/decisions`.
/// A batch, once cut, is retried with the same `batch_seq` until acknowledged, so the cluster
/// applies it once. When full, `record` refuses (the caller fails closed) unless the policy is
/// `.dropNewest`, which drops and counts. Pure: no clock, no I/O.
public struct DecisionRecordBuffer: Sendable {
    /// What to do with a record when the buffer is full.
    public enum FullPolicy: String, Sendable {
        /// Refuse the record: the check is denied rather than left unaudited (the default).
        case failClosed = "fail-closed"
        /// Drop the record and count it (`droppedRecords`).
        case dropNewest = "drop"
    }

    /// One batch as shipped.
    public struct Batch: Sendable, Equatable {
        /// The sequence number the cluster dedupes on.
        public var batchSeq: UInt64
        /// The records.
        public var records: [DecisionRecord]
    }

    /// Records held at most (buffered plus in flight).
    public let capacity: Int
    /// Records per batch at most (the cluster's per-batch bound).
    public let batchRecords: Int
    /// The policy when full.
    public let fullPolicy: FullPolicy
    /// Records dropped under `.dropNewest`.
    public private(set) var droppedRecords = 0
    /// The batch cut but not yet acknowledged.
    public private(set) var inFlight: Batch?
    private var waiting: [DecisionRecord] = []
    private var nextBatchSeq: UInt64

    /// An empty buffer whose first batch is numbered `firstBatchSeq` (use a value above any the
    /// cluster saw from this enforcer id, e.g. the start time in milliseconds).
    public init(capacity: Int, batchRecords: Int = GovernanceLimits.maximumDecisionsPerBatch, fullPolicy: FullPolicy, firstBatchSeq: UInt64) {
        precondition(capacity > 0 && batchRecords > 0 && firstBatchSeq > 0)
        self.capacity = capacity
        self.batchRecords = min(batchRecords, GovernanceLimits.maximumDecisionsPerBatch)
        self.fullPolicy = fullPolicy
        self.nextBatchSeq = firstBatchSeq
    }

    /// Records held (waiting and in flight).
    public var count: Int { waiting.count + (inFlight?.records.count ?? 0) }

    /// Whether a new record would not fit.
    public var isFull: Bool { count >= capacity }

    /// Adds a record; false when it was not kept (full: fail closed, or dropped under `.dropNewest`).
    public mutating func record(_ record: DecisionRecord) -> Bool {
        guard !isFull else {
            if fullPolicy == .dropNewest { droppedRecords += 1 }
            return false
        }
        waiting.append(record)
        return true
    }

    /// The batch to send now: the one in flight again (a retry, same `batch_seq`), else a new
    /// one cut from the waiting records; nil when there is nothing to send.
    public mutating func nextBatch() -> Batch? {
        if let inFlight { return inFlight }
        guard !waiting.isEmpty else { return nil }
        let take = min(batchRecords, waiting.count)
        let batch = Batch(batchSeq: nextBatchSeq, records: Array(waiting.prefix(take)))
        waiting.removeFirst(take)
        nextBatchSeq += 1
        inFlight = batch
        return batch
    }

    /// The cluster applied (or already had) batch `batchSeq`: its records leave the buffer.
    public mutating func acknowledge(batchSeq: UInt64) {
        guard inFlight?.batchSeq == batchSeq else { return }
        inFlight = nil
    }
}
