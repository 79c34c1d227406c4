import Authorization
import Governance
import JSON

// MARK: - Rendering state as API JSON

/// The JSON shapes of API.md, built from governance values (secrets never included).
public enum APIRendering {
    /// An agent (API.md "Agent").
    public static func agent(_ agent: Agent) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(agent.id), "name": .string(agent.name), "owner": .string(agent.owner),
            "kind": .string(agent.kind.name), "status": .string(agent.status.name),
            "scopes": .array(agent.scopes.map(JSONValue.string)), "attributes": attributes(agent.attributes),
            "risk_score": .double(agent.riskScore), "valid_after": .integer(Int64(clamping: agent.validAfter)),
            "created_revision": .integer(Int64(clamping: agent.createdRevision)),
            "updated_revision": .integer(Int64(clamping: agent.updatedRevision)),
        ]
        if let kill = agent.kill {
            members["kill"] = .object([
                "revision": .integer(Int64(clamping: kill.revision)), "reason": .string(kill.reason),
                "initiator": .string(kill.initiator.auditName),
            ])
        }
        return .object(members)
    }

    /// A user with its attributes and delegated-access state.
    public static func user(_ user: User) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(user.id), "attributes": attributes(user.attributes),
            "delegation_valid_after": .integer(Int64(clamping: user.delegationValidAfter)),
            "updated_revision": .integer(Int64(clamping: user.updatedRevision)),
            "cut": .bool(user.cutAtRevision != nil),
        ]
        if let cut = user.cutAtRevision { members["cut_at_revision"] = .integer(Int64(clamping: cut)) }
        return .object(members)
    }

    /// A connection.
    public static func connection(_ connection: Connection) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(connection.id), "caller": .string(connection.caller), "callee": .string(connection.callee),
            "scopes": .array(connection.scopes.map(JSONValue.string)),
            "max_token_ttl_seconds": .integer(connection.maxTokenTTLSeconds),
            "created_revision": .integer(Int64(clamping: connection.createdRevision)),
        ]
        if let expiry = connection.expiresAtMilliseconds { members["expires_at"] = .string(APITime.format(milliseconds: expiry)) }
        return .object(members)
    }

    /// Settings as `GET /v1/settings` returns them.
    public static func settings(_ settings: Settings) -> [String: JSONValue] {
        [
            "risk_threshold": .double(settings.riskThreshold), "risk_decay_per_hour": .double(settings.riskDecayPerHour),
            "enforcer_lease_ms": .integer(settings.enforcerLeaseMilliseconds),
            "token_ttl_seconds": .integer(settings.tokenTTLSeconds),
        ]
    }

    /// An API key without its hash.
    public static func apiKey(_ key: APIKey) -> JSONValue {
        .object([
            "id": .string(key.id), "name": .string(key.name), "role": .string(key.role.name),
            "created_revision": .integer(Int64(clamping: key.createdRevision)),
        ])
    }

    /// A relationship tuple in OpenFGA form.
    public static func tuple(_ tuple: RelationshipTuple) -> JSONValue {
        var members: [String: JSONValue] = [
            "user": .string(tuple.user), "relation": .string(tuple.relation), "object": .string(tuple.object),
        ]
        if let condition = tuple.condition {
            members["condition"] = .object(["name": .string(condition.name), "context": attributes(condition.context)])
        }
        return .object(members)
    }

    /// An audit record (hashes in hex).
    public static func auditRecord(_ record: AuditRecord) -> JSONValue {
        var members: [String: JSONValue] = [
            "seq": .integer(Int64(clamping: record.seq)), "time": .string(APITime.format(milliseconds: record.timeMilliseconds)),
            "revision": .integer(Int64(clamping: record.revision)), "type": .string(record.type),
            "actor": .string(record.actor), "subject": .string(record.subject),
            "detail": .object(record.detail.mapValues(JSONValue.string)),
            "prev_hash": .string(APIValidation.hex(record.prevHash)), "hash": .string(APIValidation.hex(record.hash)),
        ]
        if let chain = record.chain { members["chain"] = .array(chain.map(JSONValue.string)) }
        return .object(members)
    }

    /// A decision's reasons: `{code, …details}` each.
    public static func reasons(_ reasons: [DecisionReason]) -> JSONValue {
        .array(reasons.map(reason))
    }

    /// One decision reason with its details.
    public static func reason(_ reason: DecisionReason) -> JSONValue {
        var members: [String: JSONValue] = ["code": .string(reason.code)]
        switch reason {
        case .agentUnknown(let id), .agentKilled(let id), .agentSuspended(let id), .chainMemberUnknown(let id),
            .chainMemberKilled(let id), .chainMemberSuspended(let id), .tokenPredatesReinstatement(let id):
            members["agent"] = .string(id)
        case .chainInvalid(let message), .contextInvalid(let message): members["message"] = .string(message)
        case .subjectCut(let subject), .subjectInactive(let subject): members["subject"] = .string(subject)
        case .scopeNotGranted(let holder): members["holder"] = .string(holder)
        case .missingContext(let names): members["missing"] = .array(names.map(JSONValue.string))
        case .conditionFailed(let name, let message):
            members["condition"] = .string(name)
            members["message"] = .string(message)
        case .contextReservedKey(let key): members["key"] = .string(key)
        case .unknownRelation(let type, let relation):
            members["type"] = .string(type)
            members["relation"] = .string(relation)
        case .invalidRequest(let field): members["field"] = .string(field)
        case .tokenActorMismatch, .tokenExpired, .tokenRevoked, .subjectMismatch, .relationNotFound,
            .agentRelationNotFound, .resolutionTooComplex, .contextTooLarge, .modelMissing:
            break
        }
        return .object(members)
    }

    /// Condition values as JSON.
    public static func attributes(_ values: [String: ConditionValue]) -> JSONValue {
        .object(values.mapValues(\.json))
    }
}
