import Foundation
import Governance
import HTTP
import Raft

// MARK: - One backfill job: plan, outcome, and the pass over the peers

/// A peer the missing records may be copied from.
struct AuditBackfillPeer: Sendable, Equatable {
    /// Its node id.
    var id: NodeID
    /// Where it serves `AuditBackfillWire.path`.
    var address: PeerAddress
}

/// What the replica thread hands a job: where the store's chain ends, the trusted head the copied
/// run must end at, and whom to ask (the leader first).
struct AuditBackfillPlan: Sendable, Equatable {
    /// This node's stored audit head.
    var start: AuditHead
    /// The replica's in-memory audit head when the job began.
    var anchor: AuditHead
    /// Peers in the order to try.
    var peers: [AuditBackfillPeer]
}

/// How a job ended.
enum AuditBackfillOutcome: Sendable, Equatable {
    /// Verified records were stored through this seq (at least through the anchor).
    case stored(through: UInt64)
    /// Every peer answered, and none holds records up to the anchor (they caught up from a
    /// snapshot too, or are behind): the best of them holds up to `bestPeerHead`.
    case unavailable(bestPeerHead: UInt64)
    /// No peer gave a verifiable run within the job's rounds; `storedAny` when part of the range
    /// was stored before the failure (a new job continues from there).
    case failed(problem: String, storedAny: Bool)
    /// The node is shutting down.
    case stopped
}

/// Where a job gets pages from (HTTP in production, a table in tests).
protocol AuditBackfillSource {
    /// The records after `after` (at most `limit`) as `peer` holds them, or why there are none.
    func fetch(after: UInt64, limit: Int, from peer: AuditBackfillPeer) -> Result<AuditBackfillPage, AuditBackfillRefusal>
}

/// Where a job hands verified chunks (the replica thread in production).
protocol AuditBackfillSink {
    /// Stores what of `chunk` may be stored now; how many records were, nil when the chunk no
    /// longer fits the store (the job must end).
    func store(_ chunk: AuditBackfillChunk) -> Int?
}

/// The pass over the peers, pure apart from its source, sink and sleep: each peer is scanned
/// from the store's head to the anchor (`AuditBackfillScan`), and only a complete, anchored scan
/// is stored, segment by segment (segments not kept in memory are fetched again and must match).
struct AuditBackfillRunner {
    /// Full passes over the peers before the job gives up (the replica thread retries later).
    static let maximumRounds = 3
    /// The pause after the first pass in which no peer delivered, doubled after each.
    static let initialBackoffSeconds = 0.2
    /// Encoded bytes of verified records kept in memory per scan (decoded they take a few times
    /// more); past it, segments keep only their ends and are fetched a second time.
    static let defaultRetainedBytesLimit = 16 << 20
    /// A peer whose store ends just before the anchor may only be a moment behind (it applied
    /// the entries but has not saved their records yet): it is asked again after this pause ...
    static let behindPauseSeconds = 0.02
    /// ... as long as its head moves, at most this many times; a peer whose head stands still
    /// (it caught up from a snapshot too) is passed over after one more ask.
    static let maximumBehindAsks = 25

    let plan: AuditBackfillPlan
    let source: any AuditBackfillSource
    let sink: any AuditBackfillSink
    /// Whether to stop now (shutdown).
    let shouldStop: () -> Bool
    /// Pauses between rounds.
    let sleep: (Double) -> Void
    /// Logs one line.
    let log: (String) -> Void
    /// Encoded bytes of verified records a scan keeps in memory.
    var retainedBytesLimit = Self.defaultRetainedBytesLimit

    /// What one peer did.
    private enum Attempt {
        case stored(through: UInt64)
        case lacksRange(peerStoredHead: UInt64)
        case failed(String)
        case abandoned(String)
        case stopped
    }

    /// Tries the peers in order, for at most `maximumRounds` passes.
    func run() -> AuditBackfillOutcome {
        var backoff = Self.initialBackoffSeconds
        var lastProblem = "no peer to copy from"
        for round in 0..<Self.maximumRounds {
            var lacking = 0
            var bestPeerHead: UInt64 = 0
            for peer in plan.peers {
                switch attempt(peer) {
                case .stored(let through): return .stored(through: through)
                case .lacksRange(let head):
                    lacking += 1
                    bestPeerHead = max(bestPeerHead, head)
                case .failed(let problem):
                    lastProblem = "peer \(peer.id): \(problem)"
                    log("audit backfill: \(lastProblem)")
                case .abandoned(let problem): return .failed(problem: "peer \(peer.id): \(problem)", storedAny: true)
                case .stopped: return .stopped
                }
            }
            if lacking == plan.peers.count { return .unavailable(bestPeerHead: bestPeerHead) }
            if round + 1 < Self.maximumRounds {
                sleep(backoff)
                backoff *= 2
            }
        }
        return .failed(problem: lastProblem, storedAny: false)
    }

    /// Scans `peer` to the anchor, then stores the verified segments.
    private func attempt(_ peer: AuditBackfillPeer) -> Attempt {
        var scan = AuditBackfillScan(start: plan.start, anchor: plan.anchor, retainedBytesLimit: retainedBytesLimit)
        var after = plan.start.seq
        var behindAsks = 0
        var behindHead: UInt64?
        while !scan.isComplete {
            if shouldStop() { return .stopped }
            let page: AuditBackfillPage
            switch source.fetch(after: after, limit: AuditBackfillWire.maximumPageRecords, from: peer) {
            case .success(let fetched): page = fetched
            case .failure(let refusal): return .failed(refusal.description)
            }
            switch scan.accept(page) {
            case .needMore(let next): after = next
            case .complete: break
            case .peerLacksRange(let head):
                guard behindAsks < Self.maximumBehindAsks, head > behindHead ?? plan.start.seq else {
                    return .lacksRange(peerStoredHead: head)
                }
                behindAsks += 1
                behindHead = head
                sleep(Self.behindPauseSeconds)
            case .refused(let refusal): return .failed(refusal.description)
            }
        }
        return store(scan, from: peer)
    }

    /// A segment's records fetched again, in as many pages as the peer answers with (it may cap
    /// a page below the limit), then checked against the segment's verified ends.
    private func refetch(_ segment: AuditBackfillSegment, from peer: AuditBackfillPeer) -> Result<[Governance.AuditRecord], AuditBackfillRefusal> {
        var records: [Governance.AuditRecord] = []
        var peerStoredHead: UInt64 = 0
        var after = segment.from.seq
        while after < segment.to.seq && !shouldStop() {
            let page: AuditBackfillPage
            switch source.fetch(after: after, limit: Int(segment.to.seq - after), from: peer) {
            case .success(let fetched): page = fetched
            case .failure(let refusal): return .failure(refusal)
            }
            // A page that does not move forward ends the loop; the check below refuses the result.
            guard let last = page.records.last, last.seq > after else { break }
            records += page.records
            peerStoredHead = page.peerStoredHead
            after = last.seq
        }
        return segment.verifyRefetched(AuditBackfillPage(records: records, peerStoredHead: peerStoredHead))
    }

    /// Hands the segments to the sink in order; the last one carries the verified tail.
    private func store(_ scan: AuditBackfillScan, from peer: AuditBackfillPeer) -> Attempt {
        var storedAny = false
        func failure(_ problem: String) -> Attempt { storedAny ? .abandoned(problem) : .failed(problem) }
        for (position, segment) in scan.segments.enumerated() {
            if shouldStop() { return .stopped }
            let records: [Governance.AuditRecord]
            if let kept = segment.records {
                records = kept
            } else {
                switch refetch(segment, from: peer) {
                case .success(let fetched): records = fetched
                case .failure(let refusal): return failure("fetching records after \(segment.from.seq) again: \(refusal)")
                }
            }
            let isLast = position == scan.segments.count - 1
            let chunk = AuditBackfillChunk(records: isLast ? records + scan.tail : records, anchoredThrough: segment.to.seq)
            guard let count = sink.store(chunk), count >= records.count else {
                return failure("the store no longer continues at \(segment.from.seq)")
            }
            storedAny = true
            if isLast { return .stored(through: chunk.records[count - 1].seq) }
        }
        preconditionFailure("a complete scan has at least one segment")
    }
}
