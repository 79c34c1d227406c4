import Authorization

// MARK: - Command

/// Every write to the governance state. One command per log entry, applied by
/// `GovernanceState.apply(_:revision:)`; encoded by `LogEntryPayload.encode()`.
public enum Command: Sendable, Hashable {
    /// Register an agent or service.
    case registerAgent(AgentRegistration)
    /// Change fields of an agent (never its kill state: that is `kill` / `reinstate`).
    case updateAgent(AgentUpdate)
    /// Remove an agent, its connections stay refused (they name an unknown agent).
    case deleteAgent(id: String)
    /// Replace a user's attributes (creates the user when unknown).
    case setUserAttributes(userID: String, attributes: [String: ConditionValue])
    /// Create a connection; `createdRevision` is set at apply.
    case createConnection(Connection)
    /// Remove a connection.
    case deleteConnection(id: String)
    /// Replace the authorization model (OpenFGA JSON, any spelling: it is parsed and canonicalised).
    case writeModel(json: [UInt8])
    /// Write and delete tuples atomically: all or nothing.
    case writeTuples(writes: [RelationshipTuple], deletes: [TupleKey])
    /// The kill switch for one agent.
    case killAgent(id: String, reason: String)
    /// Make a killed (or suspended) agent active again, raising `validAfter`.
    case reinstateAgent(id: String, reason: String)
    /// Cut every delegated access acting for a user.
    case killUser(id: String, reason: String)
    /// Restore a cut user's delegated access; tokens minted before stay dead.
    case reinstateUser(id: String, reason: String)
    /// Revoke one token until it would have expired anyway.
    case revokeToken(jti: String, expiresAtMilliseconds: Int64)
    /// Record a token minted by the cluster; `issuedRevision` and `issuedAtMilliseconds` are set at apply.
    case tokenIssued(IssuedToken)
    /// A risk signal about an agent.
    case riskSignal(RiskSignal)
    /// Replace the settings.
    case setSettings(Settings)
    /// Create an operator API key (hash only); `createdRevision` is set at apply.
    case createAPIKey(APIKey)
    /// Delete an operator API key.
    case deleteAPIKey(id: String)
    /// Publish a node's public signing key.
    case addSigningKey(kid: String, publicKey: [UInt8])
    /// Retire a signing key.
    case retireSigningKey(kid: String)
    /// Decision records shipped by an enforcer (or the cluster), applied once per `(source, batchSeq)`.
    case decisionBatch(DecisionBatch)

    /// The audit and API name of the command.
    public var name: String {
        switch self {
        case .registerAgent: return "agent_registered"
        case .updateAgent: return "agent_updated"
        case .deleteAgent: return "agent_deleted"
        case .setUserAttributes: return "user_updated"
        case .createConnection: return "connection_created"
        case .deleteConnection: return "connection_deleted"
        case .writeModel: return "model_written"
        case .writeTuples: return "tuples_written"
        case .killAgent: return "agent_killed"
        case .reinstateAgent: return "agent_reinstated"
        case .killUser: return "user_killed"
        case .reinstateUser: return "user_reinstated"
        case .revokeToken: return "token_revoked"
        case .tokenIssued: return "token_issued"
        case .riskSignal: return "risk_signal"
        case .setSettings: return "settings_updated"
        case .createAPIKey: return "api_key_created"
        case .deleteAPIKey: return "api_key_deleted"
        case .addSigningKey: return "signing_key_added"
        case .retireSigningKey: return "signing_key_retired"
        case .decisionBatch: return "decision_batch"
        }
    }
}

// MARK: - Command arguments

/// The fields of a new agent; the rest (status, risk, revisions) the state machine sets.
public struct AgentRegistration: Sendable, Hashable {
    /// The id (the API layer generates one when the caller gives none).
    public var id: String
    /// Display name.
    public var name: String
    /// Owning user id.
    public var owner: String
    /// Agent or service.
    public var kind: AgentKind
    /// The scopes it may ever hold.
    public var scopes: [String]
    /// Its attributes.
    public var attributes: [String: ConditionValue]
    /// HMAC-SHA-256 of its client secret.
    public var secretHash: [UInt8]

    /// A registration with every field given.
    public init(
        id: String, name: String, owner: String, kind: AgentKind, scopes: [String],
        attributes: [String: ConditionValue] = [:], secretHash: [UInt8]
    ) {
        self.id = id
        self.name = name
        self.owner = owner
        self.kind = kind
        self.scopes = scopes
        self.attributes = attributes
        self.secretHash = secretHash
    }
}

/// A partial update of an agent: `nil` leaves a field as it is.
public struct AgentUpdate: Sendable, Hashable {
    /// The agent to change.
    public var id: String
    /// New display name.
    public var name: String?
    /// New owner.
    public var owner: String?
    /// New scopes.
    public var scopes: [String]?
    /// New attributes (replaces the whole map).
    public var attributes: [String: ConditionValue]?
    /// New secret hash (secret rotation).
    public var secretHash: [UInt8]?
    /// `active` or `suspended`; `killed` is refused (use the kill switch).
    public var status: AgentStatus?

    /// An update of the given fields.
    public init(
        id: String, name: String? = nil, owner: String? = nil, scopes: [String]? = nil,
        attributes: [String: ConditionValue]? = nil, secretHash: [UInt8]? = nil, status: AgentStatus? = nil
    ) {
        self.id = id
        self.name = name
        self.owner = owner
        self.scopes = scopes
        self.attributes = attributes
        self.secretHash = secretHash
        self.status = status
    }
}

/// A risk signal (API.md `POST /v1/signals`).
public struct RiskSignal: Sendable, Hashable {
    /// The agent it is about.
    public var agent: String
    /// The kind of signal (`prompt_injection`, `exfiltration`, …).
    public var type: String
    /// 0-100.
    public var severity: Int64
    /// Who reported it.
    public var source: String
    /// Free text.
    public var detail: String?

    /// A signal with every field given.
    public init(agent: String, type: String, severity: Int64, source: String, detail: String? = nil) {
        self.agent = agent
        self.type = type
        self.severity = severity
        self.source = source
        self.detail = detail
    }
}

/// One decision as recorded in the audit log.
public struct DecisionRecord: Sendable, Hashable {
    /// The decision id the caller was given.
    public var decisionID: String
    /// The acting agent.
    public var agent: String
    /// `on_behalf_of`, if any.
    public var subject: String?
    /// The relation checked.
    public var action: String
    /// The object checked.
    public var resource: String
    /// The answer.
    public var allowed: Bool
    /// Reason codes.
    public var reasons: [String]
    /// The revision it was decided at.
    public var revision: UInt64
    /// When it was decided (the decider's clock, milliseconds).
    public var timeMilliseconds: Int64

    /// A decision record with every field given.
    public init(
        decisionID: String, agent: String, subject: String?, action: String, resource: String,
        allowed: Bool, reasons: [String], revision: UInt64, timeMilliseconds: Int64
    ) {
        self.decisionID = decisionID
        self.agent = agent
        self.subject = subject
        self.action = action
        self.resource = resource
        self.allowed = allowed
        self.reasons = reasons
        self.revision = revision
        self.timeMilliseconds = timeMilliseconds
    }
}

/// A batch of decision records from one source.
public struct DecisionBatch: Sendable, Hashable {
    /// The enforcer (or node) that decided.
    public var source: String
    /// Strictly increasing per source; a batch at or below the highest applied is a duplicate.
    public var batchSeq: UInt64
    /// The records.
    public var decisions: [DecisionRecord]

    /// A batch with every field given.
    public init(source: String, batchSeq: UInt64, decisions: [DecisionRecord]) {
        self.source = source
        self.batchSeq = batchSeq
        self.decisions = decisions
    }
}
