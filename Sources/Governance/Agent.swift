import Authorization

// MARK: - Agent

/// Whether a registered principal is an AI agent or a (non-AI) service.
public enum AgentKind: UInt8, Sendable, Hashable, CaseIterable {
    /// An AI agent.
    case agent = 0
    /// A service (it may also be the subject that agents act for).
    case service = 1

    /// The API spelling.
    public var name: String { self == .agent ? "agent" : "service" }
}

/// The life-cycle status of an agent; only `active` agents are ever allowed anything.
public enum AgentStatus: UInt8, Sendable, Hashable, CaseIterable {
    /// Allowed to act (subject to every other rule).
    case active = 0
    /// Paused by an operator; tokens minted before stay valid once it is active again.
    case suspended = 1
    /// Stopped by the kill switch; only `reinstate` makes it active, raising `validAfter`.
    case killed = 2

    /// The API spelling.
    public var name: String {
        switch self {
        case .active: return "active"
        case .suspended: return "suspended"
        case .killed: return "killed"
        }
    }
}

/// Who killed an agent, why and when; kept on the agent while it is killed.
public struct KillRecord: Sendable, Hashable {
    /// The revision of the kill.
    public var revision: UInt64
    /// The free-text (or `risk`) reason.
    public var reason: String
    /// Who initiated the kill (`policy` for a risk kill).
    public var initiator: Actor

    /// A kill record.
    public init(revision: UInt64, reason: String, initiator: Actor) {
        self.revision = revision
        self.reason = reason
        self.initiator = initiator
    }
}

/// A registered agent or service (API.md "Agent").
public struct Agent: Sendable, Hashable {
    /// The registered id (`procurement-bot`; in tuples `agent:procurement-bot`).
    public var id: String
    /// Display name.
    public var name: String
    /// The owning user's id.
    public var owner: String
    /// Agent or service.
    public var kind: AgentKind
    /// Active, suspended or killed.
    public var status: AgentStatus
    /// The scopes it may ever hold, sorted and unique.
    public var scopes: [String]
    /// Attributes conditions read through the reserved parameters `agent` and `subject`.
    public var attributes: [String: ConditionValue]
    /// HMAC-SHA-256 of the client secret under the cluster key (never the secret).
    public var secretHash: [UInt8]
    /// Current risk score, as of `riskUpdatedAtMilliseconds`.
    public var riskScore: Double
    /// Entry timestamp of the last risk update (decay runs from here).
    public var riskUpdatedAtMilliseconds: Int64
    /// Tokens issued at a revision below this are dead (raised by reinstatement).
    public var validAfter: UInt64
    /// The revision that registered it.
    public var createdRevision: UInt64
    /// The revision that last changed it.
    public var updatedRevision: UInt64
    /// The kill in force, when `status == .killed`.
    public var kill: KillRecord?

    /// An agent with every field given.
    public init(
        id: String, name: String, owner: String, kind: AgentKind, status: AgentStatus = .active,
        scopes: [String], attributes: [String: ConditionValue], secretHash: [UInt8],
        riskScore: Double = 0, riskUpdatedAtMilliseconds: Int64 = 0, validAfter: UInt64 = 0,
        createdRevision: UInt64 = 0, updatedRevision: UInt64 = 0, kill: KillRecord? = nil
    ) {
        self.id = id
        self.name = name
        self.owner = owner
        self.kind = kind
        self.status = status
        self.scopes = scopes
        self.attributes = attributes
        self.secretHash = secretHash
        self.riskScore = riskScore
        self.riskUpdatedAtMilliseconds = riskUpdatedAtMilliseconds
        self.validAfter = validAfter
        self.createdRevision = createdRevision
        self.updatedRevision = updatedRevision
        self.kill = kill
    }

    /// The same agent with the secret hash removed (feed events, API responses).
    public var withoutSecret: Agent {
        var copy = self
        copy.secretHash = []
        return copy
    }
}

// MARK: - Binary form

extension KillRecord {
    func write(into writer: inout ByteWriter) {
        writer.unsigned(revision)
        writer.string(reason)
        initiator.write(into: &writer)
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> KillRecord {
        KillRecord(
            revision: try reader.unsigned(),
            reason: try reader.string(maximum: GovernanceLimits.maximumTextBytes, "kill reason"),
            initiator: try Actor.read(&reader))
    }
}

extension Agent {
    func write(into writer: inout ByteWriter) {
        writer.string(id)
        writer.string(name)
        writer.string(owner)
        writer.byte(kind.rawValue)
        writer.byte(status.rawValue)
        writer.strings(scopes)
        ConditionValueCoding.writeMap(attributes, into: &writer)
        writer.data(secretHash)
        writer.double(riskScore)
        writer.signed(riskUpdatedAtMilliseconds)
        writer.unsigned(validAfter)
        writer.unsigned(createdRevision)
        writer.unsigned(updatedRevision)
        writer.bool(kill != nil)
        kill?.write(into: &writer)
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> Agent {
        let id = try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "agent id")
        let name = try reader.string(maximum: GovernanceLimits.maximumTextBytes, "agent name")
        let owner = try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "agent owner")
        guard let kind = AgentKind(rawValue: try reader.byte()) else { throw reader.failure("unknown agent kind") }
        guard let status = AgentStatus(rawValue: try reader.byte()) else { throw reader.failure("unknown agent status") }
        let scopes = try reader.strings(
            maximumCount: GovernanceLimits.maximumScopes, maximumBytes: GovernanceLimits.maximumScopeBytes, "agent scopes")
        let attributes = try ConditionValueCoding.readMap(&reader)
        let secretHash = try reader.data(maximum: GovernanceLimits.maximumSecretHashBytes, "secret hash")
        var agent = Agent(
            id: id, name: name, owner: owner, kind: kind, status: status, scopes: scopes,
            attributes: attributes, secretHash: secretHash)
        agent.riskScore = try reader.double()
        agent.riskUpdatedAtMilliseconds = try reader.signed()
        agent.validAfter = try reader.unsigned()
        agent.createdRevision = try reader.unsigned()
        agent.updatedRevision = try reader.unsigned()
        agent.kill = try reader.bool() ? try KillRecord.read(&reader) : nil
        return agent
    }
}
