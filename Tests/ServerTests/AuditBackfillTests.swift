@testable import Governance
import Raft
@testable import Server
import Storage
import Testing

// MARK: - Fixtures

/// A valid chain of `count` records after `head`.
private func chain(_ count: Int, after head: AuditHead = .genesis, subject: String = "agent:bot") -> [Governance.AuditRecord] {
    var records: [Governance.AuditRecord] = []
    var previous = head
    for offset in 0..<count {
        let seq = head.seq + UInt64(offset) + 1
        var record = Governance.AuditRecord(
            seq: seq, revision: seq + 100, timeMilliseconds: 1_700_000_000_000 + Int64(seq), type: "register_agent",
            actor: "system", subject: subject, detail: ["n": String(seq)], chain: nil, prevHash: previous.hash, hash: [])
        record.hash = record.computeHash()
        records.append(record)
        previous = AuditHead(seq: seq, hash: record.hash)
    }
    return records
}

private func head(of record: Governance.AuditRecord) -> AuditHead { AuditHead(seq: record.seq, hash: record.hash) }

/// Records `after` … through `count` of `records` (1-based seqs), as one page.
private func page(_ records: [Governance.AuditRecord], after: UInt64, count: Int, peerHead: UInt64? = nil) -> AuditBackfillPage {
    let slice = Array(records.dropFirst(Int(after)).prefix(count))
    return AuditBackfillPage(records: slice, peerStoredHead: peerHead ?? UInt64(records.count), byteCount: slice.count * 100)
}

/// A peer table: each peer serves a prefix of some chain, or is unreachable.
private struct TableSource: AuditBackfillSource {
    var chains: [NodeID: [Governance.AuditRecord]]
    /// Records a peer answers with at most, whatever the limit (a serving node may cap its pages).
    var cap = Int.max

    func fetch(after: UInt64, limit: Int, from peer: AuditBackfillPeer) -> Result<AuditBackfillPage, AuditBackfillRefusal> {
        guard let records = chains[peer.id] else { return .failure(AuditBackfillRefusal("unreachable")) }
        return .success(page(records, after: after, count: min(limit, cap)))
    }
}

/// One peer whose stored head grows by one step per page asked for (a peer a moment behind).
private final class GrowingSource: AuditBackfillSource {
    let records: [Governance.AuditRecord]
    var heads: [UInt64]

    init(records: [Governance.AuditRecord], heads: [UInt64]) {
        self.records = records
        self.heads = heads
    }

    func fetch(after: UInt64, limit: Int, from peer: AuditBackfillPeer) -> Result<AuditBackfillPage, AuditBackfillRefusal> {
        let head = heads.count > 1 ? heads.removeFirst() : heads[0]
        return .success(page(Array(records[..<Int(head)]), after: after, count: limit))
    }
}

/// A peer that answers honestly, then (from its `switchAfterCalls`th page on) from another chain:
/// the second pass over a segment sees different records than the first.
private final class SwitchingSource: AuditBackfillSource {
    let first: [Governance.AuditRecord]
    let then: [Governance.AuditRecord]
    let switchAfterCalls: Int
    var calls = 0

    init(first: [Governance.AuditRecord], then: [Governance.AuditRecord], switchAfterCalls: Int) {
        self.first = first
        self.then = then
        self.switchAfterCalls = switchAfterCalls
    }

    func fetch(after: UInt64, limit: Int, from peer: AuditBackfillPeer) -> Result<AuditBackfillPage, AuditBackfillRefusal> {
        calls += 1
        return .success(page(calls > switchAfterCalls ? then : first, after: after, count: min(limit, 100)))
    }
}

/// A store that accepts what continues it, as the replica thread does.
private final class RecordingSink: AuditBackfillSink {
    var stored: [Governance.AuditRecord] = []
    let head: AuditHead

    init(stored: [Governance.AuditRecord], head: AuditHead) {
        self.stored = stored
        self.head = head
    }

    func store(_ chunk: AuditBackfillChunk) -> Int? {
        guard chunk.records.first?.seq == UInt64(stored.count) + 1 else { return nil }
        let count = chunk.storableCount(head: head)
        stored += chunk.records.prefix(count)
        return count
    }
}

private func peers(_ ids: [NodeID]) -> [AuditBackfillPeer] {
    ids.map { AuditBackfillPeer(id: $0, address: PeerAddress(host: "127.0.0.1", port: 9_000 + Int($0))) }
}

// MARK: - The scan

@Suite("audit backfill verification")
struct AuditBackfillVerificationTests {
    let full = chain(60)

    @Test("a run that continues the stored head and ends at the anchor's hash completes, page by page, with the peer's extra records as tail")
    func verifiedRunCompletes() {
        var scan = AuditBackfillScan(start: head(of: full[9]), anchor: head(of: full[39]), retainedBytesLimit: 1 << 20)
        #expect(scan.accept(page(full, after: 10, count: 12)) == .needMore(after: 22))
        #expect(scan.accept(page(full, after: 22, count: 12)) == .needMore(after: 34))
        #expect(scan.accept(page(full, after: 34, count: 12)) == .complete)
        #expect(scan.isComplete)
        #expect(scan.segments.flatMap { $0.records ?? [] } == Array(full[10..<40]))
        #expect(scan.tail == Array(full[40..<46]))
        #expect(scan.segments.first?.from == head(of: full[9]) && scan.segments.last?.to == head(of: full[39]))
    }

    @Test("a record whose contents were changed (hash left alone) is refused")
    func forgedRecordIsRefused() {
        var forged = full
        forged[14].detail["n"] = "forged"
        var scan = AuditBackfillScan(start: head(of: full[9]), anchor: head(of: full[39]), retainedBytesLimit: 1 << 20)
        guard case .refused(let refusal) = scan.accept(page(forged, after: 10, count: 12)) else {
            Issue.record("a forged record was accepted")
            return
        }
        #expect(refusal.description.contains("record 15"))
        #expect(scan.segments.isEmpty)
    }

    @Test("a forged chain that is consistent in itself does not end at this node's head hash: refused, nothing kept")
    func forgedChainMissesTheAnchor() {
        let forged = Array(full[..<20]) + chain(40, after: head(of: full[19]), subject: "agent:someone-else")
        var scan = AuditBackfillScan(start: head(of: full[9]), anchor: head(of: full[39]), retainedBytesLimit: 1 << 20)
        #expect(scan.accept(page(forged, after: 10, count: 20)) == .needMore(after: 30))
        guard case .refused(let refusal) = scan.accept(page(forged, after: 30, count: 20)) else {
            Issue.record("a chain ending at another hash was accepted")
            return
        }
        #expect(refusal.description.contains("audit head hash"))
        #expect(!scan.isComplete)
    }

    @Test("a page that does not continue the store's own head is refused: a skipped seq, or another chain's hashes")
    func wrongStartIsRefused() {
        var skipped = AuditBackfillScan(start: head(of: full[9]), anchor: head(of: full[39]), retainedBytesLimit: 1 << 20)
        guard case .refused = skipped.accept(page(full, after: 11, count: 12)) else {
            Issue.record("a page starting at 12 after head 10 was accepted")
            return
        }
        let other = chain(60, subject: "agent:other-cluster")
        var foreign = AuditBackfillScan(start: head(of: full[9]), anchor: head(of: full[39]), retainedBytesLimit: 1 << 20)
        guard case .refused(let refusal) = foreign.accept(page(other, after: 10, count: 12)) else {
            Issue.record("a page of another chain was accepted")
            return
        }
        #expect(refusal.description.contains("prev_hash"))
    }

    @Test("a peer whose store ends before the anchor lacks the range; an empty page from a peer claiming more is refused")
    func shortPeers() {
        var scan = AuditBackfillScan(start: head(of: full[9]), anchor: head(of: full[39]), retainedBytesLimit: 1 << 20)
        #expect(scan.accept(page(Array(full[..<25]), after: 10, count: 12)) == .peerLacksRange(peerStoredHead: 25))
        #expect(scan.accept(page(Array(full[..<5]), after: 10, count: 12)) == .peerLacksRange(peerStoredHead: 5))
        guard case .refused = scan.accept(AuditBackfillPage(records: [], peerStoredHead: 60)) else {
            Issue.record("an empty page was taken although the peer claims records up to 60")
            return
        }
        guard case .refused = scan.accept(page(full, after: 10, count: 12, peerHead: 40).with(peerHead: 15)) else {
            Issue.record("records beyond the peer's own head were accepted")
            return
        }
    }

    @Test("past the memory budget only segment ends are kept; a page fetched again must match them exactly")
    func refetchedSegmentsMustMatch() throws {
        var scan = AuditBackfillScan(start: head(of: full[9]), anchor: head(of: full[39]), retainedBytesLimit: 1_500)
        #expect(scan.accept(page(full, after: 10, count: 10)) == .needMore(after: 20))
        #expect(scan.accept(page(full, after: 20, count: 10)) == .needMore(after: 30))
        #expect(scan.accept(page(full, after: 30, count: 10)) == .complete)
        #expect(scan.segments.map { $0.records == nil } == [false, true, false])
        let dropped = scan.segments[1]
        #expect(try dropped.verifyRefetched(page(full, after: 20, count: 10)).get() == Array(full[20..<30]))
        guard case .failure = dropped.verifyRefetched(page(full, after: 20, count: 9)) else {
            Issue.record("a short page was taken for a verified segment")
            return
        }
        var forged = full
        forged[24].detail["n"] = "forged"
        forged[24].hash = forged[24].computeHash()
        guard case .failure = dropped.verifyRefetched(page(forged, after: 20, count: 10)) else {
            Issue.record("a forged page was taken for a verified segment")
            return
        }
        let rechained = Array(full[..<20]) + chain(40, after: head(of: full[19]), subject: "agent:x")
        guard case .failure = dropped.verifyRefetched(page(rechained, after: 20, count: 10)) else {
            Issue.record("a consistent but different chain was taken for a verified segment")
            return
        }
    }

    @Test("a chunk is stored through the anchor, or through the replica's head when a tail record carries its hash; never beyond the head")
    func storableCount() {
        let chunk = AuditBackfillChunk(records: Array(full[10..<46]), anchoredThrough: 40)
        #expect(chunk.storableCount(head: head(of: full[39])) == 30)
        #expect(chunk.storableCount(head: head(of: full[43])) == 34)
        #expect(chunk.storableCount(head: AuditHead(seq: 44, hash: full[10].hash)) == 30)
        #expect(chunk.storableCount(head: head(of: full[55])) == 30)
        #expect(chunk.storableCount(head: head(of: full[20])) == 11)
        #expect(AuditBackfillChunk(records: [], anchoredThrough: 40).storableCount(head: head(of: full[39])) == 0)
    }
}

extension AuditBackfillPage {
    fileprivate func with(peerHead: UInt64) -> AuditBackfillPage {
        var copy = self
        copy.peerStoredHead = peerHead
        return copy
    }
}

// MARK: - The pass over the peers

@Suite("audit backfill runner")
struct AuditBackfillRunnerTests {
    let full = chain(3_500)

    private func run(_ source: TableSource, ids: [NodeID], stored: Int = 100, anchor: Int = 3_200, retainedBytes: Int? = nil,
                     sleeps: inout [Double]) -> (AuditBackfillOutcome, RecordingSink) {
        let sink = RecordingSink(stored: Array(full[..<stored]), head: head(of: full[anchor - 1]))
        let plan = AuditBackfillPlan(start: head(of: full[stored - 1]), anchor: head(of: full[anchor - 1]), peers: peers(ids))
        var pauses: [Double] = []
        var runner = AuditBackfillRunner(plan: plan, source: source, sink: sink, shouldStop: { false },
                                         sleep: { pauses.append($0) }, log: { _ in })
        if let retainedBytes { runner.retainedBytesLimit = retainedBytes }
        let outcome = runner.run()
        sleeps = pauses
        return (outcome, sink)
    }

    @Test("a peer that lacks the range and one that forges are passed over; the honest one's records are stored, in pages")
    func skipsBadPeers() {
        let forged = Array(full[..<1_500]) + chain(2_000, after: head(of: full[1_499]), subject: "agent:mallory")
        let source = TableSource(chains: [2: Array(full[..<150]), 3: forged, 1: full])
        var sleeps: [Double] = []
        let (outcome, sink) = run(source, ids: [2, 3, 1], sleeps: &sleeps)
        #expect(outcome == .stored(through: 3_200))
        #expect(sink.stored == Array(full[..<3_200]))
        #expect(sleeps == [AuditBackfillRunner.behindPauseSeconds])  // peer 2 is asked once more: its head stood still
    }

    @Test("a peer a moment behind the anchor is asked again while its head moves, and then serves the range")
    func peerMomentarilyBehind() {
        let source = GrowingSource(records: full, heads: [3_150, 3_180, 3_199, 3_500])
        let sink = RecordingSink(stored: Array(full[..<100]), head: head(of: full[3_199]))
        let plan = AuditBackfillPlan(start: head(of: full[99]), anchor: head(of: full[3_199]), peers: peers([1]))
        var pauses: [Double] = []
        let outcome = AuditBackfillRunner(plan: plan, source: source, sink: sink, shouldStop: { false },
                                          sleep: { pauses.append($0) }, log: { _ in }).run()
        #expect(outcome == .stored(through: 3_200))
        #expect(sink.stored == Array(full[..<3_200]))
        #expect(pauses == Array(repeating: AuditBackfillRunner.behindPauseSeconds, count: 3))
    }

    @Test("when every peer lacks the range the job says so at once instead of retrying")
    func unavailable() {
        let source = TableSource(chains: [2: Array(full[..<150]), 3: Array(full[..<90])])
        var sleeps: [Double] = []
        let (outcome, sink) = run(source, ids: [2, 3], sleeps: &sleeps)
        #expect(outcome == .unavailable(bestPeerHead: 150))
        #expect(sink.stored.count == 100)
        #expect(sleeps == [AuditBackfillRunner.behindPauseSeconds])  // no round backoff: one more ask of peer 2 only
    }

    @Test("unreachable peers are retried with growing pauses, a bounded number of rounds, then the job fails having stored nothing")
    func unreachable() {
        var sleeps: [Double] = []
        let (outcome, sink) = run(TableSource(chains: [:]), ids: [2, 3], sleeps: &sleeps)
        guard case .failed(_, storedAny: false) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(sink.stored.count == 100)
        #expect(sleeps.count == AuditBackfillRunner.maximumRounds - 1)
        #expect(sleeps == sleeps.sorted() && Set(sleeps).count == sleeps.count)
    }

    @Test("past the memory budget, segments are fetched again, in as many capped pages as the peer answers with, and must match")
    func refetchedInCappedPages() {
        var sleeps: [Double] = []
        let (outcome, sink) = run(TableSource(chains: [1: full], cap: 7), ids: [1], retainedBytes: 2_000, sleeps: &sleeps)
        #expect(outcome == .stored(through: 3_200))
        #expect(sink.stored == Array(full[..<3_200]))
        let swapped = Array(full[..<1_000]) + chain(2_500, after: head(of: full[999]), subject: "agent:late-forger")
        let honestThenForged = SwitchingSource(first: full, then: swapped, switchAfterCalls: 40)
        let sinkForged = RecordingSink(stored: Array(full[..<100]), head: head(of: full[3_199]))
        let plan = AuditBackfillPlan(start: head(of: full[99]), anchor: head(of: full[3_199]), peers: peers([1]))
        var runner = AuditBackfillRunner(plan: plan, source: honestThenForged, sink: sinkForged, shouldStop: { false },
                                         sleep: { _ in }, log: { _ in })
        runner.retainedBytesLimit = 2_000
        guard case .failed(_, storedAny: true) = runner.run() else {
            Issue.record("records that changed between the two passes were stored")
            return
        }
        #expect(sinkForged.stored == Array(full[..<sinkForged.stored.count]))
        #expect(sinkForged.stored.count < 3_200)
    }

    @Test("a peer ahead of this node: the run is stored through the replica's head, not past it")
    func peerAhead() {
        var sleeps: [Double] = []
        let (outcome, sink) = run(TableSource(chains: [1: full]), ids: [1], anchor: 3_150, sleeps: &sleeps)
        #expect(outcome == .stored(through: 3_150))
        #expect(sink.stored == Array(full[..<3_150]))
    }
}

// MARK: - The wire

@Suite("audit backfill wire")
struct AuditBackfillWireTests {
    @Test("a page round-trips; truncation, a missing head header or garbage is refused")
    func roundTrip() throws {
        let records = chain(5)
        let body = AuditBackfillWire.encode(records.map { Storage.AuditRecord(seq: $0.seq, bytes: $0.encode()) })
        let decoded = try #require(AuditBackfillWire.decode(body: body, headHeader: "9"))
        #expect(decoded.records == records && decoded.peerStoredHead == 9)
        #expect(AuditBackfillWire.decode(body: [], headHeader: "0")?.records == [])
        #expect(AuditBackfillWire.decode(body: Array(body.dropLast()), headHeader: "9") == nil)
        #expect(AuditBackfillWire.decode(body: body, headHeader: nil) == nil)
        #expect(AuditBackfillWire.decode(body: body, headHeader: "x") == nil)
        #expect(AuditBackfillWire.decode(body: [3, 0, 0, 0, 1, 2, 3], headHeader: "1") == nil)
    }

    @Test("the query needs after and a limit of 1 to 1000")
    func query() {
        #expect(AuditBackfillWire.parseQuery("after=10&limit=1000")! == (10, 1_000))
        #expect(AuditBackfillWire.parseQuery("after=0&limit=1")! == (0, 1))
        #expect(AuditBackfillWire.parseQuery("after=10&limit=1001") == nil)
        #expect(AuditBackfillWire.parseQuery("after=10&limit=0") == nil)
        #expect(AuditBackfillWire.parseQuery("limit=10") == nil)
        #expect(AuditBackfillWire.parseQuery("after=-1&limit=10") == nil)
        #expect(AuditBackfillWire.parseQuery(nil) == nil)
    }
}

// MARK: - Snapshot cadence keys

@Suite("snapshot cadence configuration")
struct SnapshotCadenceConfigurationTests {
    let base = ["id": "1", "cluster_id": "1", "listen": "127.0.0.1:1", "data": "/tmp", "peers": "1=127.0.0.1:1",
                "cluster_secret": String(repeating: "00", count: 16)]

    @Test("snapshot_interval_entries and compaction_margin_entries are optional, parsed, and refused out of range")
    func cadenceKeys() throws {
        let defaults = try NodeConfiguration(values: base)
        #expect(defaults.snapshotIntervalEntries == nil && defaults.compactionMarginEntries == nil)
        let text = "snapshot_interval_entries = 20\ncompaction_margin_entries = 5"
        let configured = try NodeConfiguration(values: base.merging(NodeConfiguration.parseLines(text)) { $1 })
        #expect(configured.snapshotIntervalEntries == 20 && configured.compactionMarginEntries == 5)
        #expect(configured != defaults)
        for bad in ["0", "-3", "many"] {
            #expect(throws: NodeConfigurationError.self) {
                try NodeConfiguration(values: base.merging(["snapshot_interval_entries": bad]) { $1 })
            }
        }
    }
}
