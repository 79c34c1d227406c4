import JSON

/// The claims of a Warden access token: the RFC 9068 JWT profile for OAuth 2.0 access tokens, plus
/// the RFC 8693 `act` delegation chain and `warden_rev`, the revision the grant was decided at.
///
/// ## The delegation chain and `act`
///
/// `actorChain` lists agent ids in the order delegation happened: the first element is the
/// originating actor, the last is the current actor (the agent presenting this token). On the wire
/// it becomes nested `act` claims with the **outermost `act.sub` = the current actor**, each inner
/// `act` the actor before it (RFC 8693 §4.1). For `actorChain == ["planner", "search", "fetch"]`:
///
///     "act": {"sub": "fetch", "act": {"sub": "search", "act": {"sub": "planner"}}}
///
/// An empty chain (the subject's own agent acting directly) writes no `act` claim.
public struct AccessTokenClaims: Sendable, Hashable {
    /// `iss`: the cluster's issuer identifier.
    public var issuer: String
    /// `sub`: the user or originating service the token acts for.
    public var subject: String
    /// `aud`: the one resource server (callee) the token is for.
    public var audience: String
    /// `exp`: expiry, in seconds since the Unix epoch.
    public var expiresAt: Int64
    /// `iat`: issue time, in seconds since the Unix epoch.
    public var issuedAt: Int64
    /// `jti`: the unique token id (revocation is by `jti`).
    public var jwtID: String
    /// `scope`: granted scope tokens, written space-separated (RFC 6749 §3.3).
    public var scopes: [String]
    /// `client_id`: the agent the token was issued to.
    public var clientID: String
    /// The delegation chain, originating actor first, current actor last (see the type's notes).
    public var actorChain: [String]
    /// `warden_rev`: the replicated-state revision the grant was decided at.
    public var wardenRevision: UInt64

    /// Claims from their parts; `actorChain` defaults to no delegation.
    public init(
        issuer: String, subject: String, audience: String, expiresAt: Int64, issuedAt: Int64, jwtID: String,
        scopes: [String], clientID: String, actorChain: [String] = [], wardenRevision: UInt64
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.jwtID = jwtID
        self.scopes = scopes
        self.clientID = clientID
        self.actorChain = actorChain
        self.wardenRevision = wardenRevision
    }

    /// The agent presenting the token: the outermost `act.sub`, nil without delegation.
    public var currentActor: String? { actorChain.last }

    /// The agent that started the delegation: the innermost `act.sub`, nil without delegation.
    public var originatingActor: String? { actorChain.first }

    /// The `scope` claim as written: scope tokens joined by single spaces.
    public var scopeClaim: String { scopes.joined(separator: " ") }

    // MARK: - Claim names

    /// The registered and Warden claim names, so no caller spells them twice.
    public enum Name {
        /// Issuer.
        public static let issuer = "iss"
        /// Subject.
        public static let subject = "sub"
        /// Audience.
        public static let audience = "aud"
        /// Expiry.
        public static let expiresAt = "exp"
        /// Issue time.
        public static let issuedAt = "iat"
        /// Not-before (never written by Warden, honored when present).
        public static let notBefore = "nbf"
        /// Token id.
        public static let jwtID = "jti"
        /// Space-separated scopes.
        public static let scope = "scope"
        /// OAuth client id.
        public static let clientID = "client_id"
        /// RFC 8693 actor.
        public static let actor = "act"
        /// Warden revision.
        public static let wardenRevision = "warden_rev"
    }

    // MARK: - Encoding

    /// The claims as a JSON object; `JSONWriter()` turns it into the canonical payload bytes.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = [
            Name.issuer: .string(issuer),
            Name.subject: .string(subject),
            Name.audience: .string(audience),
            Name.expiresAt: .integer(expiresAt),
            Name.issuedAt: .integer(issuedAt),
            Name.jwtID: .string(jwtID),
            Name.scope: .string(scopeClaim),
            Name.clientID: .string(clientID),
            Name.wardenRevision: .integer(Int64(clamping: wardenRevision)),
        ]
        if let act = AccessTokenClaims.actClaim(for: actorChain) { members[Name.actor] = act }
        return .object(members)
    }

    /// The nested `act` value for a chain (outermost = last element = current actor); nil if empty.
    public static func actClaim(for actorChain: [String]) -> JSONValue? {
        var act: JSONValue?
        for actor in actorChain {
            var members: [String: JSONValue] = [Name.subject: .string(actor)]
            if let inner = act { members[Name.actor] = inner }
            act = .object(members)
        }
        return act
    }

    /// The chain (originating actor first) read from a nested `act` value.
    public static func actorChain(fromActClaim act: JSONValue?) throws(TokenVerificationError) -> [String] {
        var currentFirst: [String] = []
        var node = act
        while let current = node {
            guard case .object(let members) = current,
                members.keys.allSatisfy({ $0 == Name.subject || $0 == Name.actor }),
                case .string(let actor)? = members[Name.subject]
            else { throw .claimInvalid(Name.actor) }
            currentFirst.append(actor)
            guard currentFirst.count <= TokenLimits.maximumActorChainDepth else { throw .chainTooDeep }
            node = members[Name.actor]
        }
        return currentFirst.reversed()
    }
}

// MARK: - Decoding and rules

extension AccessTokenClaims {
    /// Claims read from a JWT claims set. Types are checked here; value rules by `checkRules()`.
    /// Unknown claims are ignored (RFC 7519 §4).
    public init(json: JSONValue) throws(TokenVerificationError) {
        guard case .object(let members) = json else { throw .malformed }
        func string(_ name: String) throws(TokenVerificationError) -> String {
            guard case .string(let value)? = members[name] else { throw .claimInvalid(name) }
            return value
        }
        func integer(_ name: String) throws(TokenVerificationError) -> Int64 {
            guard case .integer(let value)? = members[name] else { throw .claimInvalid(name) }
            return value
        }
        let revision = try integer(Name.wardenRevision)
        guard revision >= 0 else { throw .claimInvalid(Name.wardenRevision) }
        let scopeText = try string(Name.scope)
        let scopes = scopeText.isEmpty ? [] : scopeText.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        self.init(
            issuer: try string(Name.issuer), subject: try string(Name.subject), audience: try string(Name.audience),
            expiresAt: try integer(Name.expiresAt), issuedAt: try integer(Name.issuedAt), jwtID: try string(Name.jwtID),
            scopes: scopes, clientID: try string(Name.clientID),
            actorChain: try AccessTokenClaims.actorChain(fromActClaim: members[Name.actor]),
            wardenRevision: UInt64(revision))
    }

    /// Checks every value rule; the signer and the verifier both apply it, so nothing is signed
    /// that would not verify.
    func checkRules() throws(TokenSigningError) {
        guard actorChain.count <= TokenLimits.maximumActorChainDepth else { throw .chainTooDeep }
        let identifiers: [(String, String)] = [
            (Name.issuer, issuer), (Name.subject, subject), (Name.audience, audience), (Name.jwtID, jwtID),
            (Name.clientID, clientID),
        ]
        for (name, value) in identifiers where !AccessTokenClaims.isValidIdentifier(value) {
            throw .claimInvalid(name)
        }
        for actor in actorChain where !AccessTokenClaims.isValidIdentifier(actor) { throw .claimInvalid(Name.actor) }
        for scope in scopes where !AccessTokenClaims.isValidScopeToken(scope) { throw .claimInvalid(Name.scope) }
        guard issuedAt >= 0 else { throw .claimInvalid(Name.issuedAt) }
        guard expiresAt > issuedAt, expiresAt - issuedAt <= TokenLimits.maximumTokenLifetimeSeconds else {
            throw .claimInvalid(Name.expiresAt)
        }
        guard wardenRevision <= UInt64(Int64.max) else { throw .claimInvalid(Name.wardenRevision) }
    }

    /// Non-empty, bounded, and free of control characters.
    static func isValidIdentifier(_ value: String) -> Bool {
        let bytes = value.utf8
        return !bytes.isEmpty && bytes.count <= TokenLimits.maximumClaimStringByteCount
            && !bytes.contains { $0 < 0x20 || $0 == 0x7F }
    }

    /// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
    static func isValidScopeToken(_ scope: String) -> Bool {
        let bytes = scope.utf8
        return !bytes.isEmpty && bytes.count <= TokenLimits.maximumClaimStringByteCount
            && bytes.allSatisfy { $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) }
    }
}
