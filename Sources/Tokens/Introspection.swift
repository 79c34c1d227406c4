import Governance
import JSON

// MARK: - Introspection (RFC 7662)

/// The answer to `POST /oauth/introspect`. An inactive answer carries `active: false` and
/// nothing else, so it never tells a prober why.
public struct IntrospectionResponse: Sendable, Hashable {
    /// Whether the token is alive now.
    public var active: Bool
    /// The token's claims when active, nil otherwise.
    public var claims: AccessTokenClaims?

    /// The inactive answer.
    public static let inactive = IntrospectionResponse(active: false, claims: nil)

    /// `{"active":false}`, or the active token's `scope`, `client_id`, `sub`, `aud`, `iss`, `exp`,
    /// `iat`, `jti`, `token_type` and `act` (the nested chain, outermost = current actor).
    public var jsonValue: JSONValue {
        guard active, let claims else { return ["active": .bool(false)] }
        var members: [String: JSONValue] = [
            "active": .bool(true), "scope": .string(claims.scopeClaim), "client_id": .string(claims.clientID),
            "sub": .string(claims.subject), "aud": .string(claims.audience), "iss": .string(claims.issuer),
            "exp": .integer(claims.expiresAt), "iat": .integer(claims.issuedAt), "jti": .string(claims.jwtID),
            "token_type": .string(GrantService.bearer),
            AccessTokenClaims.Name.wardenRevision: .integer(Int64(clamping: claims.wardenRevision)),
        ]
        if let act = AccessTokenClaims.actClaim(for: claims.actorChain) { members["act"] = act }
        return .object(members)
    }
}

/// RFC 7662 introspection logic. The server runs it on linearizably read state, so a token whose
/// chain member was killed is inactive as soon as the kill has returned.
public enum Introspection {
    /// Active only when the token verifies (known key, good signature, issuer, not retired by the
    /// replicated key table) and `TokenLiveness.problem` finds nothing: unexpired, recorded,
    /// not revoked, every chain member active and not reinstated since, subject not cut.
    public static func introspect(
        token: String, state: GovernanceState, verifier: TokenVerifier, nowMilliseconds: Int64
    ) -> IntrospectionResponse {
        guard let verified = try? TokenLiveness.verify(token, verifier: verifier, state: state, nowMilliseconds: nowMilliseconds)
        else { return .inactive }
        let presented = PresentedToken(verified: verified)
        guard TokenLiveness.problem(presented, state: state, nowMilliseconds: nowMilliseconds) == nil else { return .inactive }
        return IntrospectionResponse(active: true, claims: verified.claims)
    }
}

// MARK: - Revocation (RFC 7009)

/// RFC 7009 revocation logic: which command, if any, revoking a presented token takes.
public enum Revocation {
    /// What to do with a revocation request.
    public enum Outcome: Sendable, Hashable {
        /// Propose this command (`Command.revokeToken`) and answer 200 once it commits.
        case propose(Command)
        /// Answer 200 at once: the token is not one of ours or can no longer be used (RFC 7009 §2.2).
        case nothingToDo
        /// Refuse: an agent asked to revoke a token that was not issued to it (RFC 7009 §2.1).
        case refused(OAuthError)
    }

    /// The revocation for `token`: a token that verifies (whatever its liveness, so a token of a
    /// killed chain can still be revoked for good) gives `revokeToken(jti, expiry)`; anything else,
    /// including an expired token or one already revoked, gives `.nothingToDo`. When an agent
    /// revokes (`requestingClientID`, the authenticated client), the token must have been issued to
    /// it; an operator with an API key passes nil.
    public static func prepare(
        token: String, state: GovernanceState, verifier: TokenVerifier, nowMilliseconds: Int64,
        requestingClientID: String? = nil
    ) -> Outcome {
        guard let verified = try? TokenLiveness.verify(token, verifier: verifier, state: state, nowMilliseconds: nowMilliseconds)
        else { return .nothingToDo }
        if let requestingClientID, requestingClientID != verified.claims.clientID {
            return .refused(OAuthError(.unauthorizedClient, "a client may revoke only tokens issued to it"))
        }
        let presented = PresentedToken(verified: verified)
        guard nowMilliseconds < presented.expiresAtMilliseconds, state.revokedTokens[presented.jti] == nil else {
            return .nothingToDo
        }
        return .propose(.revokeToken(jti: presented.jti, expiresAtMilliseconds: presented.expiresAtMilliseconds))
    }
}
