import Authorization
import Governance
import HTTP
import JSON
import Server
import Tokens

// MARK: - A local check

/// `POST /v1/check` at the edge: the cluster's request and answer, decided against the local
/// replica with the shared decision function, or denied with reason `stale` when the freshness
/// lease has lapsed. Pure: clocks and the decision id are passed in.
public enum EdgeCheck {
    /// The reason code of a fail-closed denial for lack of a fresh heartbeat.
    public static let staleCode = "stale"
    /// The reason code of a denial because the decision-record buffer is full (fail closed).
    public static let auditFullCode = "audit_buffer_full"
    /// The longest token accepted (the cluster's bound).
    public static let maximumTokenBytes = 8 * 1_024

    /// A parsed check.
    public struct Check: Sendable, Equatable {
        /// The acting agent.
        public var agent: String
        /// The bearer token (a Warden JWT), if any.
        public var token: String?
        /// `user:anne` or `agent:<service>`.
        public var onBehalfOf: String?
        /// The relation asked for.
        public var action: String
        /// `type:id`.
        public var resource: String
        /// Request context for conditions.
        public var context: [String: ConditionValue]

        /// A check from its parts.
        public init(agent: String, token: String? = nil, onBehalfOf: String? = nil, action: String, resource: String,
                    context: [String: ConditionValue] = [:]) {
            self.agent = agent
            self.token = token
            self.onBehalfOf = onBehalfOf
            self.action = action
            self.resource = resource
            self.context = context
        }
    }

    /// What a check produced: the answer's members (no revision), whether allowed, and the record.
    public struct Outcome: Sendable {
        /// Whether the action is allowed.
        public var allowed: Bool
        /// The reason codes (empty when allowed).
        public var codes: [String]
        /// `{allowed, reasons, decision_id[, reason]}`.
        public var members: [String: JSONValue]
        /// The revision decided at.
        public var revision: UInt64
        /// The decision record to ship to the audit log.
        public var record: DecisionRecord
    }

    /// Reads a check body strictly (unknown fields are errors, as at the cluster; `consistency`
    /// is accepted and ignored: the edge always decides at its leased revision).
    public static func parse(_ body: [UInt8]) -> Result<Check, Problem> {
        switch JSONObjectReader.body(body) {
        case .failure(let problem): return .failure(problem)
        case .success(var reader):
            _ = reader.string("consistency", required: false)
            let agent = reader.identifier("agent", required: true)
            let token = reader.string("token", required: false, maximumBytes: maximumTokenBytes)
            let onBehalfOf = reader.typedReference("on_behalf_of", required: false)
            let action = reader.identifier("action", required: true)
            let resource = reader.typedReference("resource", required: true)
            let context = reader.conditionMap("context", required: false) ?? [:]
            for key in [DecisionFunction.subjectParameter, DecisionFunction.agentParameter] where context[key] != nil {
                reader.fail(path: reader.path("context") + "." + key, "reserved: conditions read it from current attributes")
            }
            let errors = reader.finish()
            guard let agent, let action, let resource, errors.isEmpty else { return .failure(.validation(errors)) }
            return .success(Check(agent: agent, token: token, onBehalfOf: onBehalfOf, action: action, resource: resource, context: context))
        }
    }

    /// Decides `check` against `state` at wall time `wallMilliseconds` (token expiry, conditions)
    /// when the lease is valid at `monotonicMilliseconds`; otherwise denies with `stale`.
    public static func decide(
        _ check: Check, state: EdgeState, issuer: String, wallMilliseconds: Int64, monotonicMilliseconds: Int64, decisionID: String
    ) -> Outcome {
        var reasons: [JSONValue] = []
        var codes: [String] = []
        var subject = check.onBehalfOf
        let revision = state.appliedRevision
        if let governance = state.governance, state.isFresh(nowMilliseconds: monotonicMilliseconds) {
            var token: PresentedToken?
            if let text = check.token {
                let verifier = TokenVerifier(keyRing: state.keyRing, expectedIssuer: issuer, expectedAudience: "")
                do {
                    let verified = try TokenLiveness.verify(text, verifier: verifier, state: governance, nowMilliseconds: wallMilliseconds)
                    token = PresentedToken(verified: verified)
                    subject = subject ?? token?.subject
                } catch {
                    reasons.append(["code": "token_invalid", "message": .string(error.description)])
                    codes.append("token_invalid")
                }
            }
            if codes.isEmpty {
                let request = DecisionRequest(
                    agent: check.agent, token: token, onBehalfOf: check.onBehalfOf, action: check.action,
                    resource: check.resource, context: check.context)
                let decision = governance.decide(request, nowMilliseconds: wallMilliseconds)
                reasons = decision.reasons.map(APIRendering.reason)
                codes = decision.reasons.map(\.code)
            }
        } else {
            reasons = [["code": .string(staleCode), "message": "no fresh heartbeat within the lease: failing closed"]]
            codes = [staleCode]
        }
        var members: [String: JSONValue] = [
            "allowed": .bool(codes.isEmpty), "reasons": .array(reasons), "decision_id": .string(decisionID),
        ]
        if codes == [staleCode] { members["reason"] = .string(staleCode) }
        let record = DecisionRecord(
            decisionID: decisionID, agent: check.agent, subject: subject, action: check.action, resource: check.resource,
            allowed: codes.isEmpty, reasons: Array(codes.prefix(GovernanceLimits.maximumReasonsPerDecision)), revision: revision,
            timeMilliseconds: wallMilliseconds)
        return Outcome(allowed: codes.isEmpty, codes: codes, members: members, revision: revision, record: record)
    }

    /// Turns an allowed outcome into a denial because its record cannot be kept (fail closed).
    public static func refusedForAudit(_ outcome: Outcome) -> Outcome {
        var refused = outcome
        refused.allowed = false
        refused.codes = [auditFullCode]
        refused.members["allowed"] = false
        refused.members["reasons"] = [["code": .string(auditFullCode), "message": "decision records cannot be shipped: failing closed"]]
        refused.record.allowed = false
        refused.record.reasons = [auditFullCode]
        return refused
    }
}
