// MARK: - Token issuance

extension GovernanceState {
    /// Records an issued token after re-validating it against the state at this revision, so
    /// issuance is linearizable with kills: every chain member active, no cycle, chain within
    /// bound, subject not cut (a service subject active), each hop backed by a live connection,
    /// scopes within the first agent's (one-member chain) or the last connection's, expiry in
    /// the future and within the global TTL, and a fresh `jti`.
    mutating func recordIssuedToken(
        _ proposed: IssuedToken, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.identifier(proposed.jti, "jti")
        try Validation.typedObject(proposed.subject, "subject")
        let scopes = try Validation.scopes(proposed.scopes, "scopes", allowEmpty: false)
        if let problem = Self.chainProblem(proposed.chain) { throw .invalidArgument(field: "chain", message: problem) }
        for member in proposed.chain {
            try Validation.identifier(member, "chain")
            guard let agent = agents[member] else { throw .notFound(kind: "agent", id: member) }
            guard agent.status == .active else { throw .preconditionFailed("chain member '\(member)' is \(agent.status.name)") }
        }
        try checkIssuedSubject(proposed.subject)
        let granting = try grantingScopes(proposed.chain, now: context.timestampMilliseconds)
        for scope in scopes where !Scope.grants(granting, scope: scope) {
            throw .invalidArgument(field: "scopes", message: "'\(scope)' is not granted along the chain")
        }
        let now = context.timestampMilliseconds
        let (lifetime, overflow) = proposed.expiresAtMilliseconds.subtractingReportingOverflow(now)
        guard proposed.expiresAtMilliseconds > now, !overflow, lifetime <= settings.tokenTTLSeconds * 1_000 else {
            throw .invalidArgument(field: "expires_at", message: "must be in the future and within token_ttl_seconds")
        }
        guard issuedTokens[proposed.jti] == nil, revokedTokens[proposed.jti] == nil else {
            throw .alreadyExists(kind: "token", id: proposed.jti)
        }
        guard issuedTokens.count < GovernanceLimits.maximumLiveTokens else { throw .preconditionFailed("the issued token table is full") }
        var token = proposed
        token.scopes = scopes
        token.issuedRevision = context.revision
        token.issuedAtMilliseconds = now
        issuedTokens[token.jti] = token
        effects.record("token_issued", subject: "token:" + token.jti, detail: [
            "subject": token.subject, "scopes": scopes.joined(separator: " "), "expires_at_ms": String(token.expiresAtMilliseconds),
        ], chain: token.chain)
        return .tokenIssued(token)
    }

    private func checkIssuedSubject(_ subject: String) throws(Rejection) {
        if let userID = Self.userID(of: subject) {
            if users[userID]?.cutAtRevision != nil { throw .preconditionFailed("delegated access for '\(subject)' is cut") }
        } else if let serviceID = Self.serviceID(of: subject) {
            guard agents[serviceID]?.status == .active else { throw .preconditionFailed("subject '\(subject)' is not an active agent") }
        } else {
            throw .invalidArgument(field: "subject", message: "must be user:<id> or agent:<id>")
        }
    }

    /// The scopes the chain can carry: the first agent's for a one-member chain, else the last
    /// hop's connection's; every hop needs a live connection.
    private func grantingScopes(_ chain: [String], now: Int64) throws(Rejection) -> [String] {
        guard chain.count > 1 else { return agents[chain[0]]?.scopes ?? [] }
        var last: Connection?
        for index in 1..<chain.count {
            guard let hop = connection(from: chain[index - 1], to: chain[index]), hop.isLive(atMilliseconds: now) else {
                throw .preconditionFailed("no live connection from '\(chain[index - 1])' to '\(chain[index])'")
            }
            last = hop
        }
        return last?.scopes ?? []
    }
}
