import Dispatch
import Governance
import HTTP
import JSON
import Server

// MARK: - Acks and decision batches

extension EdgeEnforcer {
    /// Acks are repeated at least this often even without progress, so every node keeps
    /// counting this enforcer as live (it is live while heard within the lease).
    static let ackRefreshMilliseconds: Int64 = 200

    /// Ships decision batches when records wait (woken by checks' progress or every period).
    func runShipper() {
        while !isStopping {
            _ = wake.wait(timeout: .now() + .milliseconds(Self.shipperPeriodMilliseconds))
            // A full batch shipped means more may wait: keep going (bounded) before sleeping again.
            var batches = 0
            while shipDecisions(), batches < Self.batchesPerWake { batches += 1 }
        }
    }

    /// Batches shipped back to back before the shipper sleeps again.
    static let batchesPerWake = 16

    /// One thread per node: `POST /v1/enforcers/{id}/ack {revision}` whenever the applied
    /// revision moves (woken by the feed thread) and at least every `ackRefreshMilliseconds`, so
    /// every node counts this enforcer as live. Acks are node-local and a kill waiting for
    /// enforcers may be submitted to any node; one slow node never delays the others' acks.
    func runAcknowledger(_ node: NodeAddress, wake: DispatchSemaphore) {
        var lastSentRevision: UInt64 = 0
        var lastSentMilliseconds: Int64 = 0
        let client = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .milliseconds(300), responseTimeout: Self.clientTimeout))
        while !isStopping {
            _ = wake.wait(timeout: .now() + .milliseconds(Self.shipperPeriodMilliseconds))
            let now = EdgeClock.monotonicMilliseconds()
            let (applied, fresh) = shared.withLock { ($0.state.appliedRevision, $0.state.isFresh(nowMilliseconds: now)) }
            guard fresh, applied > lastSentRevision || now - lastSentMilliseconds >= Self.ackRefreshMilliseconds else { continue }
            lastSentMilliseconds = now
            let body = JSONWriter().bytes(["revision": .integer(Int64(clamping: applied))])
            let request = HTTPClientRequest(method: "POST", target: "/v1/enforcers/\(configuration.id)/ack", headers: jsonHeaders, body: body)
            guard (try? client.send(request, host: node.host, port: node.port))?.status == 200 else { continue }
            lastSentRevision = applied
            shared.withLock { shared in
                if shared.connectedTo == node { shared.acknowledgedRevision = max(shared.acknowledgedRevision, applied) }
            }
        }
    }

    /// Ships the pending batch (or cuts one) to the attached node; a batch is retried with the
    /// same `batch_seq` until a node answers 200, so the cluster applies it once.
    /// Returns true when a batch was applied (so another may follow at once).
    private func shipDecisions() -> Bool {
        guard let (batch, node) = shared.withLock({ shared -> (DecisionRecordBuffer.Batch, NodeAddress)? in
            guard let node = shared.connectedTo, let batch = shared.records.nextBatch() else { return nil }
            return (batch, node)
        }) else { return false }
        let body: JSONValue = [
            "enforcer": .string(configuration.id), "batch_seq": .integer(Int64(clamping: batch.batchSeq)),
            "decisions": .array(batch.records.map(Self.render)),
        ]
        let request = HTTPClientRequest(method: "POST", target: "/v1/audit/decisions", headers: jsonHeaders, body: JSONWriter().bytes(body))
        guard let response = try? client.send(request, host: node.host, port: node.port) else { return false }
        // 200: applied (or a retry of an applied batch). 400: the cluster refuses it for good —
        // dropping is the only way forward, and the refusal is in the node's audit log.
        guard response.status == 200 || response.status == 400 else { return false }
        shared.withLock { $0.records.acknowledge(batchSeq: batch.batchSeq) }
        return true
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
