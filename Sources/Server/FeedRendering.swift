import Crypto
import Governance
import HTTP
import JSON
import Replica

// MARK: - Rendering feed events

/// How feed events look on the wire. SSE: `id: <revision>`, `event: <type>`, `data: <one-line
/// JSON>`, blank line. Every state event's data carries its readable fields, `revision`, and
/// `event`: the base64url binary `FeedEvent` the enforcer applies (secrets already stripped).
public enum FeedRendering {
    /// The SSE event type of the snapshot.
    public static let snapshotType = "snapshot"
    /// The SSE event type announcing that the resume point is older than the ring.
    public static let resetType = "reset"
    /// The SSE event type of a heartbeat.
    public static let heartbeatType = "heartbeat"
    /// The final event sent to a subscriber disconnected for falling behind.
    public static let laggingType = "lagging"
    /// Milliseconds an SSE client waits before reconnecting (`retry:`).
    public static let reconnectMilliseconds = 500

    /// The response head of an SSE stream.
    public static let streamHead = HTTPResponseHead(status: 200, headers: HTTPHeaders([
        ("Content-Type", "text/event-stream"), ("Cache-Control", "no-store"), ("X-Accel-Buffering", "no"),
    ]))

    /// The stream's first bytes: the reconnect delay.
    public static let prelude: [UInt8] = Array("retry: \(reconnectMilliseconds)\n\n".utf8)

    /// One SSE event; `id` nil keeps the client's last event id (heartbeats, lagging).
    public static func serverSentEvent(id: UInt64?, type: String, data: JSONValue) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        if let id { bytes.append(contentsOf: Array("id: \(id)\n".utf8)) }
        bytes.append(contentsOf: Array("event: \(type)\ndata: ".utf8))
        JSONWriter().write(data, into: &bytes)
        bytes.append(contentsOf: [0x0A, 0x0A])
        return bytes
    }

    /// The long-poll form of one event: `{id, type, data}`.
    public static func pollEvent(id: UInt64?, type: String, data: JSONValue) -> JSONValue {
        var members: [String: JSONValue] = ["type": .string(type), "data": data]
        if let id { members["id"] = .integer(Int64(clamping: id)) }
        return .object(members)
    }

    // MARK: Event data

    /// The data of one state event.
    public static func data(_ item: FeedItem) -> JSONValue {
        var members = readableFields(item.event)
        members["revision"] = .integer(Int64(clamping: item.revision))
        members["event"] = .string(Base64URL.encode(item.event.encode()))
        return .object(members)
    }

    /// The fields a person (or a generic SSE client) reads; the enforcer uses `event`.
    static func readableFields(_ event: FeedEvent) -> [String: JSONValue] {
        switch event {
        case .kill(let agentID, let revision, let reason, let initiator):
            return ["agent": .string(agentID), "kill_revision": .integer(Int64(clamping: revision)),
                    "reason": .string(reason), "initiator": .string(initiator)]
        case .reinstate(let agentID, let validAfter):
            return ["agent": .string(agentID), "valid_after": .integer(Int64(clamping: validAfter))]
        case .userKill(let userID, _): return ["user": .string(userID)]
        case .userReinstate(let userID, let validAfter):
            return ["user": .string(userID), "valid_after": .integer(Int64(clamping: validAfter))]
        case .tokenRevoked(let jti, let expiresAt): return ["jti": .string(jti), "expires_at_ms": .integer(expiresAt)]
        case .agent(let agent): return ["id": .string(agent.id), "status": .string(agent.status.name)]
        case .agentDeleted(let id): return ["id": .string(id), "deleted": true]
        case .user(let user): return ["id": .string(user.id)]
        case .connection(let connection):
            return ["id": .string(connection.id), "caller": .string(connection.caller), "callee": .string(connection.callee)]
        case .connectionDeleted(let id): return ["id": .string(id), "deleted": true]
        case .model(let modelID, _): return ["model_id": .string(modelID)]
        case .tuples(let writes, let deletes): return ["written": .integer(Int64(writes.count)), "deleted": .integer(Int64(deletes.count))]
        case .settings(let settings): return ["enforcer_lease_ms": .integer(settings.enforcerLeaseMilliseconds)]
        case .signingKey(let key): return ["kid": .string(key.kid), "retired": .bool(key.retiredRevision != nil)]
        }
    }

    /// The snapshot's data: the secret-stripped state (`state`, base64url of
    /// `GovernanceState.feedSnapshot()`) and, readable, the revocation set, keys and lease.
    public static func snapshotData(_ state: GovernanceState, revision: UInt64) -> JSONValue {
        let killed = state.agents.values.filter { $0.status == .killed }.map(\.id).sorted()
        let cut = state.users.values.filter { $0.cutAtRevision != nil }.map(\.id).sorted()
        return [
            "revision": .integer(Int64(clamping: revision)),
            "state": .string(Base64URL.encode(state.feedSnapshot())),
            "killed_agents": .array(killed.map { .string($0) }),
            "cut_users": .array(cut.map { .string($0) }),
            "revoked_tokens": .array(state.revokedTokens.keys.sorted().map { .string($0) }),
            "signing_keys": .array(state.signingKeys.keys.sorted().map { .string($0) }),
            "connections": .integer(Int64(state.connections.count)),
            "enforcer_lease_ms": .integer(state.settings.enforcerLeaseMilliseconds),
        ]
    }

    /// A heartbeat's data: `{commit, leader, term, lease_ms}`; every event at or below `commit`
    /// has been sent before it.
    public static func heartbeatData(commit: UInt64, view: FeedClusterView, leaseMilliseconds: Int64) -> JSONValue {
        [
            "commit": .integer(Int64(clamping: commit)), "leader": view.leader.map { .string($0) } ?? .null,
            "term": .integer(Int64(clamping: view.term)), "lease_ms": .integer(leaseMilliseconds),
        ]
    }

    /// The final event of a subscriber that fell behind.
    public static let laggingData: JSONValue = ["reason": "subscriber fell behind; reconnect with Last-Event-ID to resume"]

    /// The data of a `reset` event.
    public static let resetData: JSONValue = ["reason": "resume point older than the compaction horizon; a snapshot follows"]

    /// SSE bytes of `items` for one subscriber (only revocations when `onlyRevocations`). Events
    /// of one revision share it as id, written only on the group's last event, so a client cut
    /// off mid-revision resumes before that revision instead of past its missing events.
    public static func serverSentEvents(_ items: some Collection<FeedItem>, onlyRevocations: Bool) -> [UInt8] {
        let kept = items.filter { !onlyRevocations || $0.event.isRevocation }
        var bytes: [UInt8] = []
        for (index, item) in kept.enumerated() {
            let endsRevision = index == kept.count - 1 || kept[index + 1].revision != item.revision
            bytes.append(contentsOf: serverSentEvent(id: endsRevision ? item.revision : nil, type: item.event.type, data: data(item)))
        }
        return bytes
    }
}
