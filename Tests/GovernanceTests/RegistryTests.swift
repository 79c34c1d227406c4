import Authorization
import Testing
@testable import Governance

@Suite("registry, users, connections, settings and keys")
struct RegistryTests {
    @Test("registering an agent stores it active with validAfter at its revision and strips the secret from results")
    func register() {
        var harness = Harness()
        harness.register("bot", scopes: ["invoice:read", "invoice:read", "doc:*"])
        let agent = harness.state.agents["bot"]
        #expect(agent?.status == .active)
        #expect(agent?.scopes == ["doc:*", "invoice:read"])
        #expect(agent?.validAfter == 1)
        #expect(agent?.secretHash.count == 32)
        let outcome = harness.apply(.updateAgent(AgentUpdate(id: "bot", name: "Renamed")))
        guard case .agent(let updated) = outcome.result else { Issue.record("unexpected \(outcome.result)"); return }
        #expect(updated.name == "Renamed" && updated.secretHash.isEmpty)
        #expect(outcome.feedEvents == [.agent(updated)])
    }

    @Test("bad inputs are recorded rejections naming the field")
    func badInputs() {
        var harness = Harness()
        let long = String(repeating: "a", count: 129)
        func registration(id: String = "ok", owner: String = "anne", scopes: [String] = [], hash: [UInt8] = [1],
                          attributes: [String: ConditionValue] = [:]) -> Command {
            .registerAgent(AgentRegistration(id: id, name: "n", owner: owner, kind: .agent, scopes: scopes,
                                             attributes: attributes, secretHash: hash))
        }
        #expect(rejectedField(harness.result(registration(id: long))) == "id")
        #expect(rejectedField(harness.result(registration(id: "has space"))) == "id")
        #expect(rejectedField(harness.result(registration(owner: ""))) == "owner")
        #expect(rejectedField(harness.result(registration(scopes: ["noColon"]))) == "scopes[0]")
        #expect(rejectedField(harness.result(registration(scopes: ["a:b:c"]))) == "scopes[0]")
        #expect(rejectedField(harness.result(registration(hash: []))) == "secret_hash")
        #expect(rejectedField(harness.result(registration(attributes: ["x": .double(.nan)]))) == "attributes.x")
        let huge: [String: ConditionValue] = ["blob": .list(Array(repeating: .string(String(repeating: "z", count: 1_000)), count: 20))]
        #expect(rejectedField(harness.result(registration(attributes: huge))) == "attributes")
        var deep = ConditionValue.int(1)
        for _ in 0..<10 { deep = .list([deep]) }
        #expect(rejectedField(harness.result(registration(attributes: ["deep": deep]))) != nil)
        #expect(harness.state.agents.isEmpty)
    }

    @Test("unknown ids are not_found, duplicates already_exists")
    func unknownAndDuplicate() {
        var harness = Harness()
        harness.register("bot")
        #expect(rejectionCode(harness.result(.updateAgent(AgentUpdate(id: "ghost")))) == "not_found")
        #expect(rejectionCode(harness.result(.deleteAgent(id: "ghost"))) == "not_found")
        #expect(rejectionCode(harness.result(.killAgent(id: "ghost", reason: ""))) == "not_found")
        #expect(rejectionCode(harness.result(.deleteConnection(id: "ghost"))) == "not_found")
        #expect(rejectionCode(harness.result(.deleteAPIKey(id: "ghost"))) == "not_found")
        #expect(rejectionCode(harness.result(.retireSigningKey(kid: "ghost"))) == "not_found")
        #expect(rejectionCode(harness.result(.reinstateUser(id: "ghost", reason: ""))) == "not_found")
        #expect(rejectionCode(harness.result(.registerAgent(AgentRegistration(
            id: "bot", name: "n", owner: "o", kind: .agent, scopes: [], secretHash: [1])))) == "already_exists")
    }

    @Test("update cannot kill, and cannot revive a killed agent")
    func updateStatusRules() {
        var harness = Harness()
        harness.register("bot")
        #expect(rejectedField(harness.result(.updateAgent(AgentUpdate(id: "bot", status: .killed)))) == "status")
        harness.apply(.killAgent(id: "bot", reason: "x"))
        #expect(rejectionCode(harness.result(.updateAgent(AgentUpdate(id: "bot", status: .active)))) == "precondition_failed")
        #expect(harness.state.agents["bot"]?.status == .killed)
        harness.apply(.updateAgent(AgentUpdate(id: "bot", name: "still killed")))
        #expect(harness.state.agents["bot"]?.status == .killed)
    }

    @Test("connections need known distinct agents, a positive cap, a future expiry and one per pair")
    func connections() {
        var harness = Harness()
        harness.register("a")
        harness.register("b")
        func create(_ id: String, _ caller: String, _ callee: String, ttl: Int64 = 60, expiresAt: Int64? = nil, scopes: [String] = ["x:y"]) -> CommandResult {
            harness.result(.createConnection(Connection(
                id: id, caller: caller, callee: callee, scopes: scopes, maxTokenTTLSeconds: ttl, expiresAtMilliseconds: expiresAt)))
        }
        #expect(rejectionCode(create("c", "a", "ghost")) == "not_found")
        #expect(rejectedField(create("c", "a", "a")) == "callee")
        #expect(rejectedField(create("c", "a", "b", ttl: 0)) == "max_token_ttl_seconds")
        #expect(rejectedField(create("c", "a", "b", expiresAt: harness.nowMilliseconds)) == "expires_at")
        #expect(rejectedField(create("c", "a", "b", scopes: [])) == "scopes")
        #expect(!create("c", "a", "b").isRejection)
        #expect(rejectionCode(create("c2", "a", "b")) == "conflict")
        #expect(harness.state.connection(from: "a", to: "b")?.id == "c")
        harness.apply(.deleteAgent(id: "b"))
        #expect(harness.state.connections.isEmpty)
        #expect(harness.state.connection(from: "a", to: "b") == nil)
    }

    @Test("settings are range-checked and replace the defaults")
    func settings() {
        var harness = Harness()
        #expect(harness.state.settings == Settings(riskThreshold: 100, riskDecayPerHour: 10, enforcerLeaseMilliseconds: 500, tokenTTLSeconds: 900))
        #expect(rejectedField(harness.result(.setSettings(Settings(riskThreshold: 0)))) == "risk_threshold")
        #expect(rejectedField(harness.result(.setSettings(Settings(riskDecayPerHour: -1)))) == "risk_decay_per_hour")
        #expect(rejectedField(harness.result(.setSettings(Settings(enforcerLeaseMilliseconds: 0)))) == "enforcer_lease_ms")
        #expect(rejectedField(harness.result(.setSettings(Settings(tokenTTLSeconds: 86_401)))) == "token_ttl_seconds")
        let wanted = Settings(riskThreshold: 40, riskDecayPerHour: 0, enforcerLeaseMilliseconds: 100, tokenTTLSeconds: 60)
        #expect(harness.result(.setSettings(wanted)) == .settings(wanted))
        #expect(harness.state.settings == wanted)
    }

    @Test("API keys are stored hashed with their role and deleted by id")
    func apiKeys() {
        var harness = Harness()
        let created = harness.result(.createAPIKey(APIKey(id: "k1", name: "ops", role: .enforcer, keyHash: [1, 2])))
        guard case .apiKey(let key) = created else { Issue.record("unexpected \(created)"); return }
        #expect(key.role == .enforcer && key.keyHash == [1, 2] && key.createdRevision == 1)
        #expect(rejectionCode(harness.result(.createAPIKey(APIKey(id: "k1", name: "x", role: .admin, keyHash: [3])))) == "already_exists")
        #expect(harness.result(.deleteAPIKey(id: "k1")) == .deleted(kind: "api_key", id: "k1"))
        #expect(harness.state.apiKeys.isEmpty)
    }

    @Test("signing keys are added once and retired once, with feed events")
    func signingKeys() {
        var harness = Harness()
        let added = harness.apply(.addSigningKey(kid: "n1", publicKey: [UInt8](repeating: 1, count: 32)))
        #expect(added.feedEvents.map(\.type) == ["keys"])
        #expect(rejectionCode(harness.result(.addSigningKey(kid: "n1", publicKey: [2]))) == "already_exists")
        #expect(rejectedField(harness.result(.addSigningKey(kid: "n2", publicKey: []))) == "public_key")
        harness.apply(.retireSigningKey(kid: "n1"))
        #expect(harness.state.signingKeys["n1"]?.retiredRevision == 4)
        #expect(rejectionCode(harness.result(.retireSigningKey(kid: "n1"))) == "precondition_failed")
    }

    @Test("user attributes create the user and replace the map")
    func users() {
        var harness = Harness()
        harness.apply(.setUserAttributes(userID: "anne", attributes: ["approval_limit": .int(500)]))
        harness.apply(.setUserAttributes(userID: "anne", attributes: ["on_duty": .bool(true)]))
        #expect(harness.state.users["anne"]?.attributes == ["on_duty": .bool(true)])
        #expect(rejectedField(harness.result(.setUserAttributes(userID: "bad id", attributes: [:]))) == "id")
    }

    @Test("extreme leader timestamps and expiries never trap apply or decide")
    func extremeTimes() {
        var harness = Harness()
        for now in [Int64.min, -1, 0, Int64.max] {
            harness.nowMilliseconds = now
            harness.register("bot-\(harness.revision)")
            let id = "bot-\(harness.revision - 1)"
            harness.apply(.riskSignal(RiskSignal(agent: id, type: "t", severity: 100, source: "s")))
            harness.apply(.tokenIssued(IssuedToken(jti: "j\(harness.revision)", subject: "user:anne", chain: [id], scopes: ["invoice:read"],
                                                   expiresAtMilliseconds: now == Int64.min ? Int64.max : Int64.min)))
            harness.apply(.revokeToken(jti: "j", expiresAtMilliseconds: Int64.max))
            harness.apply(.createConnection(Connection(id: "c\(harness.revision)", caller: id, callee: id, scopes: ["a:b"],
                                                       maxTokenTTLSeconds: Int64.max, expiresAtMilliseconds: Int64.min)))
            _ = harness.state.decide(DecisionRequest(agent: id, action: "read", resource: "invoice:1"), nowMilliseconds: now)
        }
        #expect(harness.state.agents.values.allSatisfy { $0.status == .killed })
        #expect(harness.state.issuedTokens.isEmpty)
    }
}
