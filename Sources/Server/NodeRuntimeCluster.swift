import Governance
import HTTP
import JSON
import Raft
import Replica

// MARK: - Cluster status, readiness, metrics, enforcers

extension NodeRuntime {
    /// 200 when a leader is known and everything it had committed (as last heard) is applied here.
    func readinessResponse() -> HTTPResponse {
        let leader = replica.leaderID
        let ready = leader != nil && replica.appliedRevision >= replica.commitIndex && replica.commitIndex > 0
        let body: [String: JSONValue] = [
            "status": .string(ready ? "ready" : "not_ready"),
            "leader": leader.map { .string(String($0)) } ?? .null,
            "applied": .integer(Int64(replica.appliedRevision)),
            "commit": .integer(Int64(replica.commitIndex)),
        ]
        return APIResponses.json(ready ? 200 : 503, body, revision: replica.appliedRevision)
    }

    /// Prometheus text after refreshing the gauges.
    func metricsResponse() -> HTTPResponse {
        let commit = replica.commitIndex
        metrics.enforcerLag(replica.enforcers().map { (id: $0.id, lag: commit > $0.acknowledgedRevision ? commit - $0.acknowledgedRevision : 0) })
        return metrics.registry.response()
    }

    /// `{id, leader, term, commit, applied, members:[{id, address, role, match, lag}]}`. `match` and
    /// `lag` are the leader's view; a follower knows only its own (its applied revision), and
    /// reports 0 and the commit index for the others.
    func clusterResponse() -> HTTPResponse {
        let raft = replica.raft
        let membership = raft.membership
        let addresses = transport.knownAddresses
        let commit = replica.commitIndex
        let members = membership.members.map { id in
            var match: UInt64 = 0
            if id == configuration.nodeID {
                match = replica.appliedRevision
            } else if raft.role == .leader {
                match = raft.matchIndex(of: id) ?? 0
            }
            let role = id == raft.leaderID ? "leader" : (membership.isLearner(id) ? "learner" : "follower")
            return ClusterMemberStatus(id: String(id), address: addresses[id]?.description ?? "", role: role, match: match,
                                       lag: commit > match ? commit - match : 0)
        }
        var body = APIRendering.cluster(
            id: NodeConfiguration.hex(Self.bigEndianBytes(configuration.clusterID)), leader: replica.leaderID.map { String($0) },
            term: replica.term, commit: commit, applied: replica.appliedRevision, members: members)
        body["node"] = .string(String(configuration.nodeID))
        body["audit"] = auditBackfillStatus()
        return APIResponses.json(200, body, revision: replica.appliedRevision)
    }

    static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    /// `GET /v1/enforcers`: each enforcer's last ack and lag behind the commit index.
    func enforcersResponse() -> HTTPResponse {
        let commit = replica.commitIndex
        let statuses = replica.enforcers().map { status in
            Server.EnforcerStatus(
                id: status.id, acknowledgedRevision: status.acknowledgedRevision, lastAckMilliseconds: status.lastHeardMilliseconds,
                lag: commit > status.acknowledgedRevision ? commit - status.acknowledgedRevision : 0)
        }
        return APIResponses.json(200, APIRendering.enforcers(statuses), revision: replica.appliedRevision)
    }

    // MARK: - Background duties

    /// The node's own writes and the leader's learner promotions, retried until done.
    func runDuties() {
        guard replica.leaderID != nil else { return }
        let state = replica.governance
        if !signingKeyInFlight, let command = identity.commandsToPublish(in: state).first {
            signingKeyInFlight = true
            submitSystemWrite(.signingKey, command: command, idempotencyKey: "signing-key-\(identity.keyID)")
        }
        guard replica.role == .leader else { return }
        if !bootstrapKeyInFlight, let admin = configuration.bootstrapAdminKey, state.apiKeys[admin.id] == nil,
           !state.apiKeys.values.contains(where: { $0.role == .admin }) {
            bootstrapKeyInFlight = true
            let key = APIKey(id: admin.id, name: "initial-admin", role: .admin, keyHash: admin.hash)
            submitSystemWrite(.bootstrapAdminKey, command: .createAPIKey(key), idempotencyKey: "bootstrap-admin-key")
        }
        promoteCaughtUpLearners()
    }

    private func submitSystemWrite(_ write: NodeRuntimeSystemWrite, command: Command, idempotencyKey: String) {
        let id = makeRequestID()
        pending[id] = .system(write)
        replica.submitWrite(requestID: id, command: command, actor: .system, idempotencyKey: idempotencyKey)
    }

    /// Logs the outcome of a system write and lets the duty retry when it did not apply.
    func finishSystemWrite(_ write: NodeRuntimeSystemWrite, _ outcome: RequestOutcome) {
        switch write {
        case .bootstrapAdminKey: bootstrapKeyInFlight = false
        case .signingKey: signingKeyInFlight = false
        }
        if case .applied(let revision, _, _) = outcome {
            NodeRuntimeLog.event(configuration.nodeID, "\(write) applied at revision \(revision)")
        }
    }

    /// Learners exist only because an operator added them: a leader promotes each one once its
    /// log has reached the commit index.
    private func promoteCaughtUpLearners() {
        let raft = replica.raft
        for learner in raft.membership.learners {
            guard let match = raft.matchIndex(of: learner), match >= raft.commitIndex else { continue }
            do {
                let index = try replica.proposeMembershipChange(.promoteLearner(learner))
                NodeRuntimeLog.event(configuration.nodeID, "promoting learner \(learner) (entry \(index))")
            } catch {
                return
            }
        }
    }
}
