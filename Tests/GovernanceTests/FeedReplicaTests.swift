import Authorization
import Testing
@testable import Governance

// MARK: - Random decision requests

/// Draws decision requests over the same small universe as `CommandGenerator`, with and
/// without tokens (chains of known and unknown agents, revoked and live ids, old and new
/// revisions), so every reason the decision gives comes up.
struct DecisionRequestGenerator {
    var commands: CommandGenerator

    init(seed: UInt64) { commands = CommandGenerator(seed: seed) }

    mutating func request(now: Int64, revision: UInt64) -> DecisionRequest {
        let agent = commands.pick(commands.agents + ["ghost"])
        var token: PresentedToken?
        if commands.chance(50) {
            let chain = commands.chance(50) ? [agent] : [commands.pick(commands.agents), agent]
            token = PresentedToken(
                jti: "j\(commands.number(0...20))", subject: "user:" + commands.pick(commands.users), chain: chain,
                scopes: [commands.pick(["document:viewer", "document:*", "invoice:*"])],
                issuedAtRevision: UInt64(commands.number(0...Int64(revision + 1))),
                expiresAtMilliseconds: now + commands.number(-1_000...1_000_000), issuedAtMilliseconds: now - 1_000)
        }
        let onBehalfOf = commands.chance(70) ? "user:" + commands.pick(commands.users) : nil
        return DecisionRequest(
            agent: agent, token: token, onBehalfOf: onBehalfOf, action: commands.pick(["viewer", "editor", "owner"]),
            resource: "document:\(commands.number(0...3))")
    }
}

// MARK: - Properties

@Suite("the enforcer's feed replica decides exactly like the cluster")
struct FeedReplicaTests {
    static let seeds: [UInt64] = [1, 2, 3, 0xDEAD_BEEF, 20_261_129, 77, 4_242]
    static let requestsPerCheck = 40
    static let checkEveryEntries = 25

    /// The reasons compared: a revocation the cluster swept publishes nothing, so the replica
    /// may still list `token_revoked` for a token that is expired on both sides.
    static func comparable(_ decision: Decision) -> Decision {
        guard decision.reasons.contains(.tokenExpired) else { return decision }
        var normalized = decision
        normalized.reasons.removeAll { $0 == .tokenRevoked }
        return normalized
    }

    @Test("snapshot at a random point + the rest as feed events decides like the cluster", arguments: seeds)
    func replicaAgreesWithCluster(seed: UInt64) throws {
        let full = PropertyTests.run(seed: seed)
        let cut = Int(seed % UInt64(full.payloads.count - 1))
        var cluster = GovernanceState()
        for index in 0..<cut { _ = cluster.apply(full.payloads[index], revision: UInt64(index + 1)) }
        var replica = try GovernanceState.restore(cluster.feedSnapshot())
        var requests = DecisionRequestGenerator(seed: seed &* 31)
        for index in cut..<full.payloads.count {
            let revision = UInt64(index + 1)
            let outcome = cluster.apply(full.payloads[index], revision: revision)
            for event in outcome.feedEvents {
                let carried = try FeedEvent.decode(event.encode())
                #expect(carried == event)
                try replica.applyFeedEvent(carried, revision: revision)
            }
            replica.advanceFeedRevision(to: revision)
            guard index % Self.checkEveryEntries == 0 || index == full.payloads.count - 1 else { continue }
            let now = full.payloads[index].timestampMilliseconds
            for _ in 0..<Self.requestsPerCheck {
                let request = requests.request(now: now, revision: revision)
                let expected = cluster.decide(request, nowMilliseconds: now)
                let actual = replica.decide(request, nowMilliseconds: now)
                #expect(Self.comparable(actual) == Self.comparable(expected), "seed \(seed) revision \(revision) \(request)")
            }
        }
        #expect(replica.appliedRevision == cluster.appliedRevision)
        #expect(Set(replica.revokedTokens.keys).isSuperset(of: cluster.revokedTokens.keys))
        #expect(replica.agents.mapValues(\.status) == cluster.agents.mapValues(\.status))
    }

    @Test("some random requests are allowed, so agreement is not only on denials")
    func someAllowed() throws {
        var allowed = 0
        for seed in Self.seeds {
            let full = PropertyTests.run(seed: seed)
            var requests = DecisionRequestGenerator(seed: seed)
            let now = full.payloads.last!.timestampMilliseconds
            for _ in 0..<2_000 where full.state.decide(requests.request(now: now, revision: full.state.appliedRevision), nowMilliseconds: now).allowed {
                allowed += 1
            }
        }
        #expect(allowed > 0)
    }

    @Test("the feed snapshot carries no secrets and restores")
    func snapshotStripsSecrets() throws {
        let full = PropertyTests.run(seed: 5)
        let replica = try GovernanceState.restore(full.state.feedSnapshot())
        #expect(replica.agents.values.allSatisfy { $0.secretHash.isEmpty })
        #expect(replica.apiKeys.isEmpty && replica.issuedTokens.isEmpty && replica.decisionBatches.isEmpty)
        #expect(replica.idempotency.entries.isEmpty && replica.auditHead == .genesis)
        #expect(replica.appliedRevision == full.state.appliedRevision && replica.modelID == full.state.modelID)
        #expect(replica.revokedTokens == full.state.revokedTokens && replica.connections == full.state.connections)
    }

    @Test("a model event that does not parse is refused and changes nothing")
    func badModelRefused() {
        var replica = GovernanceState()
        var refused = false
        do {
            try replica.applyFeedEvent(.model(modelID: "x", canonicalJSON: Array("{".utf8)), revision: 3)
        } catch {
            refused = true
        }
        #expect(refused)
        #expect(replica.model == nil && replica.appliedRevision == 0)
    }

    @Test("garbage event bytes are refused, never trap")
    func garbageRefused() {
        var random = SplitMix64(seed: 9)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = try? FeedEvent.decode(bytes)
        }
        #expect((try? FeedEvent.decode([99])) == nil)
        #expect((try? FeedEvent.decode(FeedEvent.agentDeleted(id: "a").encode() + [0])) == nil)
    }

    @Test("a kill's initiator is rebuilt from its audit name")
    func killInitiator() {
        #expect(GovernanceState.actor(fromAuditName: "policy") == .policy)
        #expect(GovernanceState.actor(fromAuditName: "agent:a1") == .agent("a1"))
        #expect(GovernanceState.actor(fromAuditName: "enforcer:e") == .enforcer("e"))
        #expect(GovernanceState.actor(fromAuditName: "api_key:k1") == .apiKey(id: "k1", role: .security))
        #expect(GovernanceState.actor(fromAuditName: "system") == .system)
    }
}
