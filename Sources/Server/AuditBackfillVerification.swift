import Governance

// MARK: - Verifying audit records copied from a peer

/// One page of audit records a peer sent: the records (decoded, in order) and how far the peer's
/// own store reaches. A peer's store always holds a contiguous prefix `1...storedHead`.
struct AuditBackfillPage: Sendable, Equatable {
    /// The records after the requested seq, oldest first.
    var records: [AuditRecord]
    /// The seq of the last record the peer holds (its store's audit head).
    var peerStoredHead: UInt64
    /// The records' encoded size, for the scan's memory budget.
    var byteCount: Int = 0
}

/// A verified run of the missing range, from `from` (exclusive) to `to` (inclusive). Its records
/// are kept when they fit the scan's memory budget; otherwise only its ends are, and the records
/// are fetched again and checked against them (`verifyRefetched`).
struct AuditBackfillSegment: Sendable, Equatable {
    /// The head the segment continues (the previous segment's end, or the store's head).
    var from: AuditHead
    /// The head after its last record.
    var to: AuditHead
    /// Its records, or nil when they must be fetched again.
    var records: [AuditRecord]?

    /// Checks records fetched again for this segment: they must continue `from` and end exactly
    /// at `to` with `to`'s hash. Anything else (a forged, shifted, shorter or longer page) is refused.
    func verifyRefetched(_ page: AuditBackfillPage) -> Result<[AuditRecord], AuditBackfillRefusal> {
        let verification = AuditRecord.verifyChain(page.records, from: from)
        guard verification.ok else {
            return .failure(AuditBackfillRefusal("record \(verification.firstBrokenSeq ?? 0): \(verification.problem ?? "broken chain")"))
        }
        guard verification.head.seq == to.seq else {
            return .failure(AuditBackfillRefusal("the page ends at \(verification.head.seq), the verified run at \(to.seq)"))
        }
        guard verification.head.hash == to.hash else {
            return .failure(AuditBackfillRefusal("record \(to.seq) differs from the one verified before"))
        }
        return .success(page.records)
    }
}

/// Why records from a peer were refused.
struct AuditBackfillRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    var description: String

    init(_ description: String) { self.description = description }
}

/// The first pass over the missing range, fed page by page from one peer (pure: no I/O).
///
/// Every record must chain from this node's own stored head (`start`): consecutive seqs, each
/// `prevHash` the previous hash, each hash recomputed. The run must reach `anchor` — the audit head
/// this node's replica holds in memory, which came with the leader's snapshot — with exactly its
/// hash. Only then is anything trusted: a peer that forges records cannot make its chain end at
/// the anchor's hash. Records beyond the anchor (the peer is ahead) are kept as `tail`, verified
/// as a chain but not anchored; the replica thread may anchor them to its head at store time.
struct AuditBackfillScan: Sendable {
    /// What one page did to the scan.
    enum Step: Sendable, Equatable {
        /// Verified so far; ask for the records after this seq.
        case needMore(after: UInt64)
        /// The run reached the anchor with its hash: `segments` (and `tail`) are verified.
        case complete
        /// The peer's store ends before the anchor: it cannot serve the range.
        case peerLacksRange(peerStoredHead: UInt64)
        /// The page broke a rule: this peer's records are not to be used.
        case refused(AuditBackfillRefusal)
    }

    /// This node's stored audit head, where the missing range starts (exclusive).
    let start: AuditHead
    /// The in-memory audit head the run must end at.
    let anchor: AuditHead
    /// Bytes of records kept in memory at most; later segments keep only their ends.
    let retainedBytesLimit: Int
    /// The end of what is verified so far.
    private(set) var cursor: AuditHead
    /// The verified runs, in order, once `complete`.
    private(set) var segments: [AuditBackfillSegment] = []
    /// Verified records after the anchor, from the page that reached it.
    private(set) var tail: [AuditRecord] = []
    private var retainedBytes = 0
    private var completed = false

    /// A scan from `start` to `anchor` (`anchor.seq > start.seq`).
    init(start: AuditHead, anchor: AuditHead, retainedBytesLimit: Int) {
        precondition(anchor.seq > start.seq, "a backfill covers at least one record")
        self.start = start
        self.anchor = anchor
        self.retainedBytesLimit = retainedBytesLimit
        cursor = start
    }

    /// Whether the run reached the anchor.
    var isComplete: Bool { completed }

    /// Takes the next page (the records after `cursor.seq`).
    mutating func accept(_ page: AuditBackfillPage) -> Step {
        precondition(!completed, "a complete scan takes no more pages")
        if let last = page.records.last, last.seq > page.peerStoredHead {
            return .refused(AuditBackfillRefusal("record \(last.seq) is beyond the peer's own head \(page.peerStoredHead)"))
        }
        if page.peerStoredHead < anchor.seq { return .peerLacksRange(peerStoredHead: page.peerStoredHead) }
        guard !page.records.isEmpty else {
            return .refused(AuditBackfillRefusal("an empty page although the peer holds records up to \(page.peerStoredHead)"))
        }
        let verification = AuditRecord.verifyChain(page.records, from: cursor)
        guard verification.ok else {
            return .refused(AuditBackfillRefusal("record \(verification.firstBrokenSeq ?? 0): \(verification.problem ?? "broken chain")"))
        }
        let withinCount = Int(min(verification.head.seq, anchor.seq) - cursor.seq)
        let within = Array(page.records.prefix(withinCount))
        let end = AuditHead(seq: within.last!.seq, hash: within.last!.hash)
        if end.seq == anchor.seq && end.hash != anchor.hash {
            return .refused(AuditBackfillRefusal("record \(anchor.seq) does not end at this node's audit head hash: "
                                                 + "the chain is not the cluster's"))
        }
        let bytes = page.byteCount
        let keep = end.seq == anchor.seq || retainedBytes + bytes <= retainedBytesLimit
        if keep { retainedBytes += bytes }
        segments.append(AuditBackfillSegment(from: cursor, to: end, records: keep ? within : nil))
        cursor = end
        guard end.seq == anchor.seq else { return .needMore(after: end.seq) }
        tail = Array(page.records.dropFirst(withinCount))
        completed = true
        return .complete
    }
}

// MARK: - Storing: how far a verified run may go

/// A verified run handed to the replica thread to store: contiguous records from the store's head,
/// trusted through `anchoredThrough`, and possibly a verified but unanchored continuation.
struct AuditBackfillChunk: Sendable, Equatable {
    /// Contiguous, chain-verified records.
    var records: [AuditRecord]
    /// The last seq whose hash is tied to a trusted head (the anchor, through the first pass).
    var anchoredThrough: UInt64

    /// How many of `records` may be stored when the replica's in-memory head is `head`: through
    /// the anchor, or through `head` when a record there carries `head`'s hash (the chain after
    /// the anchor is verified, so a matching hash at the head ties it too). Never beyond `head`:
    /// the replica hands later records to `save` itself once the gap is closed.
    func storableCount(head: AuditHead) -> Int {
        guard let first = records.first else { return 0 }
        var through = anchoredThrough
        if head.seq > anchoredThrough, head.seq >= first.seq, head.seq - first.seq < UInt64(records.count),
           records[Int(head.seq - first.seq)].hash == head.hash {
            through = head.seq
        }
        through = min(through, head.seq)
        guard through >= first.seq else { return 0 }
        return min(records.count, Int(through - first.seq + 1))
    }
}
