import Authorization

// MARK: - Agents

extension GovernanceState {
    mutating func registerAgent(
        _ registration: AgentRegistration, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.identifier(registration.id, "id")
        try Validation.text(registration.name, "name")
        try Validation.identifier(registration.owner, "owner")
        let scopes = try Validation.scopes(registration.scopes, "scopes")
        try Validation.attributes(registration.attributes, "attributes", maximumBytes: GovernanceLimits.maximumAttributesBytes)
        try Validation.bytes(registration.secretHash, "secret_hash", maximum: GovernanceLimits.maximumSecretHashBytes)
        guard agents[registration.id] == nil else { throw .alreadyExists(kind: "agent", id: registration.id) }
        guard agents.count < GovernanceLimits.maximumAgents else { throw .preconditionFailed("the agent table is full") }
        // validAfter = this revision: tokens of an earlier agent with the same id stay dead.
        let agent = Agent(
            id: registration.id, name: registration.name, owner: registration.owner, kind: registration.kind,
            scopes: scopes, attributes: registration.attributes, secretHash: registration.secretHash,
            riskUpdatedAtMilliseconds: context.timestampMilliseconds, validAfter: context.revision,
            createdRevision: context.revision, updatedRevision: context.revision)
        agents[agent.id] = agent
        effects.record(
            Command.registerAgent(registration).name, subject: "agent:" + agent.id,
            detail: ["kind": agent.kind.name, "owner": agent.owner, "scopes": scopes.joined(separator: " ")])
        effects.feed.append(.agent(agent.withoutSecret))
        return .agent(agent.withoutSecret)
    }

    mutating func updateAgent(
        _ update: AgentUpdate, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        guard var agent = agents[update.id] else { throw .notFound(kind: "agent", id: update.id) }
        var changed: [String] = []
        if let name = update.name { try Validation.text(name, "name"); agent.name = name; changed.append("name") }
        if let owner = update.owner { try Validation.identifier(owner, "owner"); agent.owner = owner; changed.append("owner") }
        if let scopes = update.scopes { agent.scopes = try Validation.scopes(scopes, "scopes"); changed.append("scopes") }
        if let attributes = update.attributes {
            try Validation.attributes(attributes, "attributes", maximumBytes: GovernanceLimits.maximumAttributesBytes)
            agent.attributes = attributes
            changed.append("attributes")
        }
        if let secretHash = update.secretHash {
            try Validation.bytes(secretHash, "secret_hash", maximum: GovernanceLimits.maximumSecretHashBytes)
            agent.secretHash = secretHash
            changed.append("secret")
        }
        if let status = update.status {
            guard status != .killed else { throw .invalidArgument(field: "status", message: "use the kill switch to kill") }
            guard agent.status != .killed else { throw .preconditionFailed("agent '\(agent.id)' is killed: reinstate it") }
            agent.status = status
            changed.append("status")
        }
        agent.updatedRevision = context.revision
        agents[agent.id] = agent
        effects.record(Command.updateAgent(update).name, subject: "agent:" + agent.id, detail: [
            "fields": changed.joined(separator: " "), "status": agent.status.name,
        ])
        effects.feed.append(.agent(agent.withoutSecret))
        return .agent(agent.withoutSecret)
    }

    /// Deleting an agent also deletes every connection naming it, so a later agent with the
    /// same id does not inherit them.
    mutating func deleteAgent(_ id: String, _ context: ApplyContext, _ effects: inout ApplyEffects) throws(Rejection) -> CommandResult {
        guard agents[id] != nil else { throw .notFound(kind: "agent", id: id) }
        agents[id] = nil
        let naming = connections.values.filter { $0.caller == id || $0.callee == id }.map(\.id).sorted()
        for connectionID in naming { removeConnection(connectionID, &effects) }
        effects.record(Command.deleteAgent(id: id).name, subject: "agent:" + id, detail: [
            "connections_deleted": naming.joined(separator: " "),
        ])
        effects.feed.append(.agentDeleted(id: id))
        return .deleted(kind: "agent", id: id)
    }

    // MARK: - Users

    mutating func setUserAttributes(
        _ userID: String, _ attributes: [String: ConditionValue], _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.identifier(userID, "id")
        try Validation.attributes(attributes, "attributes", maximumBytes: GovernanceLimits.maximumAttributesBytes)
        var user = try userForWrite(userID)
        user.attributes = attributes
        user.updatedRevision = context.revision
        users[userID] = user
        effects.record("user_updated", subject: "user:" + userID, detail: ["attributes": attributes.keys.sorted().joined(separator: " ")])
        effects.feed.append(.user(user))
        return .user(user)
    }

    /// The user to change, a fresh one when unknown (users are external and created by first write).
    func userForWrite(_ userID: String) throws(Rejection) -> User {
        if let user = users[userID] { return user }
        guard users.count < GovernanceLimits.maximumUsers else { throw .preconditionFailed("the user table is full") }
        return User(id: userID, attributes: [:])
    }

    // MARK: - Connections

    mutating func createConnection(
        _ proposed: Connection, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.identifier(proposed.id, "id")
        try Validation.identifier(proposed.caller, "caller")
        try Validation.identifier(proposed.callee, "callee")
        let scopes = try Validation.scopes(proposed.scopes, "scopes", allowEmpty: false)
        guard (1...GovernanceLimits.maximumTokenTTLSeconds).contains(proposed.maxTokenTTLSeconds) else {
            throw .invalidArgument(field: "max_token_ttl_seconds", message: "must be 1 to \(GovernanceLimits.maximumTokenTTLSeconds)")
        }
        if let expiresAt = proposed.expiresAtMilliseconds, expiresAt <= context.timestampMilliseconds {
            throw .invalidArgument(field: "expires_at", message: "must be in the future")
        }
        guard proposed.caller != proposed.callee else { throw .invalidArgument(field: "callee", message: "must differ from caller") }
        guard agents[proposed.caller] != nil else { throw .notFound(kind: "agent", id: proposed.caller) }
        guard agents[proposed.callee] != nil else { throw .notFound(kind: "agent", id: proposed.callee) }
        guard connections[proposed.id] == nil else { throw .alreadyExists(kind: "connection", id: proposed.id) }
        if let existing = connection(from: proposed.caller, to: proposed.callee) {
            throw .conflict("connection '\(existing.id)' already connects \(proposed.caller) to \(proposed.callee)")
        }
        guard connections.count < GovernanceLimits.maximumConnections else { throw .preconditionFailed("the connection table is full") }
        var connection = proposed
        connection.scopes = scopes
        connection.createdRevision = context.revision
        connections[connection.id] = connection
        connectionIDByPair[Self.pairKey(connection.caller, connection.callee)] = connection.id
        effects.record(Command.createConnection(proposed).name, subject: "connection:" + connection.id, detail: [
            "caller": connection.caller, "callee": connection.callee, "scopes": scopes.joined(separator: " "),
            "max_token_ttl_seconds": String(connection.maxTokenTTLSeconds),
        ])
        effects.feed.append(.connection(connection))
        return .connection(connection)
    }

    mutating func deleteConnection(_ id: String, _ context: ApplyContext, _ effects: inout ApplyEffects) throws(Rejection) -> CommandResult {
        guard connections[id] != nil else { throw .notFound(kind: "connection", id: id) }
        removeConnection(id, &effects)
        effects.record(Command.deleteConnection(id: id).name, subject: "connection:" + id)
        return .deleted(kind: "connection", id: id)
    }

    private mutating func removeConnection(_ id: String, _ effects: inout ApplyEffects) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        connectionIDByPair[Self.pairKey(connection.caller, connection.callee)] = nil
        effects.feed.append(.connectionDeleted(id: id))
    }
}
