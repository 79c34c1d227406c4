import Authorization

// MARK: - Grants and refusals

/// What a token-exchange or client-credentials request may be granted.
public struct DelegationGrant: Sendable, Hashable {
    /// Whom the new token acts for.
    public var subject: String
    /// The new chain (the caller token's chain plus the actor).
    public var chain: [String]
    /// The granted scopes, sorted.
    public var scopes: [String]
    /// Expiry: the smallest of every cap that applies.
    public var expiresAtMilliseconds: Int64
    /// The connection that allowed the hop (nil for a first token).
    public var connectionID: String?
}

/// The OAuth 2.0 error codes a refusal uses.
public enum OAuthErrorCode: String, Sendable, Hashable {
    /// The presented token or grant is not valid (expired, revoked, killed chain, cut subject).
    case invalidGrant = "invalid_grant"
    /// No scope survives, or a requested scope is not held.
    case invalidScope = "invalid_scope"
    /// Policy refuses: no connection, chain too long, a cycle, an inactive actor.
    case accessDenied = "access_denied"
}

/// Why a token may not be issued: an OAuth code and a description naming the rule.
public struct DelegationRefusal: Error, Sendable, Hashable {
    /// The OAuth `error`.
    public var error: OAuthErrorCode
    /// The OAuth `error_description`.
    public var description: String
}

// MARK: - Policy

extension GovernanceState {
    /// Token exchange: may `actor` (the callee, audience) receive a token delegated from
    /// `callerToken` (whose last chain member is the caller)? No connection, no delegation.
    /// Scopes = requested (default: all the caller token's) ∩ caller token's ∩ connection's;
    /// lifetime ≤ caller token's expiry, the connection's cap and expiry, and the global TTL.
    public func authorizeDelegation(
        callerToken: PresentedToken, actor: String, requestedScopes: [String]?, nowMilliseconds: Int64
    ) -> Result<DelegationGrant, DelegationRefusal> {
        var problems: [DecisionReason] = []
        checkToken(callerToken, nowMilliseconds: nowMilliseconds, &problems)
        if let problem = problems.first {
            return .failure(DelegationRefusal(error: .invalidGrant, description: "caller token is not valid: \(problem.code)"))
        }
        guard let callee = agents[actor], callee.status == .active else {
            return .failure(DelegationRefusal(error: .accessDenied, description: "actor '\(actor)' is not an active agent"))
        }
        if callerToken.chain.contains(actor) {
            return .failure(DelegationRefusal(error: .accessDenied, description: "delegation cycle: '\(actor)' is already in the chain"))
        }
        guard callerToken.chain.count < GovernanceLimits.maximumChainLength else {
            return .failure(DelegationRefusal(
                error: .accessDenied, description: "chain depth is bounded at \(GovernanceLimits.maximumChainLength) hops"))
        }
        let caller = callerToken.chain[callerToken.chain.count - 1]
        guard let connection = connection(from: caller, to: actor), connection.isLive(atMilliseconds: nowMilliseconds) else {
            return .failure(DelegationRefusal(error: .accessDenied, description: "no connection from '\(caller)' to '\(actor)'"))
        }
        let requested = requestedScopes ?? callerToken.scopes
        if let invalid = requested.first(where: { !Scope.isValid($0) }) {
            return .failure(DelegationRefusal(error: .invalidScope, description: "malformed scope '\(invalid)'"))
        }
        let scopes = Scope.intersect(Scope.intersect(requested, callerToken.scopes), connection.scopes)
        guard !scopes.isEmpty else {
            return .failure(DelegationRefusal(
                error: .invalidScope, description: "requested ∩ caller token's ∩ connection '\(connection.id)' scopes is empty"))
        }
        var expiresAt = min(callerToken.expiresAtMilliseconds, nowMilliseconds &+ connection.maxTokenTTLSeconds * 1_000)
        expiresAt = min(expiresAt, nowMilliseconds &+ settings.tokenTTLSeconds * 1_000)
        if let connectionExpiry = connection.expiresAtMilliseconds { expiresAt = min(expiresAt, connectionExpiry) }
        return .success(DelegationGrant(
            subject: callerToken.subject, chain: callerToken.chain + [actor], scopes: scopes,
            expiresAtMilliseconds: expiresAt, connectionID: connection.id))
    }

    /// Client credentials: the first token of a chain. Scopes = requested (default: all the
    /// agent's), each of which the agent's scopes must grant. `onBehalfOf` may name only a user,
    /// not cut, and only the agent's owner unless the agent's attribute `act_for_any_user` is
    /// `true`. Lifetime = the global token TTL.
    public func authorizeClientCredentials(
        agent id: String, requestedScopes: [String]?, onBehalfOf: String?, nowMilliseconds: Int64
    ) -> Result<DelegationGrant, DelegationRefusal> {
        guard let agent = agents[id], agent.status == .active else {
            return .failure(DelegationRefusal(error: .invalidGrant, description: "agent '\(id)' is not an active agent"))
        }
        let requested = requestedScopes ?? agent.scopes
        for scope in requested where !Scope.isValid(scope) || !Scope.grants(agent.scopes, scope: scope) {
            return .failure(DelegationRefusal(error: .invalidScope, description: "scope '\(scope)' is not among the agent's scopes"))
        }
        let scopes = Array(Set(requested)).sorted()
        guard !scopes.isEmpty else { return .failure(DelegationRefusal(error: .invalidScope, description: "no scope requested")) }
        var subject = "agent:" + id
        if let onBehalfOf {
            if let refusal = onBehalfOfRefusal(onBehalfOf, agent: agent) { return .failure(refusal) }
            subject = onBehalfOf
        }
        return .success(DelegationGrant(
            subject: subject, chain: [id], scopes: scopes,
            expiresAtMilliseconds: nowMilliseconds &+ settings.tokenTTLSeconds * 1_000, connectionID: nil))
    }

    /// The attribute that lets an agent act for users other than its owner.
    public static let actForAnyUserAttribute = "act_for_any_user"

    private func onBehalfOfRefusal(_ subject: String, agent: Agent) -> DelegationRefusal? {
        guard let userID = Self.userID(of: subject), Validation.isIdentifier(userID) else {
            return DelegationRefusal(error: .accessDenied, description: "on_behalf_of must name a user (user:<id>)")
        }
        if users[userID]?.cutAtRevision != nil {
            return DelegationRefusal(error: .accessDenied, description: "delegated access for '\(subject)' is cut")
        }
        guard userID == agent.owner || agent.attributes[Self.actForAnyUserAttribute] == .bool(true) else {
            return DelegationRefusal(
                error: .accessDenied,
                description: "agent '\(agent.id)' may act only for its owner unless attribute act_for_any_user is true")
        }
        return nil
    }
}
