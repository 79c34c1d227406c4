import Crypto
import Governance
import JSON

// MARK: - Verification against the replicated state

/// Whether a presented Warden token is alive *now* against a `GovernanceState`: what
/// introspection, revocation and token exchange share.
///
/// Two steps. `verify` checks the JWS with the key ring (any audience: the authorization server
/// accepts its own tokens whatever resource server they name) and the replicated key table (a
/// key retired at revision R verifies only tokens whose `warden_rev` is below R, until they
/// expire). `problem` then applies the decision function's token rules: the `jti` is recorded
/// with the same subject, chain, scopes, expiry and revision, not revoked, unexpired, every chain member exists and is active and was not
/// reinstated after the token was minted, the chain is well formed, and the subject is neither
/// a cut user nor an inactive service.
public enum TokenLiveness {
    /// Why a token that verified is nonetheless dead, named for the error description.
    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        /// `exp` has passed.
        case expired
        /// The `jti` is revoked.
        case revoked
        /// The cluster has no record of this `jti` with these claims.
        case notRecorded
        /// The chain is empty, too long, or names an agent twice.
        case chainInvalid(String)
        /// A chain member is unknown (deleted).
        case memberUnknown(String)
        /// A chain member is killed.
        case memberKilled(String)
        /// A chain member is suspended.
        case memberSuspended(String)
        /// A chain member was reinstated (or re-registered) after the token was minted.
        case predatesReinstatement(String)
        /// The subject user's delegated access is cut (or was restored after minting).
        case subjectCut(String)
        /// The subject service is unknown or not active.
        case subjectInactive(String)

        /// The liveness problem a decision reason names, nil for reasons that are not about the token.
        init?(_ reason: DecisionReason) {
            switch reason {
            case .tokenExpired: self = .expired
            case .tokenRevoked: self = .revoked
            case .chainInvalid(let problem): self = .chainInvalid(problem)
            case .chainMemberUnknown(let id): self = .memberUnknown(id)
            case .chainMemberKilled(let id): self = .memberKilled(id)
            case .chainMemberSuspended(let id): self = .memberSuspended(id)
            case .tokenPredatesReinstatement(let id): self = .predatesReinstatement(id)
            case .subjectCut(let subject): self = .subjectCut(subject)
            default: return nil
            }
        }

        /// The rule, in words.
        public var description: String {
            switch self {
            case .expired: return "token expired"
            case .revoked: return "token revoked"
            case .notRecorded: return "token not recorded by the cluster"
            case .chainInvalid(let problem): return "delegation chain invalid: \(problem)"
            case .memberUnknown(let id): return "chain member '\(id)' is not registered"
            case .memberKilled(let id): return "chain member '\(id)' is killed"
            case .memberSuspended(let id): return "chain member '\(id)' is suspended"
            case .predatesReinstatement(let id): return "token minted before chain member '\(id)' was reinstated (valid_after)"
            case .subjectCut(let subject): return "delegated access for '\(subject)' is cut"
            case .subjectInactive(let subject): return "subject '\(subject)' is not an active agent"
            }
        }
    }

    /// Verifies `token`'s signature, issuer and times with `verifier`'s key ring and issuer, for
    /// any audience, then the replicated key-retirement rule.
    public static func verify(
        _ token: String, verifier: TokenVerifier, state: GovernanceState, nowMilliseconds: Int64
    ) throws(TokenVerificationError) -> VerifiedToken {
        let nowSeconds = nowMilliseconds / millisecondsPerSecond
        guard let audience = unverifiedAudience(token) else { throw .malformed }
        let anyAudience = TokenVerifier(keyRing: verifier.keyRing, expectedIssuer: verifier.expectedIssuer, expectedAudience: audience)
        let verified = try anyAudience.verify(token, nowSeconds: nowSeconds)
        if let retired = state.signingKeys[verified.keyID]?.retiredRevision, verified.claims.wardenRevision >= retired {
            throw .keyRetired
        }
        return verified
    }

    /// The `aud` claim read before verification, only to pick the audience to verify against;
    /// the signature check that follows covers it.
    static func unverifiedAudience(_ token: String) -> String? {
        guard token.utf8.count <= TokenLimits.maximumTokenByteCount else { return nil }
        let segments = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3, let payload = Base64URL.decode(Array(segments[1])),
            let claims = try? JSONParser.parse(payload, maximumDepth: TokenLimits.maximumClaimsJSONDepth),
            case .string(let audience)? = claims[AccessTokenClaims.Name.audience]
        else { return nil }
        return audience
    }

    /// The first rule that makes `token` dead at `nowMilliseconds`, nil when it is alive: the
    /// cluster must have recorded it, then the decision function's own token rules apply.
    public static func problem(_ token: PresentedToken, state: GovernanceState, nowMilliseconds: Int64) -> Problem? {
        if nowMilliseconds >= token.expiresAtMilliseconds { return .expired }
        if state.revokedTokens[token.jti] != nil { return .revoked }
        guard let record = state.issuedTokens[token.jti], record.subject == token.subject, record.chain == token.chain,
            record.issuedRevision == token.issuedAtRevision, record.scopes == token.scopes,
            record.expiresAtMilliseconds == token.expiresAtMilliseconds
        else { return .notRecorded }
        for reason in state.tokenProblems(token, nowMilliseconds: nowMilliseconds) {
            if let problem = Problem(reason) { return problem }
        }
        return subjectProblem(token, state: state)
    }

    /// A service subject must be a registered, active agent (users are covered by the
    /// decision's `subject_cut` rule).
    private static func subjectProblem(_ token: PresentedToken, state: GovernanceState) -> Problem? {
        if token.subject.hasPrefix(userPrefix) { return nil }
        if let prefix = [agentPrefix, servicePrefix].first(where: { token.subject.hasPrefix($0) }) {
            let serviceID = String(token.subject.dropFirst(prefix.count))
            guard state.agents[serviceID]?.status == .active else { return .subjectInactive(token.subject) }
            return nil
        }
        return .subjectInactive(token.subject)
    }

    /// Subject prefix of a user.
    static let userPrefix = "user:"
    /// Subject prefix of an agent or service.
    static let agentPrefix = "agent:"
    /// The alias Governance accepts for `agent:` subjects.
    static let servicePrefix = "service:"
}
