import Authorization

// MARK: - Feed replica errors

/// Why a feed event could not be applied to a read-only replica.
public struct FeedReplicaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public let message: String

    /// A one-line explanation.
    public var description: String { "feed event refused: \(message)" }
}

// MARK: - The read-only replica an enforcer holds

/// What an edge enforcer needs to hold a read-only copy of the decision state: a snapshot with
/// secrets stripped, and the effect of each `FeedEvent` applied exactly as the cluster's `apply`
/// applied it, so `decide` on the replica agrees with `decide` on the cluster.
///
/// Known differences, none of which `decide` reads: risk scores move only when an `agent` event
/// carries them (risk signals below the threshold publish nothing); a reinstatement resets the
/// score but cannot restore `riskUpdatedAtMilliseconds` (the event has no timestamp); a kill's
/// initiator is rebuilt from its audit name, and an API key initiator's role is not carried
/// (recorded as `security`). Issued-token records, API keys, idempotency results, decision batch
/// sequence numbers and the audit head are not replicated at all. The cluster's periodic sweep
/// of expired revocations publishes nothing, so the replica keeps them: it can only deny more,
/// and only tokens that expired anyway.
extension GovernanceState {
    /// The state with every secret and every table the decision does not read removed: agent
    /// secret hashes, API keys, issued-token records, idempotency results, decision batch
    /// sequence numbers and the audit head.
    public func feedState() -> GovernanceState {
        var stripped = self
        stripped.agents = agents.mapValues(\.withoutSecret)
        stripped.apiKeys = [:]
        stripped.issuedTokens = [:]
        stripped.idempotency = IdempotencyTable()
        stripped.decisionBatches = [:]
        stripped.auditHead = .genesis
        return stripped
    }

    /// Snapshot bytes of `feedState()`, restorable with `GovernanceState.restore`: what the feed's
    /// `snapshot` event carries.
    public func feedSnapshot() -> [UInt8] { feedState().snapshot() }

    /// Applies one feed event published at `revision`, with the same effect the cluster's apply
    /// had on every table the decision reads; `appliedRevision` moves up to `revision` (events of
    /// one revision arrive together; an older revision never moves it back).
    public mutating func applyFeedEvent(_ event: FeedEvent, revision: UInt64) throws(FeedReplicaError) {
        switch event {
        case .kill(let agentID, let killRevision, let reason, let initiator):
            applyFeedKill(agentID, killRevision: killRevision, reason: reason, initiator: initiator, revision: revision)
        case .reinstate(let agentID, let validAfter):
            guard var agent = agents[agentID] else { break }
            agent.status = .active
            agent.kill = nil
            agent.validAfter = validAfter
            agent.riskScore = 0
            agent.updatedRevision = revision
            agents[agentID] = agent
        case .userKill(let userID, let cutRevision):
            var user = users[userID] ?? User(id: userID, attributes: [:])
            user.cutAtRevision = cutRevision
            user.updatedRevision = revision
            users[userID] = user
        case .userReinstate(let userID, let delegationValidAfter):
            guard var user = users[userID] else { break }
            user.cutAtRevision = nil
            user.delegationValidAfter = delegationValidAfter
            user.updatedRevision = revision
            users[userID] = user
        case .tokenRevoked(let jti, let expiresAtMilliseconds):
            revokedTokens[jti] = expiresAtMilliseconds
        case .agent(let agent):
            agents[agent.id] = agent.withoutSecret
        case .agentDeleted(let id):
            agents[id] = nil
        case .user(let user):
            users[user.id] = user
        case .connection(let connection):
            connections[connection.id] = connection
            connectionIDByPair[Self.pairKey(connection.caller, connection.callee)] = connection.id
        case .connectionDeleted(let id):
            if let connection = connections.removeValue(forKey: id) {
                connectionIDByPair[Self.pairKey(connection.caller, connection.callee)] = nil
            }
        case .model(let modelID, let canonicalJSON):
            try applyFeedModel(modelID: modelID, canonicalJSON: canonicalJSON)
        case .tuples(let writes, let deletes):
            for key in deletes { _ = tuples.remove(key) }
            for tuple in writes { _ = tuples.insert(tuple) }
        case .settings(let proposed):
            settings = proposed
        case .signingKey(let key):
            signingKeys[key.kid] = key
        }
        advanceFeedRevision(to: revision)
    }

    /// Moves `appliedRevision` up to `revision`: the feed publishes nothing for entries the
    /// decision does not read, so a heartbeat's commit (once every event up to it is applied)
    /// advances the replica to where the cluster is.
    public mutating func advanceFeedRevision(to revision: UInt64) {
        appliedRevision = max(appliedRevision, revision)
    }

    // MARK: Helpers

    private mutating func applyFeedKill(_ agentID: String, killRevision: UInt64, reason: String, initiator: String, revision: UInt64) {
        guard var agent = agents[agentID], agent.status != .killed else { return }
        agent.status = .killed
        agent.kill = KillRecord(revision: killRevision, reason: reason, initiator: Self.actor(fromAuditName: initiator))
        agent.updatedRevision = revision
        agents[agentID] = agent
    }

    private mutating func applyFeedModel(modelID: String, canonicalJSON: [UInt8]) throws(FeedReplicaError) {
        let parsed: AuthorizationModel
        do {
            parsed = try Self.parseModel(canonicalJSON)
        } catch {
            throw FeedReplicaError(message: "model \(modelID) does not parse: \(error.message)")
        }
        model = parsed
        self.modelID = modelID
        modelFacts = ModelFacts(parsed)
    }

    /// The actor an audit name (`Actor.auditName`) names; an API key's role is not in the name.
    static func actor(fromAuditName name: String) -> Actor {
        if let id = suffix(of: name, after: "api_key:") { return .apiKey(id: id, role: .security) }
        if let id = suffix(of: name, after: "agent:") { return .agent(id) }
        if let id = suffix(of: name, after: "enforcer:") { return .enforcer(id) }
        return name == "policy" ? .policy : .system
    }
}
