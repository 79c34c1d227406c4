import Authorization

// MARK: - Request and answer

/// A token as presented to the decision (built by `Tokens` from a verified JWT).
public struct PresentedToken: Sendable, Hashable {
    /// The token id (`jti`).
    public var jti: String
    /// `user:anne` or `agent:<id>`: whom the chain acts for.
    public var subject: String
    /// Agent ids; first = originating actor, last = current actor.
    public var chain: [String]
    /// The scopes it carries.
    public var scopes: [String]
    /// The revision it was issued at (`warden_rev`).
    public var issuedAtRevision: UInt64
    /// Expiry (`exp`, milliseconds).
    public var expiresAtMilliseconds: Int64
    /// Issue time (`iat`, milliseconds).
    public var issuedAtMilliseconds: Int64

    /// A presented token with every field given.
    public init(
        jti: String, subject: String, chain: [String], scopes: [String], issuedAtRevision: UInt64,
        expiresAtMilliseconds: Int64, issuedAtMilliseconds: Int64
    ) {
        self.jti = jti
        self.subject = subject
        self.chain = chain
        self.scopes = scopes
        self.issuedAtRevision = issuedAtRevision
        self.expiresAtMilliseconds = expiresAtMilliseconds
        self.issuedAtMilliseconds = issuedAtMilliseconds
    }
}

/// *Can this agent, acting for this subject, take this action on this resource now?*
public struct DecisionRequest: Sendable {
    /// The acting agent's registered id.
    public var agent: String
    /// The token the agent presented, if any.
    public var token: PresentedToken?
    /// `user:anne` or `agent:<service>` (`service:<id>` is accepted as an alias of `agent:<id>`).
    public var onBehalfOf: String?
    /// A relation on the resource's type (`approve`).
    public var action: String
    /// `type:id` (`invoice:2026-17`).
    public var resource: String
    /// Request context for conditions; may not contain `subject` or `agent`.
    public var context: [String: ConditionValue]

    /// A request with every field given.
    public init(
        agent: String, token: PresentedToken? = nil, onBehalfOf: String? = nil, action: String, resource: String,
        context: [String: ConditionValue] = [:]
    ) {
        self.agent = agent
        self.token = token
        self.onBehalfOf = onBehalfOf
        self.action = action
        self.resource = resource
        self.context = context
    }
}

/// A machine-readable reason a decision denied.
public enum DecisionReason: Sendable, Hashable {
    /// The acting agent is not registered.
    case agentUnknown(String)
    /// The acting agent is killed.
    case agentKilled(String)
    /// The acting agent is suspended.
    case agentSuspended(String)
    /// A chain member is not registered.
    case chainMemberUnknown(String)
    /// A chain member is killed.
    case chainMemberKilled(String)
    /// A chain member is suspended.
    case chainMemberSuspended(String)
    /// The chain is empty, longer than 8, or names an agent twice.
    case chainInvalid(String)
    /// The token's last chain member is not the acting agent.
    case tokenActorMismatch
    /// The token is expired at `now`.
    case tokenExpired
    /// The token id is revoked.
    case tokenRevoked
    /// The token was minted before this chain member's `validAfter` (a kill and reinstatement, or re-registration).
    case tokenPredatesReinstatement(String)
    /// The subject's delegated access is cut, or was cut after the token was minted.
    case subjectCut(String)
    /// The subject (a service) is unknown or not active.
    case subjectInactive(String)
    /// `on_behalf_of` differs from the token's subject.
    case subjectMismatch
    /// The action is not within the token's (`token`) or the agent's (`agent`) scopes.
    case scopeNotGranted(holder: String)
    /// The subject lacks the relation on the resource.
    case relationNotFound
    /// The model names agents and the acting agent lacks the relation itself.
    case agentRelationNotFound
    /// Conditions needed parameters nobody supplied.
    case missingContext([String])
    /// A condition failed to evaluate.
    case conditionFailed(name: String, message: String)
    /// The resolution exceeded its depth or cost bound.
    case resolutionTooComplex
    /// The request context used a reserved key (`subject`, `agent`).
    case contextReservedKey(String)
    /// The request context exceeds its bounds.
    case contextTooLarge
    /// The checker refused the context (a value it cannot use).
    case contextInvalid(String)
    /// No authorization model has been written.
    case modelMissing
    /// The resource type or action is not in the model.
    case unknownRelation(type: String, relation: String)
    /// A malformed field (`resource`, `action`, `on_behalf_of`).
    case invalidRequest(field: String)

    /// The stable machine code.
    public var code: String {
        switch self {
        case .agentUnknown: return "agent_unknown"
        case .agentKilled: return "agent_killed"
        case .agentSuspended: return "agent_suspended"
        case .chainMemberUnknown: return "chain_member_unknown"
        case .chainMemberKilled: return "chain_member_killed"
        case .chainMemberSuspended: return "chain_member_suspended"
        case .chainInvalid: return "chain_invalid"
        case .tokenActorMismatch: return "token_actor_mismatch"
        case .tokenExpired: return "token_expired"
        case .tokenRevoked: return "token_revoked"
        case .tokenPredatesReinstatement: return "token_predates_reinstatement"
        case .subjectCut: return "subject_cut"
        case .subjectInactive: return "subject_inactive"
        case .subjectMismatch: return "subject_mismatch"
        case .scopeNotGranted: return "scope_not_granted"
        case .relationNotFound: return "relation_not_found"
        case .agentRelationNotFound: return "agent_relation_not_found"
        case .missingContext: return "missing_context"
        case .conditionFailed: return "condition_failed"
        case .resolutionTooComplex: return "resolution_too_complex"
        case .contextReservedKey: return "context_reserved_key"
        case .contextTooLarge: return "context_too_large"
        case .contextInvalid: return "context_invalid"
        case .modelMissing: return "model_missing"
        case .unknownRelation: return "unknown_relation"
        case .invalidRequest: return "invalid_request"
        }
    }
}

/// The answer: allowed only when `reasons` is empty.
public struct Decision: Sendable, Hashable {
    /// Whether the action is allowed.
    public var allowed: Bool
    /// Why not (empty when allowed).
    public var reasons: [DecisionReason]
    /// The applied revision the decision was made at.
    public var revision: UInt64
}
