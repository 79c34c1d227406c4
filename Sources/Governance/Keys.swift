// MARK: - API keys

/// An operator API key, stored hashed.
public struct APIKey: Sendable, Hashable {
    /// The key id (shown in listings and audit).
    public var id: String
    /// A label.
    public var name: String
    /// What the key may do.
    public var role: APIKeyRole
    /// SHA-256 of the key's random 32-byte secret (never the key): high-entropy secrets need no
    /// slow or keyed hash, and any node can check a key without a shared pepper.
    public var keyHash: [UInt8]
    /// The revision that created it.
    public var createdRevision: UInt64

    /// An API key with every field given.
    public init(id: String, name: String, role: APIKeyRole, keyHash: [UInt8], createdRevision: UInt64 = 0) {
        self.id = id
        self.name = name
        self.role = role
        self.keyHash = keyHash
        self.createdRevision = createdRevision
    }
}

// MARK: - Signing keys

/// A node's public Ed25519 key (the JWKS); the private half never leaves the node's disk.
public struct SigningKey: Sendable, Hashable {
    /// The JWK key id.
    public var kid: String
    /// The raw public key.
    public var publicKey: [UInt8]
    /// The revision that added it.
    public var addedRevision: UInt64
    /// The revision that retired it: tokens it signed no longer verify.
    public var retiredRevision: UInt64?

    /// A signing key with every field given.
    public init(kid: String, publicKey: [UInt8], addedRevision: UInt64 = 0, retiredRevision: UInt64? = nil) {
        self.kid = kid
        self.publicKey = publicKey
        self.addedRevision = addedRevision
        self.retiredRevision = retiredRevision
    }
}

// MARK: - Binary form

extension APIKey {
    func write(into writer: inout ByteWriter) {
        writer.string(id)
        writer.string(name)
        writer.byte(role.rawValue)
        writer.data(keyHash)
        writer.unsigned(createdRevision)
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> APIKey {
        let id = try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "key id")
        let name = try reader.string(maximum: GovernanceLimits.maximumTextBytes, "key name")
        guard let role = APIKeyRole(rawValue: try reader.byte()) else { throw reader.failure("unknown key role") }
        return APIKey(
            id: id, name: name, role: role,
            keyHash: try reader.data(maximum: GovernanceLimits.maximumSecretHashBytes, "key hash"),
            createdRevision: try reader.unsigned())
    }
}

extension SigningKey {
    func write(into writer: inout ByteWriter) {
        writer.string(kid)
        writer.data(publicKey)
        writer.unsigned(addedRevision)
        writer.optionalUnsigned(retiredRevision)
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> SigningKey {
        SigningKey(
            kid: try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "kid"),
            publicKey: try reader.data(maximum: GovernanceLimits.maximumPublicKeyBytes, "public key"),
            addedRevision: try reader.unsigned(),
            retiredRevision: try reader.optionalUnsigned())
    }
}
