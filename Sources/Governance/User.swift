import Authorization

// MARK: - User

/// A user agents act for: attributes conditions read, and the state of their delegated access.
public struct User: Sendable, Hashable {
    /// The external id (`anne` for `user:anne`).
    public var id: String
    /// Attributes conditions read through the reserved parameter `subject`.
    public var attributes: [String: ConditionValue]
    /// Set by a user kill: while set, every delegated access acting for this user is denied.
    public var cutAtRevision: UInt64?
    /// Tokens for this user issued at a revision below this are dead (raised when access is restored).
    public var delegationValidAfter: UInt64
    /// The revision that last changed the user.
    public var updatedRevision: UInt64

    /// A user with every field given.
    public init(
        id: String, attributes: [String: ConditionValue], cutAtRevision: UInt64? = nil,
        delegationValidAfter: UInt64 = 0, updatedRevision: UInt64 = 0
    ) {
        self.id = id
        self.attributes = attributes
        self.cutAtRevision = cutAtRevision
        self.delegationValidAfter = delegationValidAfter
        self.updatedRevision = updatedRevision
    }
}

extension User {
    func write(into writer: inout ByteWriter) {
        writer.string(id)
        ConditionValueCoding.writeMap(attributes, into: &writer)
        writer.optionalUnsigned(cutAtRevision)
        writer.unsigned(delegationValidAfter)
        writer.unsigned(updatedRevision)
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> User {
        User(
            id: try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "user id"),
            attributes: try ConditionValueCoding.readMap(&reader),
            cutAtRevision: try reader.optionalUnsigned(),
            delegationValidAfter: try reader.unsigned(),
            updatedRevision: try reader.unsigned())
    }
}
