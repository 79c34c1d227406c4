// MARK: - Agent kill and reinstatement

extension GovernanceState {
    /// Kills an agent. Every call appends an audit record, even for an agent already killed
    /// (the first kill record stays in force). Every chain containing the agent dies with it,
    /// because the decision checks every chain member's status.
    mutating func killAgent(
        _ id: String, reason: String, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.text(reason, "reason", allowEmpty: true)
        guard agents[id] != nil else { throw .notFound(kind: "agent", id: id) }
        let agent = kill(id, reason: reason, initiator: context.actor, context, &effects)
        return .agentKilled(agent.withoutSecret)
    }

    /// The kill itself, shared by the kill switch and the risk policy. The agent must exist.
    @discardableResult
    mutating func kill(
        _ id: String, reason: String, initiator: Actor, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) -> Agent {
        guard var agent = agents[id] else { preconditionFailure("kill of an unknown agent \(id)") }
        let alreadyKilled = agent.status == .killed
        if !alreadyKilled {
            agent.status = .killed
            agent.kill = KillRecord(revision: context.revision, reason: reason, initiator: initiator)
            agent.updatedRevision = context.revision
            agents[id] = agent
            effects.feed.append(.kill(agentID: id, revision: context.revision, reason: reason, initiator: initiator.auditName))
        }
        effects.record("agent_killed", subject: "agent:" + id, detail: [
            "reason": reason, "already_killed": String(alreadyKilled),
            "kill_revision": String(agent.kill?.revision ?? context.revision),
        ], actor: initiator)
        return agent
    }

    /// Makes a killed or suspended agent active, with `validAfter` raised to this revision so
    /// tokens minted before stay dead, and its risk score reset to 0 (a reinstated agent starts
    /// clean instead of being killed again by its next small signal).
    mutating func reinstateAgent(
        _ id: String, reason: String, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.text(reason, "reason", allowEmpty: true)
        guard var agent = agents[id] else { throw .notFound(kind: "agent", id: id) }
        guard agent.status != .active else { throw .preconditionFailed("agent '\(id)' is already active") }
        let previous = agent.status
        agent.status = .active
        agent.kill = nil
        agent.validAfter = context.revision
        agent.riskScore = 0
        agent.riskUpdatedAtMilliseconds = context.timestampMilliseconds
        agent.updatedRevision = context.revision
        agents[id] = agent
        effects.record("agent_reinstated", subject: "agent:" + id, detail: [
            "reason": reason, "previous_status": previous.name, "valid_after": String(context.revision),
        ])
        effects.feed.append(.reinstate(agentID: id, validAfter: context.revision))
        return .agent(agent.withoutSecret)
    }

    // MARK: - User kill

    /// Cuts a user's delegated access: from this revision every decision and token acting for
    /// `user:<id>` is denied until the user is reinstated. Every call is audited.
    mutating func killUser(
        _ id: String, reason: String, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.identifier(id, "id")
        try Validation.text(reason, "reason", allowEmpty: true)
        var user = try userForWrite(id)
        let alreadyCut = user.cutAtRevision != nil
        if !alreadyCut {
            user.cutAtRevision = context.revision
            user.updatedRevision = context.revision
            users[id] = user
            effects.feed.append(.userKill(userID: id, revision: context.revision))
        }
        effects.record("user_killed", subject: "user:" + id, detail: [
            "reason": reason, "already_cut": String(alreadyCut), "cut_revision": String(user.cutAtRevision ?? context.revision),
        ])
        return .user(user)
    }

    /// Restores a cut user's delegated access; tokens for the user minted before stay dead.
    mutating func reinstateUser(
        _ id: String, reason: String, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.text(reason, "reason", allowEmpty: true)
        guard var user = users[id] else { throw .notFound(kind: "user", id: id) }
        guard user.cutAtRevision != nil else { throw .preconditionFailed("user '\(id)' is not cut") }
        user.cutAtRevision = nil
        user.delegationValidAfter = context.revision
        user.updatedRevision = context.revision
        users[id] = user
        effects.record("user_reinstated", subject: "user:" + id, detail: ["reason": reason, "valid_after": String(context.revision)])
        effects.feed.append(.userReinstate(userID: id, delegationValidAfter: context.revision))
        return .user(user)
    }

    // MARK: - Tokens

    /// Revokes a token id until it would expire anyway (the later of the given expiry and the
    /// recorded one, so a short expiry cannot resurrect a recorded token by an early sweep).
    mutating func revokeToken(
        _ jti: String, _ expiresAt: Int64, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.identifier(jti, "jti")
        let known = max(issuedTokens[jti]?.expiresAtMilliseconds ?? expiresAt, revokedTokens[jti] ?? expiresAt)
        let until = max(expiresAt, known)
        guard revokedTokens[jti] != nil || revokedTokens.count < GovernanceLimits.maximumLiveTokens else {
            throw .preconditionFailed("the revoked token table is full")
        }
        revokedTokens[jti] = until
        effects.record("token_revoked", subject: "token:" + jti, detail: ["expires_at_ms": String(until)])
        effects.feed.append(.tokenRevoked(jti: jti, expiresAtMilliseconds: until))
        return .tokenRevoked(jti: jti)
    }
}
