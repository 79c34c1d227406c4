import Governance
import HTTP
import JSON

// MARK: - Audit

/// `/v1/audit`: reading and verifying the hash-chained log, and enforcer decision uploads.
enum AuditRoutes {
    static let routes: [RouteDefinition] = [
        RouteDefinition("GET", "/v1/audit", roles: RouteRoles.readers, summary: "Audit records after a sequence number",
            query: ["after", "agent", "type", "limit", "consistency"], response: "AuditPage", handler: list),
        RouteDefinition("GET", "/v1/audit/verify", roles: RouteRoles.readers, summary: "Recheck the whole hash chain",
            query: ["consistency"], response: "AuditVerification", handler: verify),
        RouteDefinition("POST", "/v1/audit/decisions", roles: RouteRoles.enforcers,
            summary: "Ship a batch of decision records (applied once per enforcer and batch_seq)",
            request: "DecisionBatch", response: "DecisionBatchResult", handler: uploadDecisions),
    ]

    static func list(_ request: RouteRequest) -> APIOperation {
        let query = request.query
        let limit: Int
        switch Pagination.limit(query["limit"]) {
        case .success(let value): limit = value
        case .failure(let problem): return .respond(problem.response())
        }
        var after: UInt64 = 0
        if let text = query["after"] {
            guard let value = UInt64(text) else { return .respond(Problem.invalid("after", "must be a sequence number").response()) }
            after = value
        }
        if let agent = query["agent"], !APIValidation.isIdentifier(agent) {
            return .respond(Problem.invalid("agent", APIValidation.identifierMessage).response())
        }
        let start = after
        return request.readJSON { context in
            let records = context.audit.records(after: start, agent: query["agent"], type: query["type"], limit: limit)
            let next: JSONValue = records.count == limit ? .integer(Int64(clamping: records.last?.seq ?? 0)) : .null
            return .success(["records": .array(records.map(APIRendering.auditRecord)), "next": next])
        }
    }

    static func verify(_ request: RouteRequest) -> APIOperation {
        request.readJSON { context in
            let verification = context.audit.verify()
            var members: [String: JSONValue] = [
                "ok": .bool(verification.ok), "records": .integer(Int64(verification.verifiedCount)),
                "head_hash": .string(APIValidation.hex(verification.head.hash)),
                "head_seq": .integer(Int64(clamping: verification.head.seq)),
            ]
            if let problem = verification.problem { members["problem"] = .string(problem) }
            if let broken = verification.firstBrokenSeq { members["first_broken_seq"] = .integer(Int64(clamping: broken)) }
            return .success(members)
        }
    }

    static func uploadDecisions(_ request: RouteRequest) -> APIOperation {
        request.write { reader -> DecisionBatch? in
            let source = reader.identifier("enforcer", required: true)
            let batchSeq = reader.integer("batch_seq", required: true, range: 1...Int64.max)
            let elements = reader.array("decisions", required: true, maximumCount: GovernanceLimits.maximumDecisionsPerBatch) ?? []
            var decisions: [DecisionRecord] = []
            for (index, element) in elements.enumerated() {
                var item = JSONObjectReader(element, path: "decisions[\(index)]")
                let record = decisionRecord(&item)
                let errors = item.finish()
                reader.absorb(errors)
                if let record, errors.isEmpty { decisions.append(record) }
            }
            guard let source, let batchSeq, reader.errors.isEmpty else { return nil }
            return DecisionBatch(source: source, batchSeq: UInt64(batchSeq), decisions: decisions)
        } make: { batch, context in
            RouteRequest.prepared(.decisionBatch(batch), context) { applied in
                let result = applied.result
                guard case .decisionBatch(let applied, let recorded) = result else { return nil }
                return ["applied": .bool(applied), "recorded": .integer(Int64(recorded))]
            }
        }
    }

    /// One decision record `{decision_id, agent, subject?, action, resource, allowed, reasons, revision, time}`.
    static func decisionRecord(_ reader: inout JSONObjectReader) -> DecisionRecord? {
        let decisionID = reader.identifier("decision_id", required: true)
        let agent = reader.identifier("agent", required: true)
        let subject = reader.typedReference("subject", required: false)
        let action = reader.identifier("action", required: true)
        let resource = reader.typedReference("resource", required: true)
        let allowed = reader.bool("allowed", required: true)
        let reasonValues = reader.array("reasons", required: true, maximumCount: GovernanceLimits.maximumReasonsPerDecision) ?? []
        let reasons = reasonValues.compactMap(\.stringValue).filter(APIValidation.isIdentifier)
        if reasons.count != reasonValues.count { reader.fail("reasons", "must be reason codes") }
        let revision = reader.integer("revision", required: true, range: 0...Int64.max)
        var time: Int64?
        if let text = reader.string("time", required: true) {
            time = APITime.parse(text)
            if time == nil { reader.fail("time", "must be an RFC 3339 time") }
        }
        guard let decisionID, let agent, let action, let resource, let allowed, let revision, let time, reader.errors.isEmpty else {
            return nil
        }
        return DecisionRecord(
            decisionID: decisionID, agent: agent, subject: subject, action: action, resource: resource, allowed: allowed,
            reasons: reasons, revision: UInt64(revision), timeMilliseconds: time)
    }
}
