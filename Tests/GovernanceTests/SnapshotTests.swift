import Authorization
import Testing
@testable import Governance

@Suite("snapshot, restore and digest")
struct SnapshotTests {
    static func populated() -> Harness {
        var harness = Harness()
        harness.register("a", attributes: ["tier": .int(2)])
        harness.register("b", kind: .service)
        harness.connect("a", "b")
        harness.apply(.setUserAttributes(userID: "anne", attributes: ["approval_limit": .int(1_000), "on_duty": .bool(true)]))
        harness.apply(.killUser(id: "bob", reason: "left"))
        harness.apply(.createAPIKey(APIKey(id: "k", name: "ops", role: .admin, keyHash: [1])))
        harness.apply(.addSigningKey(kid: "n1", publicKey: [2, 3]))
        harness.apply(.riskSignal(RiskSignal(agent: "a", type: "t", severity: 20, source: "s")), idempotencyKey: "retry-1")
        _ = harness.issue("t1", chain: ["a"])
        harness.apply(.revokeToken(jti: "t0", expiresAtMilliseconds: harness.nowMilliseconds + 1_000))
        harness.apply(.decisionBatch(DecisionBatch(source: "edge-1", batchSeq: 3, decisions: [])))
        harness.apply(.killAgent(id: "b", reason: "x"))
        return harness
    }

    @Test("restore gives a state with the same snapshot bytes and digest")
    func roundTrip() throws {
        let state = Self.populated().state
        let bytes = state.snapshot()
        let restored = try GovernanceState.restore(bytes)
        #expect(restored.snapshot() == bytes)
        #expect(restored.digest() == state.digest())
        #expect(restored.agents == state.agents && restored.users == state.users)
        #expect(restored.connection(from: "a", to: "b")?.id == "a-b")
    }

    @Test("a restored replica applies the next entries to the same digest, idempotency included")
    func continueAfterRestore() throws {
        var original = Self.populated()
        var replica = original
        replica.state = try GovernanceState.restore(original.state.snapshot())
        for harnessIndex in 0..<2 {
            var harness = harnessIndex == 0 ? original : replica
            let replay = harness.apply(.riskSignal(RiskSignal(agent: "a", type: "t", severity: 20, source: "s")), idempotencyKey: "retry-1")
            #expect(replay.replayed)
            harness.apply(.reinstateAgent(id: "b", reason: "ok"))
            if harnessIndex == 0 { original = harness } else { replica = harness }
        }
        #expect(original.state.digest() == replica.state.digest())
    }

    @Test("different states have different digests")
    func digestsDiffer() {
        var harness = Self.populated()
        let before = harness.state.digest()
        harness.apply(.setUserAttributes(userID: "anne", attributes: ["on_duty": .bool(false)]))
        #expect(harness.state.digest() != before)
    }

    @Test("corrupted, truncated or foreign snapshot bytes are refused")
    func refused() {
        let bytes = Self.populated().state.snapshot()
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x10
        #expect(throws: SnapshotError.self) { try GovernanceState.restore(flipped) }
        #expect(throws: SnapshotError.self) { try GovernanceState.restore(Array(bytes.prefix(bytes.count - 1))) }
        #expect(throws: SnapshotError.self) { try GovernanceState.restore(Array("not a snapshot".utf8)) }
        #expect(throws: SnapshotError.self) { try GovernanceState.restore([]) }
    }

    @Test("every command result survives its binary form (the idempotency table in snapshots)")
    func resultCoding() throws {
        let agent = Agent(id: "a", name: "A", owner: "o", kind: .agent, scopes: ["x:y"], attributes: ["k": .bool(true)], secretHash: [])
        let results: [CommandResult] = [
            .agent(agent), .agentKilled(agent), .deleted(kind: "agent", id: "a"), .user(User(id: "u", attributes: [:], cutAtRevision: 3)),
            .connection(Connection(id: "c", caller: "a", callee: "b", scopes: ["x:y"], maxTokenTTLSeconds: 5)),
            .model(modelID: "ab"), .tuples(written: 100, deleted: 3), .tokenRevoked(jti: "j"),
            .tokenIssued(IssuedToken(jti: "j", subject: "user:u", chain: ["a"], scopes: ["x:y"], expiresAtMilliseconds: 9)),
            .risk(score: 12.5, killed: true), .settings(.defaults), .apiKey(APIKey(id: "k", name: "n", role: .reader, keyHash: [1])),
            .signingKey(SigningKey(kid: "n", publicKey: [2], retiredRevision: 4)), .decisionBatch(applied: true, recorded: 1_000),
            .rejected(.invalidArgument(field: "f", message: "m")), .rejected(.notFound(kind: "agent", id: "a")),
            .rejected(.alreadyExists(kind: "k", id: "i")), .rejected(.conflict("c")), .rejected(.preconditionFailed("p")),
        ]
        for result in results {
            var writer = ByteWriter()
            result.write(into: &writer)
            var reader = ByteReader(writer.bytes)
            #expect(try CommandResult.read(&reader) == result)
            #expect(reader.isAtEnd)
        }
    }
}
