import Governance
import HTTP
import JSON
import Server

// MARK: - The local API

extension EdgeEnforcer {
    /// Routes a local request: `/v1/check`, `/v1/status`, `/metrics`; anything else goes to the
    /// proxy when `--proxy-to` is set, else 404.
    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        switch (request.method, request.path) {
        case ("POST", "/v1/check"): responder.send(check(request.body).response)
        case ("GET", "/v1/status"): responder.send(status())
        case ("GET", "/metrics"): responder.send(metrics())
        default:
            if configuration.proxyTo != nil {
                proxy(request, responder)
            } else {
                responder.send(Problem(status: 404, code: "not_found", detail: "no route \(request.method) \(request.path)").response())
            }
        }
    }

    /// Decides one check body locally and records it; the response and the outcome.
    func check(_ body: [UInt8]) -> (response: HTTPResponse, outcome: EdgeCheck.Outcome?) {
        switch EdgeCheck.parse(body) {
        case .failure(let problem): return (problem.response(), nil)
        case .success(let check):
            let outcome = decide(check)
            return (APIResponses.json(200, outcome.members, revision: outcome.revision), outcome)
        }
    }

    /// Decides and records one check (fail closed when the record cannot be kept).
    func decide(_ check: EdgeCheck.Check) -> EdgeCheck.Outcome {
        let (state, issuer, sequence) = shared.withLock { shared in
            shared.nextDecision += 1
            return (shared.state, shared.issuer ?? "", shared.nextDecision)
        }
        var outcome = EdgeCheck.decide(
            check, state: state, issuer: issuer, wallMilliseconds: EdgeClock.wallMilliseconds(),
            monotonicMilliseconds: EdgeClock.monotonicMilliseconds(), decisionID: decisionPrefix + String(sequence))
        let kept = shared.withLock { $0.records.record(outcome.record) }
        if !kept, configuration.auditFullPolicy == .failClosed, outcome.allowed { outcome = EdgeCheck.refusedForAudit(outcome) }
        shared.withLock { shared in
            if outcome.allowed { shared.checksAllowed += 1 } else { shared.checksDenied += 1 }
            if outcome.codes == [EdgeCheck.staleCode] { shared.staleDenials += 1 }
        }
        return outcome
    }

    /// `{id, revision, fresh, lease_valid_until, connected_to, lag, decision_records}`.
    func status() -> HTTPResponse {
        let monotonic = EdgeClock.monotonicMilliseconds(), wall = EdgeClock.wallMilliseconds()
        let members = shared.withLock { shared -> [String: JSONValue] in
            let state = shared.state
            let until: JSONValue = state.leaseValidUntilMilliseconds.map { .string(APITime.format(milliseconds: wall + $0 - monotonic)) } ?? .null
            return [
                "id": .string(configuration.id), "fresh": .bool(state.isFresh(nowMilliseconds: monotonic)),
                "lease_valid_until": until, "connected_to": shared.connectedTo.map { .string($0.description) } ?? .null,
                "lag": .integer(Int64(clamping: state.heartbeatCommit > state.appliedRevision ? state.heartbeatCommit - state.appliedRevision : 0)),
                "heartbeat_age_ms": state.heartbeatMilliseconds.map { .integer(monotonic - $0) } ?? .null,
                "decision_records": .integer(Int64(shared.records.count)),
                "decision_records_dropped": .integer(Int64(shared.records.droppedRecords)),
                "acknowledged_revision": .integer(Int64(clamping: shared.acknowledgedRevision)),
            ]
        }
        let revision = shared.withLock { $0.state.appliedRevision }
        return APIResponses.json(200, members, revision: revision)
    }

    /// Prometheus text: revision, freshness, checks, stale denials, records, feed connections.
    func metrics() -> HTTPResponse {
        let now = EdgeClock.monotonicMilliseconds()
        let text = shared.withLock { shared in
            """
            # TYPE warden_enforcer_applied_revision gauge
            warden_enforcer_applied_revision \(shared.state.appliedRevision)
            # TYPE warden_enforcer_fresh gauge
            warden_enforcer_fresh \(shared.state.isFresh(nowMilliseconds: now) ? 1 : 0)
            # TYPE warden_enforcer_checks_total counter
            warden_enforcer_checks_total{allowed="true"} \(shared.checksAllowed)
            warden_enforcer_checks_total{allowed="false"} \(shared.checksDenied)
            # TYPE warden_enforcer_stale_denials_total counter
            warden_enforcer_stale_denials_total \(shared.staleDenials)
            # TYPE warden_enforcer_decision_records gauge
            warden_enforcer_decision_records \(shared.records.count)
            # TYPE warden_enforcer_decision_records_dropped_total counter
            warden_enforcer_decision_records_dropped_total \(shared.records.droppedRecords)
            # TYPE warden_enforcer_feed_connections_total counter
            warden_enforcer_feed_connections_total \(shared.feedConnections)

            """
        }
        return HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4")]), body: Array(text.utf8))
    }
}
