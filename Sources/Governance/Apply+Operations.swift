// MARK: - Settings

extension GovernanceState {
    mutating func setSettings(_ proposed: Settings, _ context: ApplyContext, _ effects: inout ApplyEffects) throws(Rejection) -> CommandResult {
        let riskBound = GovernanceLimits.maximumRiskSetting
        guard proposed.riskThreshold.isFinite, proposed.riskThreshold > 0, proposed.riskThreshold <= riskBound else {
            throw .invalidArgument(field: "risk_threshold", message: "must be above 0 and at most \(riskBound)")
        }
        guard proposed.riskDecayPerHour.isFinite, proposed.riskDecayPerHour >= 0, proposed.riskDecayPerHour <= riskBound else {
            throw .invalidArgument(field: "risk_decay_per_hour", message: "must be 0 to \(riskBound)")
        }
        guard (1...GovernanceLimits.maximumEnforcerLeaseMilliseconds).contains(proposed.enforcerLeaseMilliseconds) else {
            throw .invalidArgument(field: "enforcer_lease_ms", message: "must be 1 to \(GovernanceLimits.maximumEnforcerLeaseMilliseconds)")
        }
        guard (1...GovernanceLimits.maximumTokenTTLSeconds).contains(proposed.tokenTTLSeconds) else {
            throw .invalidArgument(field: "token_ttl_seconds", message: "must be 1 to \(GovernanceLimits.maximumTokenTTLSeconds)")
        }
        settings = proposed
        effects.record(Command.setSettings(proposed).name, subject: "settings", detail: [
            "risk_threshold": String(proposed.riskThreshold), "risk_decay_per_hour": String(proposed.riskDecayPerHour),
            "enforcer_lease_ms": String(proposed.enforcerLeaseMilliseconds), "token_ttl_seconds": String(proposed.tokenTTLSeconds),
        ])
        effects.feed.append(.settings(proposed))
        return .settings(proposed)
    }

    // MARK: - API keys

    mutating func createAPIKey(_ proposed: APIKey, _ context: ApplyContext, _ effects: inout ApplyEffects) throws(Rejection) -> CommandResult {
        try Validation.identifier(proposed.id, "id")
        try Validation.text(proposed.name, "name")
        try Validation.bytes(proposed.keyHash, "key_hash", maximum: GovernanceLimits.maximumSecretHashBytes)
        guard apiKeys[proposed.id] == nil else { throw .alreadyExists(kind: "api_key", id: proposed.id) }
        guard apiKeys.count < GovernanceLimits.maximumAPIKeys else { throw .preconditionFailed("the API key table is full") }
        var key = proposed
        key.createdRevision = context.revision
        apiKeys[key.id] = key
        effects.record(Command.createAPIKey(proposed).name, subject: "api_key:" + key.id, detail: ["role": key.role.name, "name": key.name])
        return .apiKey(key)
    }

    mutating func deleteAPIKey(_ id: String, _ context: ApplyContext, _ effects: inout ApplyEffects) throws(Rejection) -> CommandResult {
        guard apiKeys.removeValue(forKey: id) != nil else { throw .notFound(kind: "api_key", id: id) }
        effects.record(Command.deleteAPIKey(id: id).name, subject: "api_key:" + id)
        return .deleted(kind: "api_key", id: id)
    }

    // MARK: - Signing keys

    mutating func addSigningKey(
        _ kid: String, _ publicKey: [UInt8], _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.identifier(kid, "kid")
        try Validation.bytes(publicKey, "public_key", maximum: GovernanceLimits.maximumPublicKeyBytes)
        guard signingKeys[kid] == nil else { throw .alreadyExists(kind: "signing_key", id: kid) }
        guard signingKeys.count < GovernanceLimits.maximumSigningKeys else { throw .preconditionFailed("the signing key table is full") }
        let key = SigningKey(kid: kid, publicKey: publicKey, addedRevision: context.revision)
        signingKeys[kid] = key
        effects.record(Command.addSigningKey(kid: kid, publicKey: publicKey).name, subject: "signing_key:" + kid)
        effects.feed.append(.signingKey(key))
        return .signingKey(key)
    }

    mutating func retireSigningKey(_ kid: String, _ context: ApplyContext, _ effects: inout ApplyEffects) throws(Rejection) -> CommandResult {
        guard var key = signingKeys[kid] else { throw .notFound(kind: "signing_key", id: kid) }
        guard key.retiredRevision == nil else { throw .preconditionFailed("signing key '\(kid)' is already retired") }
        key.retiredRevision = context.revision
        signingKeys[kid] = key
        effects.record(Command.retireSigningKey(kid: kid).name, subject: "signing_key:" + kid)
        effects.feed.append(.signingKey(key))
        return .signingKey(key)
    }

    // MARK: - Decision batches

    /// Applies a batch once per `(source, batchSeq)`: a batch at or below the highest applied for
    /// its source is a duplicate (a retry) and adds no records. Each decision becomes one
    /// `decision` audit record after one `decision_batch` record.
    mutating func applyDecisionBatch(
        _ batch: DecisionBatch, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.identifier(batch.source, "source")
        guard batch.decisions.count <= GovernanceLimits.maximumDecisionsPerBatch else {
            throw .invalidArgument(field: "decisions", message: "more than \(GovernanceLimits.maximumDecisionsPerBatch) records")
        }
        if let highest = decisionBatches[batch.source], batch.batchSeq <= highest {
            effects.record("decision_batch_duplicate", subject: "decision_source:" + batch.source, detail: [
                "batch_seq": String(batch.batchSeq), "highest_batch_seq": String(highest),
            ])
            return .decisionBatch(applied: false, recorded: 0)
        }
        for (index, record) in batch.decisions.enumerated() { try Self.validate(record, field: "decisions[\(index)]") }
        guard decisionBatches[batch.source] != nil || decisionBatches.count < GovernanceLimits.maximumDecisionSources else {
            throw .preconditionFailed("the decision source table is full")
        }
        decisionBatches[batch.source] = batch.batchSeq
        effects.record("decision_batch", subject: "decision_source:" + batch.source, detail: [
            "batch_seq": String(batch.batchSeq), "count": String(batch.decisions.count),
        ])
        for record in batch.decisions {
            var detail = [
                "decision_id": record.decisionID, "action": record.action, "resource": record.resource,
                "allowed": String(record.allowed), "reasons": record.reasons.joined(separator: " "),
                "decided_revision": String(record.revision), "decided_at_ms": String(record.timeMilliseconds),
                "source": batch.source,
            ]
            if let subject = record.subject { detail["on_behalf_of"] = subject }
            effects.record("decision", subject: "agent:" + record.agent, detail: detail)
        }
        return .decisionBatch(applied: true, recorded: batch.decisions.count)
    }

    private static func validate(_ record: DecisionRecord, field: String) throws(Rejection) {
        try Validation.identifier(record.decisionID, field + ".decision_id")
        try Validation.identifier(record.agent, field + ".agent")
        try Validation.identifier(record.action, field + ".action")
        try Validation.typedObject(record.resource, field + ".resource")
        if let subject = record.subject { try Validation.typedObject(subject, field + ".subject") }
        guard record.reasons.count <= GovernanceLimits.maximumReasonsPerDecision else {
            throw .invalidArgument(field: field + ".reasons", message: "more than \(GovernanceLimits.maximumReasonsPerDecision)")
        }
        for reason in record.reasons { try Validation.text(reason, field + ".reasons") }
    }
}
