import Authorization
import Governance
import HTTP
import JSON

// MARK: - Decisions

/// `/v1/check` and `/v1/check/batch`: the decision function over the applied state.
enum DecisionRoutes {
    /// The most checks one batch may carry.
    static let maximumBatchChecks = 100
    /// Random bytes in a decision id.
    static let decisionIDByteCount = 16
    /// The longest token accepted in a check (a JWT with an 8-deep chain fits well within it).
    static let maximumTokenBytes = 8 * 1_024

    static let routes: [RouteDefinition] = [
        RouteDefinition("POST", "/v1/check", roles: RouteRoles.enforcers,
            summary: "Can this agent, acting for this subject, take this action on this resource now?",
            query: ["consistency"], request: "CheckRequest", response: "CheckResult", handler: check),
        RouteDefinition("POST", "/v1/check/batch", roles: RouteRoles.enforcers, summary: "Several checks at one revision",
            query: ["consistency"], request: "CheckBatchRequest", response: "CheckBatchResult", handler: checkBatch),
    ]

    /// A parsed check.
    struct Check: Sendable {
        var agent: String
        var token: String?
        var onBehalfOf: String?
        var action: String
        var resource: String
        var context: [String: ConditionValue]
    }

    /// Reads the fields of one check from `reader` (the caller finishes it).
    static func readCheck(_ reader: inout JSONObjectReader) -> Check? {
        let agent = reader.identifier("agent", required: true)
        let token = reader.string("token", required: false, maximumBytes: maximumTokenBytes)
        let onBehalfOf = reader.typedReference("on_behalf_of", required: false)
        let action = reader.identifier("action", required: true)
        let resource = reader.typedReference("resource", required: true)
        let context = reader.conditionMap("context", required: false) ?? [:]
        for key in [DecisionFunction.subjectParameter, DecisionFunction.agentParameter] where context[key] != nil {
            reader.fail(path: reader.path("context") + "." + key, "reserved: conditions read it from current attributes")
        }
        guard let agent, let action, let resource, reader.errors.isEmpty else { return nil }
        return Check(agent: agent, token: token, onBehalfOf: onBehalfOf, action: action, resource: resource, context: context)
    }

    /// The body's `consistency` field, which overrides the query parameter.
    static func readConsistency(_ reader: inout JSONObjectReader, query: String?) -> ReadConsistency? {
        let field = reader.string("consistency", required: false)
        switch ConsistencyParsing.parse(field ?? query) {
        case .success(let consistency): return consistency
        case .failure(let problem):
            reader.absorb(problem.errors)
            return nil
        }
    }

    static func check(_ request: RouteRequest) -> APIOperation {
        var parsedConsistency = ReadConsistency.linearizable
        let parsed = parseBody(request) { reader -> Check? in
            let consistency = readConsistency(&reader, query: request.query["consistency"])
            let check = readCheck(&reader)
            parsedConsistency = consistency ?? .linearizable
            return consistency == nil ? nil : check
        }
        switch parsed {
        case .failure(let problem): return .respond(problem.response())
        case .success(let check):
            return request.readWith(consistency: parsedConsistency) { context in
                let (members, record) = decide(check, context)
                return ReadResult(response: APIResponses.json(200, members, revision: context.state.appliedRevision), decisions: [record])
            }
        }
    }

    static func checkBatch(_ request: RouteRequest) -> APIOperation {
        var parsedConsistency = ReadConsistency.linearizable
        let parsed = parseBody(request) { reader -> [(String, Check)]? in
            let consistency = readConsistency(&reader, query: request.query["consistency"])
            parsedConsistency = consistency ?? .linearizable
            let elements = reader.array("checks", required: true, maximumCount: maximumBatchChecks) ?? []
            var checks: [(String, Check)] = []
            var seen: Set<String> = []
            for (index, element) in elements.enumerated() {
                var item = JSONObjectReader(element, path: "checks[\(index)]")
                let correlationID = item.identifier("correlation_id", required: true)
                if let correlationID, !seen.insert(correlationID).inserted { item.fail("correlation_id", "repeated in this batch") }
                let check = readCheck(&item)
                let errors = item.finish()
                reader.absorb(errors)
                if let correlationID, let check, errors.isEmpty { checks.append((correlationID, check)) }
            }
            return reader.errors.isEmpty && consistency != nil ? checks : nil
        }
        switch parsed {
        case .failure(let problem): return .respond(problem.response())
        case .success(let checks):
            return request.readWith(consistency: parsedConsistency) { context in
                var results: [String: JSONValue] = [:]
                var records: [DecisionRecord] = []
                for (correlationID, check) in checks {
                    let (members, record) = decide(check, context)
                    results[correlationID] = .object(members)
                    records.append(record)
                }
                return ReadResult(
                    response: APIResponses.json(200, ["results": .object(results)], revision: context.state.appliedRevision),
                    decisions: records)
            }
        }
    }

    /// Parses a JSON body strictly with `parse`; unknown fields are errors.
    static func parseBody<Body>(_ request: RouteRequest, _ parse: (inout JSONObjectReader) -> Body?) -> Result<Body, Problem> {
        switch JSONObjectReader.body(request.request.body) {
        case .failure(let problem): return .failure(problem)
        case .success(var reader):
            let body = parse(&reader)
            let errors = reader.finish()
            guard let body, errors.isEmpty else { return .failure(.validation(errors)) }
            return .success(body)
        }
    }

    /// Decides one check: the answer's members (without `revision`) and its audit record.
    static func decide(_ check: Check, _ context: ReadContext) -> ([String: JSONValue], DecisionRecord) {
        let revision = context.state.appliedRevision
        let decisionID = APIValidation.hex(context.randomBytes(decisionIDByteCount))
        var reasons: [JSONValue] = []
        var codes: [String] = []
        var token: PresentedToken?
        if let text = check.token {
            switch context.verifyToken(text) {
            case .success(let presented): token = presented
            case .failure(let refusal):
                reasons.append(["code": "token_invalid", "message": .string(refusal.message)])
                codes.append("token_invalid")
            }
        }
        if codes.isEmpty {
            let request = DecisionRequest(
                agent: check.agent, token: token, onBehalfOf: check.onBehalfOf, action: check.action,
                resource: check.resource, context: check.context)
            let decision = context.state.decide(request, nowMilliseconds: context.nowMilliseconds)
            reasons = decision.reasons.map(APIRendering.reason)
            codes = decision.reasons.map(\.code)
        }
        let allowed = codes.isEmpty
        let record = DecisionRecord(
            decisionID: decisionID, agent: check.agent, subject: check.onBehalfOf ?? token?.subject, action: check.action,
            resource: check.resource, allowed: allowed, reasons: Array(codes.prefix(GovernanceLimits.maximumReasonsPerDecision)),
            revision: revision, timeMilliseconds: context.nowMilliseconds)
        let members: [String: JSONValue] = [
            "allowed": .bool(allowed), "reasons": .array(reasons), "decision_id": .string(decisionID),
        ]
        return (members, record)
    }
}
