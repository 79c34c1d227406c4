import Authorization
import Testing
@testable import Governance

@Suite("kill switch, reinstatement, user kill and risk")
struct KillSwitchTests {
    @Test("a kill records who and why, emits a kill feed event, and is audited again when repeated")
    func kill() {
        var harness = Harness()
        harness.register("bot")
        let first = harness.apply(.killAgent(id: "bot", reason: "exfiltration"))
        #expect(harness.state.agents["bot"]?.status == .killed)
        #expect(harness.state.agents["bot"]?.kill == KillRecord(revision: 2, reason: "exfiltration", initiator: harness.actor))
        #expect(first.feedEvents == [.kill(agentID: "bot", revision: 2, reason: "exfiltration", initiator: "api_key:admin-key")])
        #expect(first.auditRecords.map(\.type) == ["agent_killed"])
        #expect(first.auditRecords.first?.detail["reason"] == "exfiltration")
        let again = harness.apply(.killAgent(id: "bot", reason: "again"))
        #expect(again.auditRecords.count == 1)
        #expect(again.auditRecords.first?.detail["already_killed"] == "true")
        #expect(again.feedEvents.isEmpty)
        #expect(harness.state.agents["bot"]?.kill?.revision == 2)
    }

    @Test("reinstating raises valid_after to the reinstating revision and resets the risk score")
    func reinstate() {
        var harness = Harness()
        harness.register("bot")
        harness.apply(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 30, source: "s")))
        #expect(rejectionCode(harness.result(.reinstateAgent(id: "bot", reason: ""))) == "precondition_failed")
        harness.apply(.killAgent(id: "bot", reason: "x"))
        let outcome = harness.apply(.reinstateAgent(id: "bot", reason: "fixed"))
        let agent = harness.state.agents["bot"]
        #expect(agent?.status == .active && agent?.validAfter == outcome.revision && agent?.riskScore == 0)
        #expect(outcome.feedEvents == [.reinstate(agentID: "bot", validAfter: outcome.revision)])
    }

    @Test("a user kill cuts the user once, is audited every time, and reinstatement raises the user's valid_after")
    func userKill() {
        var harness = Harness()
        let first = harness.apply(.killUser(id: "anne", reason: "left"))
        #expect(harness.state.users["anne"]?.cutAtRevision == 1)
        #expect(first.feedEvents == [.userKill(userID: "anne", revision: 1)])
        let again = harness.apply(.killUser(id: "anne", reason: "again"))
        #expect(again.auditRecords.first?.detail["already_cut"] == "true")
        #expect(harness.state.users["anne"]?.cutAtRevision == 1)
        harness.apply(.reinstateUser(id: "anne", reason: "back"))
        #expect(harness.state.users["anne"]?.cutAtRevision == nil)
        #expect(harness.state.users["anne"]?.delegationValidAfter == 3)
    }

    @Test("risk decays linearly per hour of entry time before a signal adds severity × weight")
    func riskDecay() {
        var harness = Harness()
        harness.register("bot")
        #expect(harness.result(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 60, source: "s"))) == .risk(score: 60, killed: false))
        harness.advance(milliseconds: 3 * 3_600_000)
        #expect(harness.result(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 10, source: "s"))) == .risk(score: 40, killed: false))
        harness.advance(milliseconds: 10 * 3_600_000)
        #expect(harness.result(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 5, source: "s"))) == .risk(score: 5, killed: false))
        #expect(RiskPolicy.decayed(score: 50, updatedAtMilliseconds: 1_000, nowMilliseconds: 0, decayPerHour: 10) == 50)
    }

    @Test("crossing the threshold kills in the same entry with reason risk and initiator policy")
    func riskKill() {
        var harness = Harness()
        harness.register("bot")
        harness.apply(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 60, source: "s")))
        let outcome = harness.apply(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 40, source: "s")))
        #expect(outcome.result == .risk(score: 100, killed: true))
        #expect(harness.state.agents["bot"]?.kill == KillRecord(revision: 3, reason: "risk", initiator: .policy))
        #expect(outcome.auditRecords.map(\.type) == ["risk_signal", "agent_killed"])
        #expect(outcome.auditRecords.last?.actor == "policy")
        #expect(outcome.feedEvents == [.kill(agentID: "bot", revision: 3, reason: "risk", initiator: "policy")])
    }

    @Test("signals are validated: severity 0-100, known agent")
    func signalValidation() {
        var harness = Harness()
        harness.register("bot")
        #expect(rejectedField(harness.result(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 101, source: "s")))) == "severity")
        #expect(rejectedField(harness.result(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: -1, source: "s")))) == "severity")
        #expect(rejectionCode(harness.result(.riskSignal(RiskSignal(agent: "ghost", type: "t", severity: 1, source: "s")))) == "not_found")
    }
}
