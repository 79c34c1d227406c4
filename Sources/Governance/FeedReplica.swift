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

// MARK: - Feed event wire form

/// The binary form of a feed event that the feed's `data` carries (base64url) next to its
/// readable fields, so the enforcer applies exactly the values the cluster published, with the
/// same codecs the snapshot uses. Layout: tag byte, then the case's fields.
extension FeedEvent {
    /// Longest encoded event accepted: a model or a full tuple batch with conditions fits.
    public static let maximumEncodedBytes = 2 * 1_024 * 1_024

    /// The event as bytes (`FeedEvent.decode` reads them back).
    public func encode() -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 128)
        switch self {
        case .kill(let agentID, let revision, let reason, let initiator):
            writer.byte(0); writer.string(agentID); writer.unsigned(revision); writer.string(reason); writer.string(initiator)
        case .reinstate(let agentID, let validAfter):
            writer.byte(1); writer.string(agentID); writer.unsigned(validAfter)
        case .userKill(let userID, let revision):
            writer.byte(2); writer.string(userID); writer.unsigned(revision)
        case .userReinstate(let userID, let validAfter):
            writer.byte(3); writer.string(userID); writer.unsigned(validAfter)
        case .tokenRevoked(let jti, let expiresAt):
            writer.byte(4); writer.string(jti); writer.signed(expiresAt)
        case .agent(let agent):
            writer.byte(5); agent.withoutSecret.write(into: &writer)
        case .agentDeleted(let id):
            writer.byte(6); writer.string(id)
        case .user(let user):
            writer.byte(7); user.write(into: &writer)
        case .connection(let connection):
            writer.byte(8); connection.write(into: &writer)
        case .connectionDeleted(let id):
            writer.byte(9); writer.string(id)
        case .model(let modelID, let canonicalJSON):
            writer.byte(10); writer.string(modelID); writer.data(canonicalJSON)
        case .tuples(let writes, let deletes):
            writer.byte(11)
            writer.count(writes.count)
            for tuple in writes { TupleCoding.write(tuple, into: &writer) }
            writer.count(deletes.count)
            for key in deletes { TupleCoding.write(key, into: &writer) }
        case .settings(let settings):
            writer.byte(12); settings.write(into: &writer)
        case .signingKey(let key):
            writer.byte(13); key.write(into: &writer)
        }
        return writer.bytes
    }

    /// Reads what `encode()` wrote; refuses trailing bytes, unknown tags and out-of-bound fields.
    public static func decode(_ bytes: [UInt8]) throws(FeedReplicaError) -> FeedEvent {
        guard bytes.count <= maximumEncodedBytes else { throw FeedReplicaError(message: "event larger than \(maximumEncodedBytes) bytes") }
        var reader = ByteReader(bytes)
        do throws(CommandDecodingError) {
            let event = try read(&reader)
            guard reader.isAtEnd else { throw reader.failure("trailing bytes") }
            return event
        } catch {
            throw FeedReplicaError(message: error.description)
        }
    }

    private static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> FeedEvent {
        let id = GovernanceLimits.maximumIdentifierBytes
        switch try reader.byte() {
        case 0:
            return .kill(
                agentID: try reader.string(maximum: id, "agent"), revision: try reader.unsigned(),
                reason: try reader.string(maximum: GovernanceLimits.maximumTextBytes, "reason"),
                initiator: try reader.string(maximum: GovernanceLimits.maximumTextBytes, "initiator"))
        case 1: return .reinstate(agentID: try reader.string(maximum: id, "agent"), validAfter: try reader.unsigned())
        case 2: return .userKill(userID: try reader.string(maximum: id, "user"), revision: try reader.unsigned())
        case 3: return .userReinstate(userID: try reader.string(maximum: id, "user"), delegationValidAfter: try reader.unsigned())
        case 4: return .tokenRevoked(jti: try reader.string(maximum: id, "jti"), expiresAtMilliseconds: try reader.signed())
        case 5: return .agent(try Agent.read(&reader))
        case 6: return .agentDeleted(id: try reader.string(maximum: id, "agent"))
        case 7: return .user(try User.read(&reader))
        case 8: return .connection(try Connection.read(&reader))
        case 9: return .connectionDeleted(id: try reader.string(maximum: id, "connection"))
        case 10:
            return .model(
                modelID: try reader.string(maximum: id, "model id"),
                canonicalJSON: try reader.data(maximum: GovernanceLimits.maximumModelBytes, "model"))
        case 11:
            var writes: [RelationshipTuple] = []
            for _ in 0..<(try reader.count(maximum: GovernanceLimits.maximumTuplesPerWrite, "writes")) {
                writes.append(try TupleCoding.readTuple(&reader))
            }
            var deletes: [TupleKey] = []
            for _ in 0..<(try reader.count(maximum: GovernanceLimits.maximumTuplesPerWrite, "deletes")) {
                deletes.append(try TupleCoding.readKey(&reader))
            }
            return .tuples(writes: writes, deletes: deletes)
        case 12: return .settings(try Settings.read(&reader))
        case 13: return .signingKey(try SigningKey.read(&reader))
        case let tag: throw reader.failure("unknown feed event tag \(tag)")
        }
    }
}
