// MARK: - Issued tokens

/// The record of a token the cluster minted: issuing is a committed write, audited and revocable.
public struct IssuedToken: Sendable, Hashable {
    /// The token id (`jti`).
    public var jti: String
    /// `user:anne` or `agent:<id>`: whom the chain acts for.
    public var subject: String
    /// Agent ids; first = originating actor, last = current actor.
    public var chain: [String]
    /// The scopes granted, sorted and unique.
    public var scopes: [String]
    /// Expiry (milliseconds since the epoch).
    public var expiresAtMilliseconds: Int64
    /// The revision of the issuing entry (the token's `warden_rev`).
    public var issuedRevision: UInt64
    /// The entry timestamp of the issuing entry (the token's `iat`).
    public var issuedAtMilliseconds: Int64

    /// An issued-token record with every field given.
    public init(
        jti: String, subject: String, chain: [String], scopes: [String], expiresAtMilliseconds: Int64,
        issuedRevision: UInt64 = 0, issuedAtMilliseconds: Int64 = 0
    ) {
        self.jti = jti
        self.subject = subject
        self.chain = chain
        self.scopes = scopes
        self.expiresAtMilliseconds = expiresAtMilliseconds
        self.issuedRevision = issuedRevision
        self.issuedAtMilliseconds = issuedAtMilliseconds
    }

    /// The token as the decision function sees it once presented.
    public var presented: PresentedToken {
        PresentedToken(
            jti: jti, subject: subject, chain: chain, scopes: scopes, issuedAtRevision: issuedRevision,
            expiresAtMilliseconds: expiresAtMilliseconds, issuedAtMilliseconds: issuedAtMilliseconds)
    }
}

extension IssuedToken {
    func write(into writer: inout ByteWriter) {
        writer.string(jti)
        writer.string(subject)
        writer.strings(chain)
        writer.strings(scopes)
        writer.signed(expiresAtMilliseconds)
        writer.unsigned(issuedRevision)
        writer.signed(issuedAtMilliseconds)
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> IssuedToken {
        IssuedToken(
            jti: try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "jti"),
            subject: try reader.string(maximum: GovernanceLimits.maximumTupleFieldBytes, "subject"),
            chain: try reader.strings(
                maximumCount: GovernanceLimits.maximumChainLength,
                maximumBytes: GovernanceLimits.maximumIdentifierBytes, "chain"),
            scopes: try reader.strings(
                maximumCount: GovernanceLimits.maximumScopes, maximumBytes: GovernanceLimits.maximumScopeBytes, "scopes"),
            expiresAtMilliseconds: try reader.signed(),
            issuedRevision: try reader.unsigned(),
            issuedAtMilliseconds: try reader.signed())
    }
}
