import JSON

// MARK: - Runtime data, rendered

/// One enforcer as `GET /v1/enforcers` lists it.
public struct EnforcerStatus: Sendable, Hashable {
    /// The enforcer id (from its acks and feed subscription).
    public var id: String
    /// The last revision it acknowledged.
    public var acknowledgedRevision: UInt64
    /// When it last acknowledged (milliseconds since 1970).
    public var lastAckMilliseconds: Int64
    /// Revisions behind the commit index.
    public var lag: UInt64

    /// A status from its parts.
    public init(id: String, acknowledgedRevision: UInt64, lastAckMilliseconds: Int64, lag: UInt64) {
        self.id = id
        self.acknowledgedRevision = acknowledgedRevision
        self.lastAckMilliseconds = lastAckMilliseconds
        self.lag = lag
    }
}

/// One Raft member as `GET /v1/cluster` lists it.
public struct ClusterMemberStatus: Sendable, Hashable {
    /// The node id.
    public var id: String
    /// Its peer address.
    public var address: String
    /// `leader`, `follower`, `candidate` or `learner`.
    public var role: String
    /// The highest index known replicated on it.
    public var match: UInt64
    /// Entries behind the leader's commit.
    public var lag: UInt64

    /// A member from its parts.
    public init(id: String, address: String, role: String, match: UInt64, lag: UInt64) {
        self.id = id
        self.address = address
        self.role = role
        self.match = match
        self.lag = lag
    }
}

extension APIRendering {
    /// `GET /v1/enforcers` members (pass to `APIResponses.json(200, _, revision:)`), sorted by id.
    public static func enforcers(_ statuses: [EnforcerStatus]) -> [String: JSONValue] {
        let sorted = statuses.sorted { $0.id < $1.id }
        return ["enforcers": .array(sorted.map { status in
            .object([
                "id": .string(status.id), "acknowledged": .integer(Int64(clamping: status.acknowledgedRevision)),
                "last_ack": .string(APITime.format(milliseconds: status.lastAckMilliseconds)),
                "lag": .integer(Int64(clamping: status.lag)),
            ])
        })]
    }

    /// `GET /v1/cluster` members: `{id, leader, term, commit, applied, members}`; `leader` is null when unknown.
    public static func cluster(
        id: String, leader: String?, term: UInt64, commit: UInt64, applied: UInt64, members: [ClusterMemberStatus]
    ) -> [String: JSONValue] {
        [
            "id": .string(id), "leader": leader.map(JSONValue.string) ?? .null, "term": .integer(Int64(clamping: term)),
            "commit": .integer(Int64(clamping: commit)), "applied": .integer(Int64(clamping: applied)),
            "members": .array(members.sorted { $0.id < $1.id }.map { member in
                .object([
                    "id": .string(member.id), "address": .string(member.address), "role": .string(member.role),
                    "match": .integer(Int64(clamping: member.match)), "lag": .integer(Int64(clamping: member.lag)),
                ])
            }),
        ]
    }
}
