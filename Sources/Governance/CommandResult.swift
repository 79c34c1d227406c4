// MARK: - Rejection

/// Why a command was refused at apply time. A rejection changes nothing but the audit head.
public enum Rejection: Error, Sendable, Hashable {
    /// The named object does not exist.
    case notFound(kind: String, id: String)
    /// An object with that id exists already.
    case alreadyExists(kind: String, id: String)
    /// A field is malformed or out of bounds.
    case invalidArgument(field: String, message: String)
    /// The write contradicts the current state (e.g. a second connection for one pair).
    case conflict(String)
    /// The object is not in a state that allows the write (e.g. reinstating an active agent).
    case preconditionFailed(String)

    /// The machine code: `not_found`, `already_exists`, `invalid_argument`, `conflict`, `precondition_failed`.
    public var code: String {
        switch self {
        case .notFound: return "not_found"
        case .alreadyExists: return "already_exists"
        case .invalidArgument: return "invalid_argument"
        case .conflict: return "conflict"
        case .preconditionFailed: return "precondition_failed"
        }
    }

    /// A human explanation.
    public var message: String {
        switch self {
        case .notFound(let kind, let id): return "\(kind) '\(id)' not found"
        case .alreadyExists(let kind, let id): return "\(kind) '\(id)' already exists"
        case .invalidArgument(let field, let message): return "\(field): \(message)"
        case .conflict(let message), .preconditionFailed(let message): return message
        }
    }
}

// MARK: - Result

/// The typed answer to an applied command (what the API returns), or its rejection.
public enum CommandResult: Sendable, Hashable {
    /// Register, update or reinstate: the agent as it is now (secret hash stripped).
    case agent(Agent)
    /// Kill: the agent as it is now (killed); the outcome's revision is the kill's.
    case agentKilled(Agent)
    /// A delete of `kind` (`agent`, `connection`, `api_key`) `id`.
    case deleted(kind: String, id: String)
    /// Set user attributes, user kill, user reinstate: the user as it is now.
    case user(User)
    /// Created connection.
    case connection(Connection)
    /// Written model's id (hex SHA-256 of its canonical JSON).
    case model(modelID: String)
    /// Tuple write counts.
    case tuples(written: Int, deleted: Int)
    /// Revoked token id.
    case tokenRevoked(jti: String)
    /// Recorded token.
    case tokenIssued(IssuedToken)
    /// A risk signal: the score after it and whether the agent is killed after this entry.
    case risk(score: Double, killed: Bool)
    /// Settings now in force.
    case settings(Settings)
    /// Created API key (hash included; the API layer strips it).
    case apiKey(APIKey)
    /// Added or retired signing key.
    case signingKey(SigningKey)
    /// A decision batch: whether it was applied now (false: a duplicate) and how many records it added.
    case decisionBatch(applied: Bool, recorded: Int)
    /// The command was refused.
    case rejected(Rejection)

    /// Whether this is a rejection.
    public var isRejection: Bool {
        if case .rejected = self { return true }
        return false
    }
}

// MARK: - Outcome

/// Everything one applied entry produced.
public struct ApplyOutcome: Sendable, Hashable {
    /// The entry's revision.
    public var revision: UInt64
    /// The typed result (or rejection).
    public var result: CommandResult
    /// Audit records, chained, for the shell to store durably in order.
    public var auditRecords: [AuditRecord]
    /// What enforcers need, revocations first.
    public var feedEvents: [FeedEvent]
    /// True when the idempotency key had been applied before and `result` is the first one.
    public var replayed: Bool
}
