import Authorization
import Testing
@testable import Governance

@Suite("the decision function")
struct DecisionTests {
    @Test("allowed when agent, token, scopes, relation with its condition and the agent's own relation all hold")
    func allowed() {
        var harness = ModelFixtures.invoiceHarness()
        let token = harness.issue("t1", chain: ["bot"])
        let decision = harness.state.decide(ModelFixtures.approve(500, token: token), nowMilliseconds: harness.nowMilliseconds)
        #expect(decision == Decision(allowed: true, reasons: [], revision: harness.revision))
        let viewer = DecisionRequest(agent: "bot", onBehalfOf: "user:anne", action: "viewer", resource: "invoice:2")
        #expect(harness.state.decide(viewer, nowMilliseconds: harness.nowMilliseconds).allowed)
    }

    @Test("conditions read current subject attributes and the request context")
    func conditions() {
        var harness = ModelFixtures.invoiceHarness()
        let now = harness.nowMilliseconds
        #expect(harness.state.decide(ModelFixtures.approve(1_500), nowMilliseconds: now).reasons == [.relationNotFound])
        #expect(harness.state.decide(ModelFixtures.approve(nil), nowMilliseconds: now).reasons == [.missingContext(["amount"])])
        harness.apply(.setUserAttributes(userID: "anne", attributes: ["approval_limit": .int(1_000), "on_duty": .bool(false)]))
        #expect(harness.state.decide(ModelFixtures.approve(10), nowMilliseconds: now).reasons == [.relationNotFound])
    }

    @Test("a context with reserved keys or beyond its bounds is refused")
    func badContext() {
        let harness = ModelFixtures.invoiceHarness()
        var request = ModelFixtures.approve(10)
        request.context["subject"] = .map(["approval_limit": .int(1_000_000)])
        #expect(harness.state.decide(request, nowMilliseconds: 0).reasons == [.contextReservedKey("subject")])
        request = ModelFixtures.approve(10)
        for index in 0..<GovernanceLimits.maximumContextEntries { request.context["k\(index)"] = .int(1) }
        #expect(harness.state.decide(request, nowMilliseconds: 0).reasons == [.contextTooLarge])
        request = ModelFixtures.approve(10)
        request.context["blob"] = .string(String(repeating: "x", count: GovernanceLimits.maximumContextBytes))
        #expect(harness.state.decide(request, nowMilliseconds: 0).reasons == [.contextTooLarge])
    }

    @Test("unknown, killed and suspended agents are denied, and malformed fields are named")
    func agentStatus() {
        var harness = ModelFixtures.invoiceHarness()
        let now = harness.nowMilliseconds
        #expect(harness.state.decide(ModelFixtures.approve(1, agent: "ghost"), nowMilliseconds: now).reasons == [.agentUnknown("ghost")])
        harness.apply(.updateAgent(AgentUpdate(id: "bot", status: .suspended)))
        #expect(harness.state.decide(ModelFixtures.approve(1), nowMilliseconds: now).reasons == [.agentSuspended("bot")])
        harness.apply(.killAgent(id: "bot", reason: "x"))
        #expect(harness.state.decide(ModelFixtures.approve(1), nowMilliseconds: now).reasons == [.agentKilled("bot")])
        #expect(harness.state.decide(ModelFixtures.approve(1, agent: "helper", resource: "no-colon"), nowMilliseconds: now)
            .reasons.contains(.invalidRequest(field: "resource")))
    }

    @Test("a kill kills every chain containing the agent")
    func killKillsChains() {
        var harness = ModelFixtures.invoiceHarness()
        let delegated = harness.issue("t2", chain: ["helper", "bot"])
        #expect(harness.state.decide(ModelFixtures.approve(5, token: delegated), nowMilliseconds: harness.nowMilliseconds).allowed)
        harness.apply(.killAgent(id: "helper", reason: "compromised"))
        let decision = harness.state.decide(ModelFixtures.approve(5, token: delegated), nowMilliseconds: harness.nowMilliseconds)
        #expect(decision.reasons == [.chainMemberKilled("helper")])
    }

    @Test("reinstating raises valid_after so older tokens stay dead")
    func reinstatement() {
        var harness = ModelFixtures.invoiceHarness()
        let old = harness.issue("t-old", chain: ["bot"])
        harness.apply(.killAgent(id: "bot", reason: "x"))
        harness.apply(.reinstateAgent(id: "bot", reason: "y"))
        let now = harness.nowMilliseconds
        #expect(harness.state.decide(ModelFixtures.approve(5, token: old), nowMilliseconds: now).reasons == [.tokenPredatesReinstatement("bot")])
        let fresh = harness.issue("t-new", chain: ["bot"])
        #expect(harness.state.decide(ModelFixtures.approve(5, token: fresh), nowMilliseconds: now).allowed)
    }

    @Test("expired and revoked tokens are denied")
    func expiredAndRevoked() {
        var harness = ModelFixtures.invoiceHarness()
        let token = harness.issue("t1", chain: ["bot"], lifetimeMilliseconds: 1_000)
        #expect(harness.state.decide(ModelFixtures.approve(5, token: token), nowMilliseconds: token.expiresAtMilliseconds).reasons == [.tokenExpired])
        harness.apply(.revokeToken(jti: "t1", expiresAtMilliseconds: token.expiresAtMilliseconds))
        #expect(harness.state.decide(ModelFixtures.approve(5, token: token), nowMilliseconds: harness.nowMilliseconds).reasons == [.tokenRevoked])
    }

    @Test("a user kill denies every delegated access for the user from that revision; restoring keeps old tokens dead")
    func userKill() {
        var harness = ModelFixtures.invoiceHarness()
        let old = harness.issue("t1", chain: ["bot"])
        harness.apply(.killUser(id: "anne", reason: "left"))
        let now = harness.nowMilliseconds
        #expect(harness.state.decide(ModelFixtures.approve(5, token: old), nowMilliseconds: now).reasons == [.subjectCut("user:anne")])
        #expect(harness.state.decide(ModelFixtures.approve(5), nowMilliseconds: now).reasons == [.subjectCut("user:anne")])
        harness.apply(.reinstateUser(id: "anne", reason: "back"))
        #expect(harness.state.decide(ModelFixtures.approve(5, token: old), nowMilliseconds: now).reasons == [.subjectCut("user:anne")])
        #expect(harness.state.decide(ModelFixtures.approve(5), nowMilliseconds: now).allowed)
        let fresh = harness.issue("t2", chain: ["bot"])
        #expect(harness.state.decide(ModelFixtures.approve(5, token: fresh), nowMilliseconds: now).allowed)
    }

    @Test("the action must be within the token's scopes and the agent's scopes")
    func scopes() {
        var harness = ModelFixtures.invoiceHarness()
        let narrow = harness.issue("t1", chain: ["bot"], scopes: ["invoice:viewer"])
        let now = harness.nowMilliseconds
        #expect(harness.state.decide(ModelFixtures.approve(5, token: narrow), nowMilliseconds: now).reasons == [.scopeNotGranted(holder: "token")])
        harness.apply(.updateAgent(AgentUpdate(id: "bot", scopes: ["invoice:viewer"])))
        #expect(harness.state.decide(ModelFixtures.approve(5), nowMilliseconds: now).reasons == [.scopeNotGranted(holder: "agent")])
    }

    @Test("where the model names agents, the acting agent needs the relation too; otherwise only the subject does")
    func agentRelation() {
        var harness = ModelFixtures.invoiceHarness()
        harness.apply(.writeTuples(writes: [], deletes: [TupleKey(user: "agent:bot", relation: "approver", object: "invoice:1")]))
        #expect(harness.state.decide(ModelFixtures.approve(5), nowMilliseconds: harness.nowMilliseconds).reasons == [.agentRelationNotFound])
        var documents = Harness()
        documents.apply(.writeModel(json: Array(ModelFixtures.documents.utf8)))
        documents.register("bot", scopes: ["document:viewer"])
        documents.apply(.writeTuples(writes: [ModelFixtures.tuple("document:1", "viewer", "user:anne")], deletes: []))
        let request = DecisionRequest(agent: "bot", onBehalfOf: "user:anne", action: "viewer", resource: "document:1")
        #expect(documents.state.decide(request, nowMilliseconds: 0).allowed)
    }

    @Test("the token must belong to the acting agent and match on_behalf_of")
    func tokenIdentity() {
        var harness = ModelFixtures.invoiceHarness()
        let helperToken = harness.issue("t1", chain: ["helper"])
        let now = harness.nowMilliseconds
        #expect(harness.state.decide(ModelFixtures.approve(5, token: helperToken), nowMilliseconds: now).reasons.contains(.tokenActorMismatch))
        let botToken = harness.issue("t2", chain: ["bot"], subject: "user:bob")
        #expect(harness.state.decide(ModelFixtures.approve(5, token: botToken), nowMilliseconds: now).reasons == [.subjectMismatch])
        var forged = botToken
        forged.chain = ["bot", "helper", "bot"]
        #expect(harness.state.decide(ModelFixtures.approve(5, token: forged, onBehalfOf: nil), nowMilliseconds: now)
            .reasons.contains(.chainInvalid("cycle through bot")))
    }

    @Test("a service subject must be an active agent; with no model every decision denies")
    func serviceSubjectAndNoModel() {
        var harness = ModelFixtures.invoiceHarness()
        harness.register("svc", kind: .service)
        harness.apply(.killAgent(id: "svc", reason: "x"))
        let now = harness.nowMilliseconds
        #expect(harness.state.decide(ModelFixtures.approve(5, onBehalfOf: "agent:svc"), nowMilliseconds: now).reasons == [.subjectInactive("agent:svc")])
        #expect(harness.state.decide(ModelFixtures.approve(5, onBehalfOf: "robot"), nowMilliseconds: now).reasons == [.invalidRequest(field: "on_behalf_of")])
        var empty = Harness()
        empty.register("bot")
        #expect(empty.state.decide(ModelFixtures.approve(5), nowMilliseconds: 0).reasons == [.modelMissing])
    }

    @Test("decisions carry the applied revision and reason codes are stable")
    func revisionAndCodes() {
        var harness = ModelFixtures.invoiceHarness()
        harness.apply(.killUser(id: "zed", reason: ""))
        #expect(harness.state.decide(ModelFixtures.approve(5), nowMilliseconds: 0).revision == harness.revision)
        #expect(DecisionReason.missingContext(["a"]).code == "missing_context")
        #expect(DecisionReason.tokenPredatesReinstatement("x").code == "token_predates_reinstatement")
        #expect(DecisionReason.scopeNotGranted(holder: "token").code == "scope_not_granted")
    }

    @Test("a condition declaring the reserved parameter agent reads the acting agent's current attributes")
    func agentParameter() {
        let model = """
        {"schema_version":"1.1","type_definitions":[
          {"type":"user"},
          {"type":"document","relations":{"viewer":{"this":{}}},
           "metadata":{"relations":{"viewer":{"directly_related_user_types":[{"type":"user","condition":"cleared"}]}}}}],
         "conditions":{"cleared":{"name":"cleared","expression":"agent.clearance >= level",
           "parameters":{"level":{"type_name":"TYPE_NAME_INT"},
                         "agent":{"type_name":"TYPE_NAME_MAP","generic_types":[{"type_name":"TYPE_NAME_ANY"}]}}}}}
        """
        var harness = Harness()
        harness.apply(.writeModel(json: Array(model.utf8)))
        harness.register("bot", scopes: ["document:*"], attributes: ["clearance": .int(3)])
        harness.apply(.writeTuples(writes: [ModelFixtures.tuple("document:1", "viewer", "user:anne", condition: "cleared")], deletes: []))
        let request = DecisionRequest(agent: "bot", onBehalfOf: "user:anne", action: "viewer", resource: "document:1", context: ["level": .int(2)])
        #expect(harness.state.decide(request, nowMilliseconds: 0).allowed)
        harness.apply(.updateAgent(AgentUpdate(id: "bot", attributes: ["clearance": .int(1)])))
        #expect(harness.state.decide(request, nowMilliseconds: 0).reasons == [.relationNotFound])
    }

    @Test("a restored state decides exactly like the original")
    func restoredDecides() throws {
        var harness = ModelFixtures.invoiceHarness()
        let token = harness.issue("t1", chain: ["bot"])
        let restored = try GovernanceState.restore(harness.state.snapshot())
        for amount: Int64? in [5, 5_000, nil] {
            let request = ModelFixtures.approve(amount, token: token)
            #expect(restored.decide(request, nowMilliseconds: harness.nowMilliseconds) == harness.state.decide(request, nowMilliseconds: harness.nowMilliseconds))
        }
        #expect(restored.decide(ModelFixtures.approve(5, token: token), nowMilliseconds: harness.nowMilliseconds).allowed)
    }
}
