import Authorization

// MARK: - The decision

/// Names the decision function shares with delegation and apply.
public enum DecisionFunction {
    /// The model type whose presence means "the model names agents".
    public static let agentType = "agent"
    /// Reserved condition parameter: the attributes of the subject acted for.
    public static let subjectParameter = "subject"
    /// Reserved condition parameter: the acting agent's attributes.
    public static let agentParameter = "agent"
}

extension GovernanceState {
    /// Decides a request at `nowMilliseconds` against this state.
    ///
    /// Allowed only when: the acting agent exists and is active; with a token, the token's last
    /// chain member is the agent, every chain member exists and is active, the token is
    /// unexpired, not revoked, issued at or after each member's `validAfter`, its subject is not
    /// cut (nor restored after the token was minted), and the action is within its scopes; the
    /// action is within the agent's scopes; the subject (`onBehalfOf`, else the token's subject,
    /// else `agent:<agent>`) is not a cut user nor an inactive service, and has the relation on
    /// the resource under the model, conditions read with `subject`/`agent` attributes and the
    /// request context; and, when the model defines type `agent` and the subject is someone
    /// else, `agent:<agent>` has the relation too. Identity, token and scope failures are all
    /// reported; the relation check runs only when they pass.
    public func decide(_ request: DecisionRequest, nowMilliseconds: Int64) -> Decision {
        var reasons: [DecisionReason] = []
        let resourceType = checkShape(request, &reasons)
        let agent = checkActingAgent(request.agent, &reasons)
        if let token = request.token {
            if token.chain.last != request.agent { reasons.append(.tokenActorMismatch) }
            checkToken(token, nowMilliseconds: nowMilliseconds, skippingStatusOf: request.agent, checkingSubject: false, &reasons)
            if let resourceType, !Scope.grants(token.scopes, type: resourceType, relation: request.action) {
                reasons.append(.scopeNotGranted(holder: "token"))
            }
        }
        if let agent, let resourceType, !Scope.grants(agent.scopes, type: resourceType, relation: request.action) {
            reasons.append(.scopeNotGranted(holder: "agent"))
        }
        let subject = resolveSubject(request, acting: agent, &reasons)
        guard reasons.isEmpty, let agent, let subject else {
            return Decision(allowed: false, reasons: reasons, revision: appliedRevision)
        }
        checkRelation(request, agent: agent, subject: subject, &reasons)
        return Decision(allowed: reasons.isEmpty, reasons: reasons, revision: appliedRevision)
    }

    // MARK: Request shape

    /// Checks the action, resource and context; returns the resource's type when well formed.
    private func checkShape(_ request: DecisionRequest, _ reasons: inout [DecisionReason]) -> Substring? {
        if !Validation.isIdentifier(request.action) { reasons.append(.invalidRequest(field: "action")) }
        let resourceType = Validation.typeOfTypedObject(request.resource)
        if resourceType == nil { reasons.append(.invalidRequest(field: "resource")) }
        if !request.context.isEmpty {
            for key in request.context.keys
            where key == DecisionFunction.subjectParameter || key == DecisionFunction.agentParameter {
                reasons.append(.contextReservedKey(key))
            }
            if request.context.count > GovernanceLimits.maximumContextEntries
                || ConditionValueCoding.encodedSize(request.context) > GovernanceLimits.maximumContextBytes
            {
                reasons.append(.contextTooLarge)
            }
        }
        return resourceType
    }

    private func checkActingAgent(_ id: String, _ reasons: inout [DecisionReason]) -> Agent? {
        guard let agent = agents[id] else {
            reasons.append(.agentUnknown(id))
            return nil
        }
        switch agent.status {
        case .active: break
        case .killed: reasons.append(.agentKilled(id))
        case .suspended: reasons.append(.agentSuspended(id))
        }
        return agent
    }

    // MARK: Token

    /// Every rule that makes `token` dead at `now` (expiry, revocation, chain shape, members'
    /// status and `valid_after`, a cut subject), in the decision's own words: introspection and
    /// token exchange apply exactly the rules a decision does.
    public func tokenProblems(_ token: PresentedToken, nowMilliseconds: Int64) -> [DecisionReason] {
        var reasons: [DecisionReason] = []
        checkToken(token, nowMilliseconds: nowMilliseconds, &reasons)
        return reasons
    }

    /// Every reason `token` is dead at `now`, apart from scopes and its actor. The status of
    /// `skippingStatusOf` (the acting agent, reported on its own) is not repeated; the subject
    /// is left to the caller when `checkingSubject` is false (the decision resolves it anyway).
    func checkToken(
        _ token: PresentedToken, nowMilliseconds: Int64, skippingStatusOf acting: String? = nil,
        checkingSubject: Bool = true, _ reasons: inout [DecisionReason]
    ) {
        if let problem = Self.chainProblem(token.chain) { reasons.append(.chainInvalid(problem)) }
        if nowMilliseconds >= token.expiresAtMilliseconds { reasons.append(.tokenExpired) }
        if !revokedTokens.isEmpty, revokedTokens[token.jti] != nil { reasons.append(.tokenRevoked) }
        for member in token.chain {
            // Read the two fields in place: copying the whole agent costs retains on a hot path.
            guard let index = agents.index(forKey: member) else {
                reasons.append(.chainMemberUnknown(member))
                continue
            }
            let status = agents.values[index].status
            if member != acting {
                if status == .killed { reasons.append(.chainMemberKilled(member)) }
                if status == .suspended { reasons.append(.chainMemberSuspended(member)) }
            }
            if token.issuedAtRevision < agents.values[index].validAfter { reasons.append(.tokenPredatesReinstatement(member)) }
        }
        if checkingSubject, let userID = Self.userID(of: token.subject), let user = users[userID],
            Self.isCut(user, for: token)
        {
            reasons.append(.subjectCut(token.subject))
        }
    }

    /// Whether delegated access for `user` is cut, or was restored after `token` was minted.
    static func isCut(_ user: User, for token: PresentedToken?) -> Bool {
        if user.cutAtRevision != nil { return true }
        guard let token else { return false }
        return token.issuedAtRevision < user.delegationValidAfter
    }

    /// Why a chain is malformed: empty, longer than the bound, or naming an agent twice (a cycle).
    static func chainProblem(_ chain: [String]) -> String? {
        if chain.isEmpty { return "empty chain" }
        if chain.count > GovernanceLimits.maximumChainLength { return "longer than \(GovernanceLimits.maximumChainLength)" }
        for index in chain.indices.dropFirst() where chain[..<index].contains(chain[index]) {
            return "cycle through \(chain[index])"
        }
        return nil
    }

    /// `anne` for `user:anne`, nil for any other subject.
    static func userID(of subject: String) -> String? {
        suffix(of: subject, after: "user:")
    }

    /// The part of `text` after `prefix`, compared and cut on UTF-8 (O(1) indexing).
    static func suffix(of text: String, after prefix: StaticString) -> String? {
        let prefixCount = prefix.utf8CodeUnitCount
        let matches = text.utf8.withContiguousStorageIfAvailable { bytes in
            guard bytes.count >= prefixCount else { return false }
            for index in 0..<prefixCount where bytes[index] != prefix.utf8Start[index] { return false }
            return true
        } ?? text.utf8.starts(with: UnsafeBufferPointer(start: prefix.utf8Start, count: prefixCount))
        guard matches else { return nil }
        return String(text[text.utf8.index(text.utf8.startIndex, offsetBy: prefixCount)...])
    }
}
