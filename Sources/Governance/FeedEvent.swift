import Authorization

// MARK: - Feed events

/// One change an enforcer needs to keep its read-only decision state, secrets stripped.
/// Within one entry, revocations (kill, reinstate, user kill/reinstate, token revoked) come first.
public enum FeedEvent: Sendable, Hashable {
    /// An agent was killed (`initiator` is the audit actor name, `policy` for a risk kill).
    case kill(agentID: String, revision: UInt64, reason: String, initiator: String)
    /// An agent is active again; tokens issued below `validAfter` stay dead.
    case reinstate(agentID: String, validAfter: UInt64)
    /// A user's delegated access was cut.
    case userKill(userID: String, revision: UInt64)
    /// A user's delegated access was restored; tokens issued below `delegationValidAfter` stay dead.
    case userReinstate(userID: String, delegationValidAfter: UInt64)
    /// A token was revoked until `expiresAtMilliseconds`.
    case tokenRevoked(jti: String, expiresAtMilliseconds: Int64)
    /// An agent was registered or changed (secret hash stripped).
    case agent(Agent)
    /// An agent was deleted.
    case agentDeleted(id: String)
    /// A user's attributes changed.
    case user(User)
    /// A connection was created.
    case connection(Connection)
    /// A connection was deleted.
    case connectionDeleted(id: String)
    /// The model was replaced.
    case model(modelID: String, canonicalJSON: [UInt8])
    /// Tuples were written and deleted.
    case tuples(writes: [RelationshipTuple], deletes: [TupleKey])
    /// Settings changed.
    case settings(Settings)
    /// A signing key was added or retired.
    case signingKey(SigningKey)

    /// The SSE event type (API.md "Feed").
    public var type: String {
        switch self {
        case .kill: return "kill"
        case .reinstate: return "reinstate"
        case .userKill: return "user_kill"
        case .userReinstate: return "user_reinstate"
        case .tokenRevoked: return "token_revoked"
        case .agent, .agentDeleted: return "agent"
        case .user: return "user"
        case .connection, .connectionDeleted: return "connection"
        case .model: return "model"
        case .tuples: return "tuples"
        case .settings: return "settings"
        case .signingKey: return "keys"
        }
    }

    /// Whether this is a revocation (`?only=revocations` keeps these).
    public var isRevocation: Bool {
        switch self {
        case .kill, .reinstate, .userKill, .userReinstate, .tokenRevoked: return true
        default: return false
        }
    }
}
