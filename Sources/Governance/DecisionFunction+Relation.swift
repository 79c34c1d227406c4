import Authorization

// MARK: - Subject

/// Whom a decision is for: the tuple user to check and the attributes behind `subject`.
struct ResolvedSubject {
    var checkUser: String
    var attributes: [String: ConditionValue]
}

extension GovernanceState {
    /// Resolves `onBehalfOf` (else the token's subject, else the agent itself). A user subject
    /// whose delegated access is cut, or was restored after the token was minted, denies
    /// (`subject_cut`); a service subject must be an active
    /// registered agent. `service:<id>` and `agent:<id>` name the same registry entry.
    func resolveSubject(_ request: DecisionRequest, acting agent: Agent?, _ reasons: inout [DecisionReason]) -> ResolvedSubject? {
        if let onBehalfOf = request.onBehalfOf, let token = request.token, onBehalfOf != token.subject {
            reasons.append(.subjectMismatch)
            return nil
        }
        guard let subject = request.onBehalfOf ?? request.token?.subject else {
            return agent.map { ResolvedSubject(checkUser: "agent:" + $0.id, attributes: $0.attributes) }
        }
        if let userID = Self.userID(of: subject) {
            guard Validation.isIdentifier(userID) else {
                reasons.append(.invalidRequest(field: "on_behalf_of"))
                return nil
            }
            let user = users[userID]
            if let user, Self.isCut(user, for: request.token) { reasons.append(.subjectCut(subject)) }
            return ResolvedSubject(checkUser: subject, attributes: user?.attributes ?? [:])
        }
        guard let serviceID = Self.serviceID(of: subject), Validation.isIdentifier(serviceID) else {
            reasons.append(.invalidRequest(field: "on_behalf_of"))
            return nil
        }
        if serviceID == request.agent {
            return agent.map { ResolvedSubject(checkUser: "agent:" + $0.id, attributes: $0.attributes) }
        }
        guard let service = agents[serviceID], service.status == .active else {
            reasons.append(.subjectInactive(subject))
            return nil
        }
        return ResolvedSubject(checkUser: "agent:" + serviceID, attributes: service.attributes)
    }

    /// `svc` for `agent:svc` or `service:svc`.
    static func serviceID(of subject: String) -> String? {
        suffix(of: subject, after: "agent:") ?? suffix(of: subject, after: "service:")
    }

    // MARK: - Relation

    /// The model check for the subject, then (when the model names agents and the subject is
    /// someone else) for `agent:<agent>` itself.
    func checkRelation(_ request: DecisionRequest, agent: Agent, subject: ResolvedSubject, _ reasons: inout [DecisionReason]) {
        guard let model else {
            reasons.append(.modelMissing)
            return
        }
        // Only the reserved parameters some condition declares: an unused map is a wasted
        // allocation on every decision.
        var reserved: [String: ConditionValue] = [:]
        if modelFacts.readsSubject { reserved[DecisionFunction.subjectParameter] = .map(subject.attributes) }
        if modelFacts.readsAgent { reserved[DecisionFunction.agentParameter] = .map(agent.attributes) }
        var check = CheckRequest(
            user: subject.checkUser, relation: request.action, object: request.resource,
            context: request.context, reservedParameters: reserved)
        let outcome = Checker.check(check, model: model, tuples: tuples)
        Self.appendReasons(outcome, request: request, denial: .relationNotFound, &reasons)
        guard reasons.isEmpty, modelFacts.namesAgents else { return }
        let agentUser = "agent:" + agent.id
        guard subject.checkUser != agentUser else { return }
        check.user = agentUser
        let agentOutcome = Checker.check(check, model: model, tuples: tuples)
        Self.appendReasons(agentOutcome, request: request, denial: .agentRelationNotFound, &reasons)
    }

    private static func appendReasons(
        _ outcome: CheckOutcome, request: DecisionRequest, denial: DecisionReason, _ reasons: inout [DecisionReason]
    ) {
        if outcome.allowed { return }
        switch outcome.failure {
        case .depthExceeded?, .costExceeded?: reasons.append(.resolutionTooComplex)
        case .conditionError(let name, let message)?: reasons.append(.conditionFailed(name: name, message: message))
        case .unknownType(let type)?: reasons.append(.unknownRelation(type: type, relation: request.action))
        case .unknownRelation(let type, let relation)?: reasons.append(.unknownRelation(type: type, relation: relation))
        case .malformedIdentifier(let identifier)?:
            reasons.append(.invalidRequest(field: identifier == request.resource ? "resource" : "on_behalf_of"))
        case .invalidContext(let message)?: reasons.append(.contextInvalid(message))
        case nil:
            reasons.append(outcome.missingParameters.isEmpty ? denial : .missingContext(outcome.missingParameters))
        }
    }
}
