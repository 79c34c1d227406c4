import Authorization
import Testing
@testable import Governance

// MARK: - Random commands

/// Draws commands over a small universe of ids, so they collide often (duplicates, unknown
/// ids, kills of killed agents, tokens for cut users), valid and invalid alike.
struct CommandGenerator {
    var random: SplitMix64
    let agents = ["a0", "a1", "a2", "a3", "a4"]
    let users = ["anne", "bob", "carl"]

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
    mutating func number(_ range: ClosedRange<Int64>) -> Int64 { range.lowerBound + Int64(random.next() % UInt64(range.upperBound - range.lowerBound + 1)) }

    mutating func command(now: Int64) -> Command {
        switch random.next() % 14 {
        case 0:
            return .registerAgent(AgentRegistration(
                id: pick(agents + ["bad id"]), name: "n", owner: pick(users), kind: pick([.agent, .service]),
                scopes: chance(80) ? ["document:*"] : ["bad"], attributes: ["level": .int(number(0...3))], secretHash: [1, 2]))
        case 1: return .updateAgent(AgentUpdate(id: pick(agents), scopes: chance(50) ? ["document:viewer"] : nil,
                                                status: chance(50) ? pick([.active, .suspended, .killed]) : nil))
        case 2: return chance(30) ? .deleteAgent(id: pick(agents)) : .killAgent(id: pick(agents), reason: "r")
        case 3: return .reinstateAgent(id: pick(agents), reason: "r")
        case 4: return chance(50) ? .killUser(id: pick(users), reason: "r") : .reinstateUser(id: pick(users), reason: "r")
        case 5: return .setUserAttributes(userID: pick(users), attributes: ["on_duty": .bool(chance(50))])
        case 6:
            let caller = pick(agents), callee = pick(agents)
            return chance(70)
                ? .createConnection(Connection(id: "\(caller)-\(callee)", caller: caller, callee: callee, scopes: ["document:*"],
                                               maxTokenTTLSeconds: number(0...600)))
                : .deleteConnection(id: "\(caller)-\(callee)")
        case 7:
            let tuple = ModelFixtures.tuple("document:\(number(0...3))", "viewer", "user:" + pick(users))
            return chance(60) ? .writeTuples(writes: [tuple], deletes: []) : .writeTuples(writes: [], deletes: [tuple.key])
        case 8: return .riskSignal(RiskSignal(agent: pick(agents), type: "t", severity: number(-5...105), source: "s"))
        case 9:
            let chain = chance(50) ? [pick(agents)] : [pick(agents), pick(agents)]
            return .tokenIssued(IssuedToken(jti: "j\(number(0...20))", subject: "user:" + pick(users), chain: chain,
                                            scopes: ["document:viewer"], expiresAtMilliseconds: now + number(-1_000...1_000_000)))
        case 10: return .revokeToken(jti: "j\(number(0...20))", expiresAtMilliseconds: now + number(0...1_000_000))
        case 11: return .setSettings(Settings(riskThreshold: Double(number(0...150)), riskDecayPerHour: Double(number(0...20))))
        case 12:
            return chance(50)
                ? .createAPIKey(APIKey(id: "k\(number(0...3))", name: "k", role: pick(APIKeyRole.allCases), keyHash: [3]))
                : .addSigningKey(kid: "n\(number(0...3))", publicKey: [4])
        default:
            return .decisionBatch(DecisionBatch(source: "edge-\(number(0...1))", batchSeq: UInt64(number(0...6)), decisions: [
                DecisionRecord(decisionID: "d", agent: pick(agents), subject: nil, action: "viewer", resource: "document:1",
                               allowed: chance(50), reasons: [], revision: 1, timeMilliseconds: now),
            ]))
        }
    }

    /// A payload with a drawn actor and, sometimes, a reused idempotency key.
    mutating func payload(now: Int64) -> LogEntryPayload {
        LogEntryPayload(
            timestampMilliseconds: now, idempotencyKey: chance(15) ? "idem-\(number(0...5))" : nil,
            actor: pick([.apiKey(id: "k", role: .admin), .agent("a0"), .enforcer("edge-0"), .system]), command: command(now: now))
    }
}

// MARK: - Properties

@Suite("properties over random command sequences")
struct PropertyTests {
    static let seeds: [UInt64] = [1, 2, 3, 0xDEAD_BEEF, 20_261_129]
    static let length = 400

    /// Applies a random sequence; returns the payloads, outcomes and final state.
    static func run(seed: UInt64) -> (payloads: [LogEntryPayload], outcomes: [ApplyOutcome], state: GovernanceState) {
        var generator = CommandGenerator(seed: seed)
        var state = GovernanceState()
        var now: Int64 = 1_800_000_000_000
        var payloads = [LogEntryPayload(timestampMilliseconds: now, actor: .system, command: .writeModel(json: Array(ModelFixtures.documents.utf8)))]
        var outcomes = [state.apply(payloads[0], revision: 1)]
        for index in 0..<length {
            now += generator.number(-500...120_000)
            let payload = generator.payload(now: now)
            payloads.append(payload)
            outcomes.append(state.apply(payload, revision: UInt64(index + 2)))
        }
        return (payloads, outcomes, state)
    }

    @Test("apply is deterministic: the same commands (through the codec) give the same outcomes and digest", arguments: seeds)
    func deterministic(seed: UInt64) throws {
        let first = Self.run(seed: seed)
        var replica = GovernanceState()
        for (index, payload) in first.payloads.enumerated() {
            let decoded = try LogEntryPayload.decode(payload.encode())
            #expect(decoded == payload)
            #expect(replica.apply(decoded, revision: UInt64(index + 1)) == first.outcomes[index])
        }
        #expect(replica.digest() == first.state.digest())
        let rejections = first.outcomes.filter { $0.result.isRejection }.count
        #expect(rejections > 0 && rejections < first.outcomes.count)
    }

    @Test("snapshot → restore → the rest of the log gives the same digest", arguments: seeds)
    func snapshotRestore(seed: UInt64) throws {
        let full = Self.run(seed: seed)
        let cut = Int(seed % UInt64(Self.length - 10)) + 5
        var state = GovernanceState()
        for index in 0..<cut { _ = state.apply(full.payloads[index], revision: UInt64(index + 1)) }
        var restored = try GovernanceState.restore(state.snapshot())
        #expect(restored.digest() == state.digest())
        for index in cut..<full.payloads.count {
            #expect(restored.apply(full.payloads[index], revision: UInt64(index + 1)) == full.outcomes[index])
        }
        #expect(restored.digest() == full.state.digest())
    }

    @Test("a rejected command changes nothing but the audit head and its idempotency key", arguments: seeds)
    func rejectionsChangeNothing(seed: UInt64) {
        let full = Self.run(seed: seed)
        var state = GovernanceState()
        var checked = 0
        for (index, payload) in full.payloads.enumerated() {
            let before = state
            let outcome = state.apply(payload, revision: UInt64(index + 1))
            if outcome.result.isRejection || outcome.replayed {
                #expect(onlyAuditMoved(from: before, to: state))
                #expect(outcome.feedEvents.isEmpty && outcome.auditRecords.count == 1)
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    @Test("the audit records of a whole run verify and end at the state's head", arguments: seeds)
    func auditVerifies(seed: UInt64) {
        let full = Self.run(seed: seed)
        let records = full.outcomes.flatMap(\.auditRecords)
        let verification = AuditRecord.verifyChain(records)
        #expect(verification.ok && verification.head == full.state.auditHead)
        #expect(records.count >= full.outcomes.count)
    }

    @Test("killed agents never get an allowed decision, whatever the sequence", arguments: seeds)
    func killedNeverAllowed(seed: UInt64) {
        let full = Self.run(seed: seed)
        for (id, agent) in full.state.agents where agent.status != .active {
            for document in 0...3 {
                for user in ["anne", "bob", "carl"] {
                    let request = DecisionRequest(agent: id, onBehalfOf: "user:" + user, action: "viewer", resource: "document:\(document)")
                    #expect(!full.state.decide(request, nowMilliseconds: 0).allowed)
                }
            }
        }
    }
}
