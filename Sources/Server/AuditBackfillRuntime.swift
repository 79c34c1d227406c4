import Foundation
import Governance
import HTTP
import JSON
import Raft
import Replica
import Storage

// MARK: - Audit backfill on the replica thread, and the peer endpoint

extension NodeRuntime {
    /// Gauge: audit records the replica holds the head of but the store lacks.
    static let auditMissingRecordsName = "warden_audit_missing_records"
    /// Gauge: 1 while no peer holds the missing audit records.
    static let auditBackfillUnavailableName = "warden_audit_backfill_unavailable"
    /// Counter: audit records copied from peers and stored.
    static let auditBackfilledRecordsName = "warden_audit_backfilled_records_total"

    /// Every tick: when the replica reports an audit gap and no job runs, starts one (after the
    /// retry pause when the last one stored nothing); when the gap is gone, says so once.
    func advanceAuditBackfill() {
        let backfill = auditBackfill
        if !backfill.metricsDeclared { declareAuditBackfillMetrics() }
        guard backfill.job == nil, !backfill.isStopped else { return }
        guard let gap = replica.auditGap else {
            if backfill.state != .idle {
                backfill.state = .idle
                backfill.consecutiveFailures = 0
                NodeRuntimeLog.event(configuration.nodeID, "audit gap closed: the store holds the chain through \(store.auditHeadSeq)")
                updateAuditBackfillMetrics()
            }
            return
        }
        guard tickCount >= backfill.nextAttemptTick else { return }
        let start: AuditHead
        do {
            start = try storedAuditHead()
        } catch {
            return auditBackfillFailed("reading the stored audit head failed: \(error)")
        }
        guard start.seq + 1 == gap.lowerBound else {
            return auditBackfillFailed("the store's audit head \(start.seq) does not precede the replica's gap \(gap)")
        }
        let peers = auditBackfillPeers()
        guard !peers.isEmpty else { return auditBackfillFailed("no peer address is known") }
        let job = AuditBackfillJob(plan: AuditBackfillPlan(start: start, anchor: replica.governance.auditHead, peers: peers), runtime: self)
        if backfill.state != .copying {
            NodeRuntimeLog.event(configuration.nodeID, "audit gap \(gap.lowerBound)...\(gap.upperBound) (caught up from a snapshot): "
                                 + "copying it from peers \(peers.map { String($0.id) }.joined(separator: ","))")
        }
        backfill.state = .copying
        backfill.job = job
        updateAuditBackfillMetrics()
        job.start()
    }

    /// Handles an inbox event of the backfill.
    func handleAuditBackfill(_ event: AuditBackfillEvent) {
        switch event {
        case .serve(let after, let limit, let responder):
            responder.send(auditRangeResponse(after: after, limit: limit))
        case .store(let job, let chunk):
            job.acknowledge(job === auditBackfill.job ? storeBackfilled(chunk) : nil)
        case .finished(let job, let outcome):
            guard job === auditBackfill.job else { return }
            auditBackfill.job = nil
            finishAuditBackfill(outcome)
        }
    }

    /// `audit` in `/v1/cluster`: the store's and the replica's audit heads and the backfill state.
    func auditBackfillStatus() -> JSONValue {
        var status: [String: JSONValue] = [
            "stored_head": .integer(Int64(store.auditHeadSeq)),
            "head": .integer(Int64(replica.governance.auditHead.seq)),
            "backfill": .string(auditBackfill.state.name),
        ]
        switch auditBackfill.state {
        case .unavailable(let best): status["best_peer_head"] = .integer(Int64(best))
        case .failing(let problem): status["problem"] = .string(problem)
        case .idle, .copying: break
        }
        return .object(status)
    }

    // MARK: - Storing

    /// Stores what of `chunk` continues the store and is anchored, in one transaction, and tells
    /// the replica; how many records were stored, nil when the chunk does not continue the store.
    private func storeBackfilled(_ chunk: AuditBackfillChunk) -> Int? {
        guard let gap = replica.auditGap, let first = chunk.records.first, first.seq == gap.lowerBound,
              first.seq == store.auditHeadSeq + 1 else { return nil }
        let count = chunk.storableCount(head: replica.governance.auditHead)
        guard count > 0 else { return nil }
        let records = chunk.records.prefix(count).map { Storage.AuditRecord(seq: $0.seq, bytes: $0.encode()) }
        do {
            try store.save(PersistBatch(auditRecords: records))
        } catch .invalidBatch(let detail) {
            NodeRuntimeLog.event(configuration.nodeID, "audit backfill: the store refused a chunk: \(detail)")
            return nil
        } catch {
            NodeRuntimeLog.event(configuration.nodeID, "fatal: storage failed: \(error); exiting so the node restarts from disk")
            exit(1)
        }
        replica.auditRecordsBackfilled(through: records[count - 1].seq)
        metrics.registry.increment(Self.auditBackfilledRecordsName, by: Double(count))
        updateAuditBackfillMetrics()
        return count
    }

    private func finishAuditBackfill(_ outcome: AuditBackfillOutcome) {
        let backfill = auditBackfill
        switch outcome {
        case .stored:
            // The head may have moved on meanwhile: the next tick starts another job if so, and
            // `advanceAuditBackfill` logs once when the gap is closed.
            backfill.consecutiveFailures = 0
            backfill.nextAttemptTick = tickCount
        case .failed(let problem, storedAny: true):
            backfill.consecutiveFailures = 0
            backfill.nextAttemptTick = tickCount
            backfill.state = .failing(problem)
        case .failed(let problem, storedAny: false):
            auditBackfillFailed(problem)
        case .unavailable(let best):
            if backfill.state != .unavailable(bestPeerHead: best) {
                NodeRuntimeLog.event(configuration.nodeID, "audit backfill: no peer holds the records after \(store.auditHeadSeq) "
                                     + "(the best holds up to \(best)); retrying later")
            }
            scheduleAuditBackfillRetry()
            backfill.state = .unavailable(bestPeerHead: best)
        case .stopped:
            break
        }
        updateAuditBackfillMetrics()
    }

    private func auditBackfillFailed(_ problem: String) {
        if auditBackfill.state != .failing(problem) { NodeRuntimeLog.event(configuration.nodeID, "audit backfill failed: \(problem)") }
        auditBackfill.state = .failing(problem)
        scheduleAuditBackfillRetry()
        updateAuditBackfillMetrics()
    }

    private func scheduleAuditBackfillRetry() {
        let backfill = auditBackfill
        let shift = UInt64(min(backfill.consecutiveFailures, 6))
        backfill.consecutiveFailures += 1
        backfill.nextAttemptTick = tickCount + min(AuditBackfill.initialRetryTicks << shift, AuditBackfill.maximumRetryTicks)
    }

    /// The stored chain's last record as a head (genesis when the store holds none).
    private func storedAuditHead() throws -> AuditHead {
        guard let record = try store.auditHead() else { return .genesis }
        let decoded = try Governance.AuditRecord.decode(record.bytes)
        return AuditHead(seq: record.seq, hash: decoded.hash)
    }

    /// The other members with a known address, the leader first.
    private func auditBackfillPeers() -> [AuditBackfillPeer] {
        let leader = replica.leaderID
        let members = replica.raft.membership.members.filter { $0 != configuration.nodeID }
            .sorted { ($0 == leader ? 0 : 1, $0) < ($1 == leader ? 0 : 1, $1) }
        return members.compactMap { id in transport.address(of: id).map { AuditBackfillPeer(id: id, address: $0) } }
    }

    private func declareAuditBackfillMetrics() {
        auditBackfill.metricsDeclared = true
        metrics.registry.declare(Self.auditMissingRecordsName, .gauge, help: "Audit records this node's store lacks (caught up from a snapshot)")
        metrics.registry.declare(Self.auditBackfillUnavailableName, .gauge, help: "1 while no peer holds the audit records this node lacks")
        metrics.registry.declare(Self.auditBackfilledRecordsName, .counter, help: "Audit records copied from peers and stored")
        updateAuditBackfillMetrics()
    }

    private func updateAuditBackfillMetrics() {
        let missing = replica.auditGap.map { $0.upperBound - $0.lowerBound + 1 } ?? 0
        metrics.registry.set(Self.auditMissingRecordsName, to: Double(missing))
        let unavailable = if case .unavailable = auditBackfill.state { 1.0 } else { 0.0 }
        metrics.registry.set(Self.auditBackfillUnavailableName, to: unavailable)
    }

    // MARK: - Serving peers

    /// `GET /internal/v1/audit` on an HTTP loop thread: the cluster secret, the query, then the
    /// read is queued for the replica thread (the store is read there only).
    func acceptAuditRangeRequest(_ request: HTTPRequest, _ responder: HTTPResponder) {
        guard request.method == "GET" else {
            return responder.send(Problem(status: 405, code: "method_not_allowed", detail: "GET only").response(headers: [("Allow", "GET")]))
        }
        guard transport.isClusterSecret(request.headers[PeerTransportBatch.secretHeader]) else {
            return responder.send(Problem.unauthenticated("peer requests need the cluster secret").response())
        }
        guard let (after, limit) = AuditBackfillWire.parseQuery(request.query) else {
            return responder.send(Problem.invalid("query", "expected after=<seq>&limit=1..\(AuditBackfillWire.maximumPageRecords)").response())
        }
        if !enqueue(.auditBackfill(.serve(after: after, limit: limit, responder: responder))) {
            metrics.inboxRejected()
            responder.send(Problem(status: 503, code: "overloaded", detail: "the node is saturated; retry shortly").response(headers: [("Retry-After", "1")]))
        }
    }

    /// The stored records after `after` (records applied but still deferred are saved first): at most `limit` and `auditServeRecordsPerRequest`, and
    /// about `maximumPageBytes` (the asking node asks again for the rest).
    private func auditRangeResponse(after: UInt64, limit: Int) -> HTTPResponse {
        saveDeferred()
        var records: [Storage.AuditRecord] = []
        var bytes = 0
        let count = min(limit, Self.auditServeRecordsPerRequest)
        do {
            while records.count < count && bytes < AuditBackfillWire.maximumPageBytes {
                let cursor = records.last?.seq ?? after
                let slice = try store.auditRecords(afterSeq: cursor, limit: min(count - records.count, Self.auditServeSliceRecords))
                if slice.isEmpty { break }
                for record in slice where records.isEmpty || bytes < AuditBackfillWire.maximumPageBytes {
                    records.append(record)
                    bytes += record.bytes.count
                }
            }
        } catch {
            return Problem(status: 500, code: "storage_failed", detail: "reading the audit table failed: \(error)").response()
        }
        let headers = HTTPHeaders([("Content-Type", "application/octet-stream"), (AuditBackfillWire.headHeader, String(store.auditHeadSeq))])
        return HTTPResponse(status: 200, headers: headers, body: AuditBackfillWire.encode(records))
    }

    /// Records read from SQLite at once while serving, so large records stop a page early.
    static let auditServeSliceRecords = 50
    /// Records served per request at most: the read runs on the replica thread, and a cold read
    /// of a full 1 000-record page measured up to 245 ms on a loaded host (a leader that stalls
    /// that long loses its term); a quarter of it keeps one iteration's read short.
    static let auditServeRecordsPerRequest = 250
}
