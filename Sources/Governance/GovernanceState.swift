import Authorization
import Crypto

// MARK: - State

/// The replicated governance state: a value type changed only by `apply(_:revision:)`, a pure
/// function of the state, the command, the entry's revision and the leader's timestamp.
/// Every table is a dictionary keyed by id, so copies are cheap (copy-on-write).
public struct GovernanceState: Sendable {
    /// The revision (Raft index) of the last applied entry; never regresses.
    public internal(set) var appliedRevision: UInt64 = 0
    /// Agents and services by id.
    public internal(set) var agents: [String: Agent] = [:]
    /// Users by id (`anne` for `user:anne`).
    public internal(set) var users: [String: User] = [:]
    /// Connections by id.
    public internal(set) var connections: [String: Connection] = [:]
    /// Connection id by `caller + " " + callee` (ids hold no space); derived, rebuilt on restore.
    var connectionIDByPair: [String: String] = [:]
    /// Settings in force.
    public internal(set) var settings: Settings = .defaults
    /// Operator API keys by id.
    public internal(set) var apiKeys: [String: APIKey] = [:]
    /// Public signing keys by kid.
    public internal(set) var signingKeys: [String: SigningKey] = [:]
    /// Unexpired issued tokens by jti.
    public internal(set) var issuedTokens: [String: IssuedToken] = [:]
    /// Revoked token ids with the time they would expire anyway.
    public internal(set) var revokedTokens: [String: Int64] = [:]
    /// Highest decision batch applied, by source.
    public internal(set) var decisionBatches: [String: UInt64] = [:]
    /// The end of the audit chain.
    public internal(set) var auditHead: AuditHead = .genesis
    /// The authorization model, once written.
    public internal(set) var model: AuthorizationModel?
    /// Hex SHA-256 of the model's canonical JSON.
    public internal(set) var modelID: String?
    /// Facts about the model the decision reads on every call (derived, rebuilt on restore).
    var modelFacts = ModelFacts(nil)
    /// Relationship tuples.
    public internal(set) var tuples = TupleStore()
    /// Results of writes with idempotency keys.
    var idempotency = IdempotencyTable()
    /// Revision of the last sweep of expired token records.
    var lastTokenSweepRevision: UInt64 = 0

    /// An empty state at revision 0 with default settings.
    public init() {}

    /// The connection from `caller` to `callee`, if one exists.
    public func connection(from caller: String, to callee: String) -> Connection? {
        connectionIDByPair[Self.pairKey(caller, callee)].flatMap { connections[$0] }
    }

    static func pairKey(_ caller: String, _ callee: String) -> String { caller + " " + callee }
}

// MARK: - Model facts

/// What the decision needs to know about the model, computed once per model write.
struct ModelFacts: Sendable {
    /// Whether the model defines the type `agent` ("the model names agents").
    var namesAgents = false
    /// Whether some condition declares the reserved parameter `subject`.
    var readsSubject = false
    /// Whether some condition declares the reserved parameter `agent`.
    var readsAgent = false

    init(_ model: AuthorizationModel?) {
        guard let model else { return }
        namesAgents = model.typeNames.contains(DecisionFunction.agentType)
        for type in model.typeNames {
            for relation in model.relationNames(ofType: type) {
                for restriction in model.directlyRelatedUserTypes(ofRelation: relation, onType: type) {
                    guard let name = restriction.condition, let condition = model.condition(named: name) else { continue }
                    readsSubject = readsSubject || condition.parameters[DecisionFunction.subjectParameter] != nil
                    readsAgent = readsAgent || condition.parameters[DecisionFunction.agentParameter] != nil
                }
            }
        }
    }
}

// MARK: - Apply

/// What one command's handler produced besides its result: audit drafts and feed events.
struct ApplyEffects {
    /// An audit record before it is chained.
    struct AuditDraft {
        var type: String
        var subject: String
        var detail: [String: String]
        var chain: [String]?
        var actor: Actor?
    }

    var audit: [AuditDraft] = []
    var feed: [FeedEvent] = []

    mutating func record(
        _ type: String, subject: String, detail: [String: String] = [:], chain: [String]? = nil, actor: Actor? = nil
    ) {
        audit.append(AuditDraft(type: type, subject: subject, detail: detail, chain: chain, actor: actor))
    }
}

/// The fixed facts of the entry being applied.
struct ApplyContext {
    let revision: UInt64
    let timestampMilliseconds: Int64
    let actor: Actor
}

extension GovernanceState {
    /// Applies one committed entry. A command that fails validation is a recorded rejection
    /// (audit record, no other change); a replayed idempotency key returns the first result and
    /// records an `idempotent_replay` audit record. `revision` must exceed `appliedRevision`.
    public mutating func apply(_ payload: LogEntryPayload, revision: UInt64) -> ApplyOutcome {
        precondition(revision > appliedRevision, "revision \(revision) does not advance past \(appliedRevision)")
        appliedRevision = revision
        let context = ApplyContext(revision: revision, timestampMilliseconds: payload.timestampMilliseconds, actor: payload.actor)
        var effects = ApplyEffects()
        if let field = Self.malformedEnvelopeField(payload) {
            let error = Rejection.invalidArgument(field: field, message: "must match [A-Za-z0-9._:@-]{1,128}")
            effects.record("rejected", subject: payload.command.auditSubject, detail: [
                "command": payload.command.name, "code": error.code, "field": field, "message": error.message,
            ])
            return finish(context, result: .rejected(error), effects: effects, replayed: false)
        }
        if let key = payload.idempotencyKey,
            let first = idempotency.lookup(key, nowMilliseconds: context.timestampMilliseconds)
        {
            effects.record(
                "idempotent_replay", subject: "idempotency_key:" + key,
                detail: ["command": payload.command.name, "first_revision": String(first.revision)])
            return finish(context, result: first.result, effects: effects, replayed: true)
        }
        let result: CommandResult
        do {
            result = try perform(payload.command, context, &effects)
        } catch {
            effects = ApplyEffects()
            var detail = ["command": payload.command.name, "code": error.code, "message": error.message]
            if case .invalidArgument(let field, _) = error { detail["field"] = field }
            effects.record("rejected", subject: payload.command.auditSubject, detail: detail)
            if let key = payload.idempotencyKey {
                idempotency.remember(key, result: .rejected(error), revision: revision, nowMilliseconds: context.timestampMilliseconds)
            }
            return finish(context, result: .rejected(error), effects: effects, replayed: false)
        }
        if let key = payload.idempotencyKey {
            idempotency.remember(key, result: result, revision: revision, nowMilliseconds: context.timestampMilliseconds)
        }
        sweepExpiredTokensIfDue(context)
        return finish(context, result: result, effects: effects, replayed: false)
    }

    /// The envelope field that is not a well-formed id (idempotency key, actor id), if any.
    private static func malformedEnvelopeField(_ payload: LogEntryPayload) -> String? {
        if let key = payload.idempotencyKey, !Validation.isIdentifier(key) { return "idempotency_key" }
        switch payload.actor {
        case .apiKey(let id, _), .agent(let id), .enforcer(let id): return Validation.isIdentifier(id) ? nil : "actor"
        case .policy, .system: return nil
        }
    }

    /// Chains the audit drafts and orders the feed (revocations first, otherwise stable).
    private mutating func finish(
        _ context: ApplyContext, result: CommandResult, effects: ApplyEffects, replayed: Bool
    ) -> ApplyOutcome {
        var records: [AuditRecord] = []
        records.reserveCapacity(effects.audit.count)
        for draft in effects.audit {
            var record = AuditRecord(
                seq: auditHead.seq + 1, revision: context.revision, timeMilliseconds: context.timestampMilliseconds,
                type: draft.type, actor: (draft.actor ?? context.actor).auditName, subject: draft.subject,
                detail: draft.detail, chain: draft.chain, prevHash: auditHead.hash, hash: [])
            record.hash = record.computeHash()
            auditHead = AuditHead(seq: record.seq, hash: record.hash)
            records.append(record)
        }
        precondition(!records.isEmpty, "every applied entry produces an audit record")
        let feed = effects.feed.filter(\.isRevocation) + effects.feed.filter { !$0.isRevocation }
        return ApplyOutcome(revision: context.revision, result: result, auditRecords: records, feedEvents: feed, replayed: replayed)
    }

    /// Validates then mutates; throws before any change.
    private mutating func perform(
        _ command: Command, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        switch command {
        case .registerAgent(let registration): return try registerAgent(registration, context, &effects)
        case .updateAgent(let update): return try updateAgent(update, context, &effects)
        case .deleteAgent(let id): return try deleteAgent(id, context, &effects)
        case .setUserAttributes(let userID, let attributes): return try setUserAttributes(userID, attributes, context, &effects)
        case .createConnection(let connection): return try createConnection(connection, context, &effects)
        case .deleteConnection(let id): return try deleteConnection(id, context, &effects)
        case .writeModel(let json): return try writeModel(json, context, &effects)
        case .writeTuples(let writes, let deletes): return try writeTuples(writes, deletes, context, &effects)
        case .killAgent(let id, let reason): return try killAgent(id, reason: reason, context, &effects)
        case .reinstateAgent(let id, let reason): return try reinstateAgent(id, reason: reason, context, &effects)
        case .killUser(let id, let reason): return try killUser(id, reason: reason, context, &effects)
        case .reinstateUser(let id, let reason): return try reinstateUser(id, reason: reason, context, &effects)
        case .revokeToken(let jti, let expiresAt): return try revokeToken(jti, expiresAt, context, &effects)
        case .tokenIssued(let token): return try recordIssuedToken(token, context, &effects)
        case .riskSignal(let signal): return try applyRiskSignal(signal, context, &effects)
        case .setSettings(let settings): return try setSettings(settings, context, &effects)
        case .createAPIKey(let key): return try createAPIKey(key, context, &effects)
        case .deleteAPIKey(let id): return try deleteAPIKey(id, context, &effects)
        case .addSigningKey(let kid, let publicKey): return try addSigningKey(kid, publicKey, context, &effects)
        case .retireSigningKey(let kid): return try retireSigningKey(kid, context, &effects)
        case .decisionBatch(let batch): return try applyDecisionBatch(batch, context, &effects)
        }
    }

    /// Drops issued and revoked token records that have expired, at most once per
    /// `tokenSweepIntervalEntries` revisions (only after successful commands, so a rejection
    /// never changes the tables).
    private mutating func sweepExpiredTokensIfDue(_ context: ApplyContext) {
        guard context.revision - lastTokenSweepRevision >= UInt64(GovernanceLimits.tokenSweepIntervalEntries) else { return }
        lastTokenSweepRevision = context.revision
        let now = context.timestampMilliseconds
        issuedTokens = issuedTokens.filter { $0.value.expiresAtMilliseconds > now }
        revokedTokens = revokedTokens.filter { $0.value > now }
    }
}

extension Command {
    /// The audit subject of a command (what it names), used for rejections.
    var auditSubject: String {
        switch self {
        case .registerAgent(let registration): return "agent:" + registration.id
        case .updateAgent(let update): return "agent:" + update.id
        case .deleteAgent(let id), .killAgent(let id, _), .reinstateAgent(let id, _): return "agent:" + id
        case .setUserAttributes(let id, _), .killUser(let id, _), .reinstateUser(let id, _): return "user:" + id
        case .createConnection(let connection): return "connection:" + connection.id
        case .deleteConnection(let id): return "connection:" + id
        case .writeModel: return "model"
        case .writeTuples: return "tuples"
        case .revokeToken(let jti, _): return "token:" + jti
        case .tokenIssued(let token): return "token:" + token.jti
        case .riskSignal(let signal): return "agent:" + signal.agent
        case .setSettings: return "settings"
        case .createAPIKey(let key): return "api_key:" + key.id
        case .deleteAPIKey(let id): return "api_key:" + id
        case .addSigningKey(let kid, _), .retireSigningKey(let kid): return "signing_key:" + kid
        case .decisionBatch(let batch): return "decision_source:" + batch.source
        }
    }
}
