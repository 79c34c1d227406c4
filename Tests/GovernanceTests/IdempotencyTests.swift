import Authorization
import Testing
@testable import Governance

@Suite("idempotency keys and decision batches")
struct IdempotencyTests {
    @Test("a retried write returns the first result, applies nothing, and is audited as a replay")
    func replay() {
        var harness = Harness()
        harness.register("bot")
        let first = harness.apply(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 30, source: "s")), idempotencyKey: "k-1")
        let before = harness.state
        let retry = harness.apply(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 30, source: "s")), idempotencyKey: "k-1")
        #expect(retry.replayed && retry.result == first.result)
        #expect(harness.state.agents["bot"]?.riskScore == 30)
        #expect(retry.auditRecords.map(\.type) == ["idempotent_replay"])
        #expect(retry.auditRecords.first?.detail["first_revision"] == String(first.revision))
        #expect(retry.feedEvents.isEmpty)
        #expect(onlyAuditMoved(from: before, to: harness.state))
    }

    @Test("a key is forgotten after its retention in entry time")
    func expiry() {
        var harness = Harness()
        harness.register("bot")
        harness.apply(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 10, source: "s")), idempotencyKey: "k")
        harness.advance(milliseconds: GovernanceLimits.idempotencyRetentionMilliseconds)
        harness.state.settings.riskDecayPerHour = 0
        let later = harness.apply(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 10, source: "s")), idempotencyKey: "k")
        #expect(!later.replayed)
    }

    @Test("a rejection is the key's final result: a stale attempt with the same key applies nothing")
    func rejectionsAreFinal() {
        var harness = Harness()
        #expect(rejectionCode(harness.result(.killAgent(id: "bot", reason: ""), idempotencyKey: "k")) == "not_found")
        harness.register("bot")
        let stale = harness.apply(.killAgent(id: "bot", reason: ""), idempotencyKey: "k")
        #expect(stale.replayed)
        #expect(rejectionCode(stale.result) == "not_found")
        #expect(harness.state.agents["bot"]?.status == .active)
        let fresh = harness.apply(.killAgent(id: "bot", reason: ""), idempotencyKey: "k2")
        #expect(!fresh.replayed && harness.state.agents["bot"]?.status == .killed)
    }

    @Test("a malformed idempotency key or actor id is a rejection")
    func malformedKey() {
        var harness = Harness()
        #expect(rejectedField(harness.result(.killUser(id: "anne", reason: ""), idempotencyKey: "")) == "idempotency_key")
        #expect(rejectedField(harness.apply(.killUser(id: "anne", reason: ""), actor: .agent(String(repeating: "x", count: 200))).result) == "actor")
        #expect(harness.state.users.isEmpty)
    }

    @Test("the table is bounded: beyond capacity the oldest key is evicted")
    func bounded() {
        var table = IdempotencyTable()
        let capacity = GovernanceLimits.idempotencyCapacity
        for index in 0...capacity {
            table.remember("k\(index)", result: .tokenRevoked(jti: "j"), revision: UInt64(index + 1), nowMilliseconds: 0)
        }
        #expect(table.count == capacity)
        #expect(table.lookup("k0", nowMilliseconds: 0) == nil)
        #expect(table.lookup("k\(capacity)", nowMilliseconds: 0) != nil)
    }

    @Test("a decision batch applies once per (source, batch_seq), one audit record per decision")
    func batches() {
        var harness = Harness()
        let decisions = (0..<3).map { index in
            DecisionRecord(decisionID: "d\(index)", agent: "bot", subject: "user:anne", action: "read", resource: "doc:\(index)",
                           allowed: index != 1, reasons: index == 1 ? ["agent_killed"] : [], revision: 4, timeMilliseconds: 5)
        }
        let batch = DecisionBatch(source: "edge-1", batchSeq: 1, decisions: decisions)
        let first = harness.apply(.decisionBatch(batch), actor: .enforcer("edge-1"))
        #expect(first.result == .decisionBatch(applied: true, recorded: 3))
        #expect(first.auditRecords.map(\.type) == ["decision_batch", "decision", "decision", "decision"])
        #expect(first.auditRecords[2].detail["reasons"] == "agent_killed" && first.auditRecords[2].actor == "enforcer:edge-1")
        let retry = harness.apply(.decisionBatch(batch), actor: .enforcer("edge-1"))
        #expect(retry.result == .decisionBatch(applied: false, recorded: 0))
        #expect(retry.auditRecords.map(\.type) == ["decision_batch_duplicate"])
        var bad = batch
        bad.batchSeq = 2
        bad.decisions[0].resource = "no-type"
        #expect(rejectedField(harness.result(.decisionBatch(bad))) == "decisions[0].resource")
        #expect(harness.state.decisionBatches["edge-1"] == 1)
    }
}

/// Whether `after` equals `before` except for the audit head, the applied revision and the
/// rejected command's idempotency key.
func onlyAuditMoved(from before: GovernanceState, to after: GovernanceState) -> Bool {
    var expected = before
    expected.auditHead = after.auditHead
    expected.appliedRevision = after.appliedRevision
    // A rejection is remembered under its idempotency key (the key's first result is final):
    // the table may gain that one entry and nothing else.
    let gained = Set(after.idempotency.entries.keys).subtracting(before.idempotency.entries.keys)
    guard gained.count <= 1, before.idempotency.entries.allSatisfy({ after.idempotency.entries[$0.key] == $0.value }) else {
        return false
    }
    expected.idempotency = after.idempotency
    return expected.digest() == after.digest() && before.auditHead != after.auditHead
}
