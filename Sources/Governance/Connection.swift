// MARK: - Connection

/// An agent-to-agent allowlist entry: `caller` may delegate to `callee` with these scopes.
public struct Connection: Sendable, Hashable {
    /// The connection id.
    public var id: String
    /// The agent that calls (holds the caller token).
    public var caller: String
    /// The agent that is called (receives the delegated token).
    public var callee: String
    /// The scopes the callee may be invoked with, sorted and unique.
    public var scopes: [String]
    /// Cap on a delegated token's lifetime.
    public var maxTokenTTLSeconds: Int64
    /// When the permission itself ends (entry-timestamp milliseconds), if it does.
    public var expiresAtMilliseconds: Int64?
    /// The revision that created it.
    public var createdRevision: UInt64

    /// A connection with every field given.
    public init(
        id: String, caller: String, callee: String, scopes: [String], maxTokenTTLSeconds: Int64,
        expiresAtMilliseconds: Int64? = nil, createdRevision: UInt64 = 0
    ) {
        self.id = id
        self.caller = caller
        self.callee = callee
        self.scopes = scopes
        self.maxTokenTTLSeconds = maxTokenTTLSeconds
        self.expiresAtMilliseconds = expiresAtMilliseconds
        self.createdRevision = createdRevision
    }

    /// Whether the permission still holds at `nowMilliseconds`.
    public func isLive(atMilliseconds nowMilliseconds: Int64) -> Bool {
        expiresAtMilliseconds.map { nowMilliseconds < $0 } ?? true
    }
}

extension Connection {
    func write(into writer: inout ByteWriter) {
        writer.string(id)
        writer.string(caller)
        writer.string(callee)
        writer.strings(scopes)
        writer.signed(maxTokenTTLSeconds)
        writer.optionalSigned(expiresAtMilliseconds)
        writer.unsigned(createdRevision)
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> Connection {
        let limit = GovernanceLimits.maximumIdentifierBytes
        return Connection(
            id: try reader.string(maximum: limit, "connection id"),
            caller: try reader.string(maximum: limit, "caller"),
            callee: try reader.string(maximum: limit, "callee"),
            scopes: try reader.strings(
                maximumCount: GovernanceLimits.maximumScopes, maximumBytes: GovernanceLimits.maximumScopeBytes, "scopes"),
            maxTokenTTLSeconds: try reader.signed(),
            expiresAtMilliseconds: try reader.optionalSigned(),
            createdRevision: try reader.unsigned())
    }
}
