// MARK: - Actor

/// The role of an API key (API.md "Auth").
public enum APIKeyRole: UInt8, Sendable, Hashable, CaseIterable {
    /// Everything.
    case admin = 0
    /// Kill, reinstate, signals, audit read.
    case security = 1
    /// Feed, acks, decision upload, check.
    case enforcer = 2
    /// GET only.
    case reader = 3

    /// The API spelling.
    public var name: String {
        switch self {
        case .admin: return "admin"
        case .security: return "security"
        case .enforcer: return "enforcer"
        case .reader: return "reader"
        }
    }
}

/// Who proposed a command; recorded in its audit record.
public enum Actor: Sendable, Hashable {
    /// An operator call authenticated by an API key.
    case apiKey(id: String, role: APIKeyRole)
    /// A registered agent (token issuance, its own calls).
    case agent(String)
    /// An edge enforcer (decision batches).
    case enforcer(String)
    /// The state machine's own policy (risk kills).
    case policy
    /// The cluster itself (initialisation, maintenance).
    case system

    /// The audit spelling: `api_key:<id>`, `agent:<id>`, `enforcer:<id>`, `policy`, `system`.
    public var auditName: String {
        switch self {
        case .apiKey(let id, _): return "api_key:" + id
        case .agent(let id): return "agent:" + id
        case .enforcer(let id): return "enforcer:" + id
        case .policy: return "policy"
        case .system: return "system"
        }
    }
}

// MARK: - Binary form

extension Actor {
    func write(into writer: inout ByteWriter) {
        switch self {
        case .apiKey(let id, let role): writer.byte(0); writer.string(id); writer.byte(role.rawValue)
        case .agent(let id): writer.byte(1); writer.string(id)
        case .enforcer(let id): writer.byte(2); writer.string(id)
        case .policy: writer.byte(3)
        case .system: writer.byte(4)
        }
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> Actor {
        let tag = try reader.byte()
        switch tag {
        case 0:
            let id = try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "actor id")
            guard let role = APIKeyRole(rawValue: try reader.byte()) else { throw reader.failure("unknown key role") }
            return .apiKey(id: id, role: role)
        case 1: return .agent(try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "actor id"))
        case 2: return .enforcer(try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "actor id"))
        case 3: return .policy
        case 4: return .system
        default: throw reader.failure("unknown actor tag \(tag)")
        }
    }
}
