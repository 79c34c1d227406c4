import Dispatch
import Governance
import HTTP
import JSON
import Server

// MARK: - Acks and decision batches

extension EdgeEnforcer {
    /// Acks are repeated at least this often even without progress, so every node keeps
    /// counting this enforcer as live (it is live while heard within the lease).
    static let ackRefreshMilliseconds: Int64 = 150

    /// Sends acks when the applied revision moves (woken by the feed thread) or the refresh is
    /// due, and decision batches when records wait; never blocks the feed or the checks.
    func runShipper() {
        var lastAckMilliseconds: Int64 = 0
        while !isStopping {
            _ = wake.wait(timeout: .now() + .milliseconds(Self.shipperPeriodMilliseconds))
            let now = EdgeClock.monotonicMilliseconds()
            let (applied, acknowledged, fresh) = shared.withLock {
                ($0.state.appliedRevision, $0.acknowledgedRevision, $0.state.isFresh(nowMilliseconds: now))
            }
            if fresh, applied > acknowledged || now - lastAckMilliseconds >= Self.ackRefreshMilliseconds {
                lastAckMilliseconds = now
                acknowledge(applied)
            }
            shipDecisions()
        }
    }

    /// `POST /v1/enforcers/{id}/ack {revision}` to every node (the attached one first): acks
    /// are node-local, and a kill waiting for enforcers may be submitted to any node.
    private func acknowledge(_ revision: UInt64) {
        let connected = shared.withLock { $0.connectedTo }
        let body = JSONWriter().bytes(["revision": .integer(Int64(clamping: revision))])
        let nodes = (connected.map { [$0] } ?? []) + configuration.cluster.filter { $0 != connected }
        for (index, node) in nodes.enumerated() {
            let request = HTTPClientRequest(
                method: "POST", target: "/v1/enforcers/\(configuration.id)/ack", headers: jsonHeaders, body: body)
            let response = try? client.send(request, host: node.host, port: node.port)
            if index == 0, connected != nil, response?.status == 200 {
                shared.withLock { $0.acknowledgedRevision = max($0.acknowledgedRevision, revision) }
            }
        }
    }

    /// Ships the pending batch (or cuts one) to the attached node; a batch is retried with the
    /// same `batch_seq` until a node answers 200, so the cluster applies it once.
    private func shipDecisions() {
        guard let (batch, node) = shared.withLock({ shared -> (DecisionRecordBuffer.Batch, NodeAddress)? in
            guard let node = shared.connectedTo, let batch = shared.records.nextBatch() else { return nil }
            return (batch, node)
        }) else { return }
        let body: JSONValue = [
            "enforcer": .string(configuration.id), "batch_seq": .integer(Int64(clamping: batch.batchSeq)),
            "decisions": .array(batch.records.map(Self.render)),
        ]
        let request = HTTPClientRequest(method: "POST", target: "/v1/audit/decisions", headers: jsonHeaders, body: JSONWriter().bytes(body))
        guard let response = try? client.send(request, host: node.host, port: node.port) else { return }
        // 200: applied (or a retry of an applied batch). 400: the cluster refuses it for good —
        // dropping is the only way forward, and the refusal is in the node's audit log.
        if response.status == 200 || response.status == 400 {
            shared.withLock { $0.records.acknowledge(batchSeq: batch.batchSeq) }
        }
    }

    var jsonHeaders: HTTPHeaders {
        HTTPHeaders([("Content-Type", "application/json"), ("Authorization", "Bearer " + configuration.apiKey)])
    }

    /// One decision record as `POST /v1/audit/decisions` reads it.
    static func render(_ record: DecisionRecord) -> JSONValue {
        var members: [String: JSONValue] = [
            "decision_id": .string(record.decisionID), "agent": .string(record.agent), "action": .string(record.action),
            "resource": .string(record.resource), "allowed": .bool(record.allowed),
            "reasons": .array(record.reasons.map { .string($0) }), "revision": .integer(Int64(clamping: record.revision)),
            "time": .string(APITime.format(milliseconds: record.timeMilliseconds)),
        ]
        if let subject = record.subject { members["subject"] = .string(subject) }
        return .object(members)
    }
}
