import Governance
import HTTP
import JSON
import Server
import Testing

@Suite("API kill switch, signals, settings, connections")
struct APIOperationsTests {
    @Test("kill proposes killAgent and answers the agent with enforcer acknowledgements and fenced_by")
    func kill() {
        var node = TestNode()
        node.register("bot")
        guard case .write(let operation) = APIRouter.route(
            node.request("POST", "/v1/agents/bot/kill", as: .security, json: #"{"reason":"leak","wait_for_enforcers":true}"#))
        else { Issue.record("not a write"); return }
        #expect(operation.waitForEnforcers)
        let response = node.send("POST", "/v1/agents/bot/kill", as: .security, json: #"{"reason":"leak"}"#)
        #expect(response.status == 200)
        #expect(node.applied.last?.command == .killAgent(id: "bot", reason: "leak"))
        let json = body(response)
        #expect(json?["agent"]?["status"] == "killed")
        #expect(json?["enforcers"] == ["acknowledged": 1, "total": 2, "fenced_by": "2026-09-21T14:13:20.5Z"])
        #expect(json?["revision"]?.integerValue == Int64(node.state.appliedRevision))
        #expect(node.send("POST", "/v1/agents/bot/kill", as: .security, json: #"{"reason":"again"}"#).status == 200)
        #expect(isProblem(node.send("POST", "/v1/agents/ghost/kill", json: #"{"reason":"x"}"#), 404))
        #expect(errorFields(node.send("POST", "/v1/agents/bot/kill", json: #"{}"#)) == ["reason"])
        #expect(errorFields(node.send("POST", "/v1/agents/bot/kill", json: #"{"reason":"x","wait_for_enforcers":"yes"}"#)) == ["wait_for_enforcers"])
    }

    @Test("reinstate raises valid_after; reinstating an active agent is a 412")
    func reinstate() {
        var node = TestNode()
        node.register("bot")
        #expect(isProblem(node.send("POST", "/v1/agents/bot/reinstate", json: #"{"reason":"ok"}"#), 412))
        _ = node.send("POST", "/v1/agents/bot/kill", json: #"{"reason":"leak"}"#)
        let response = node.send("POST", "/v1/agents/bot/reinstate", as: .security, json: #"{"reason":"fixed"}"#)
        #expect(response.status == 200 && body(response)?["agent"]?["status"] == "active")
        #expect((body(response)?["agent"]?["valid_after"]?.integerValue ?? 0) > 0)
    }

    @Test("user kill and reinstate propose the user commands")
    func userKill() {
        var node = TestNode()
        let killed = node.send("POST", "/v1/users/anne/kill", as: .security, json: #"{"reason":"left"}"#)
        #expect(killed.status == 200 && body(killed)?["user"]?["cut"] == true)
        #expect(node.applied.last?.command == .killUser(id: "anne", reason: "left"))
        let restored = node.send("POST", "/v1/users/anne/reinstate", as: .security, json: #"{"reason":"back"}"#)
        #expect(body(restored)?["user"]?["cut"] == false)
    }

    @Test("a signal answers the risk score; crossing the threshold kills in the same revision")
    func signals() {
        var node = TestNode()
        node.register("bot")
        let low = node.send("POST", "/v1/signals", as: .security, json: #"{"agent":"bot","type":"prompt_injection","severity":40,"source":"scanner"}"#)
        #expect(body(low)?["killed"] == false && body(low)?["risk_score"]?.doubleValue == 40)
        let high = node.send("POST", "/v1/signals", json: #"{"agent":"bot","type":"exfiltration","severity":100,"source":"dlp","detail":"s3"}"#)
        #expect(body(high)?["killed"] == true)
        #expect(node.state.agents["bot"]?.status == .killed)
        #expect(errorFields(node.send("POST", "/v1/signals", json: #"{"agent":"bot","type":"t","severity":101,"source":"s"}"#)) == ["severity"])
        #expect(errorFields(node.send("POST", "/v1/signals", json: #"{"agent":"bot","type":"t","severity":1.5,"source":"s"}"#)) == ["severity"])
        #expect(Set(errorFields(node.send("POST", "/v1/signals", json: #"{}"#))) == ["agent", "type", "severity", "source"])
    }

    @Test("settings: GET the defaults, PUT replaces them, every field is required and bounded")
    func settings() {
        var node = TestNode()
        let defaults = body(node.send("GET", "/v1/settings", as: .reader))
        #expect(defaults?["risk_threshold"]?.doubleValue == 100 && defaults?["enforcer_lease_ms"] == 500)
        let put = node.send("PUT", "/v1/settings", json: #"{"risk_threshold":50,"risk_decay_per_hour":2.5,"enforcer_lease_ms":250,"token_ttl_seconds":60}"#)
        #expect(put.status == 200 && body(put)?["token_ttl_seconds"] == 60)
        #expect(node.state.settings == Settings(riskThreshold: 50, riskDecayPerHour: 2.5, enforcerLeaseMilliseconds: 250, tokenTTLSeconds: 60))
        #expect(errorFields(node.send("PUT", "/v1/settings", json: #"{"risk_threshold":50}"#)).count == 3)
        #expect(errorFields(node.send("PUT", "/v1/settings", json: #"{"risk_threshold":-1,"risk_decay_per_hour":1,"enforcer_lease_ms":0,"token_ttl_seconds":60}"#)) == ["risk_threshold", "enforcer_lease_ms"])
    }

    @Test("connections: create with expiry, list by caller, get, delete, duplicates conflict")
    func connections() {
        var node = TestNode()
        node.register("a")
        node.register("b")
        let created = node.send("POST", "/v1/connections", json: #"{"id":"a-b","caller":"a","callee":"b","scopes":["invoice:read"],"max_token_ttl_seconds":300,"expires_at":"2027-01-01T00:00:00Z"}"#)
        #expect(created.status == 201)
        #expect(body(created)?["connection"]?["expires_at"] == "2027-01-01T00:00:00Z")
        guard case .createConnection(let connection) = node.applied.last?.command else { Issue.record("no command"); return }
        #expect(connection.expiresAtMilliseconds == 1_798_761_600_000 && connection.maxTokenTTLSeconds == 300)
        #expect(isProblem(node.send("POST", "/v1/connections", json: #"{"caller":"a","callee":"b","scopes":["invoice:read"],"max_token_ttl_seconds":300}"#), 409))
        #expect(body(node.send("GET", "/v1/connections?caller=a", as: .reader))?["connections"]?.arrayValue?.count == 1)
        #expect(body(node.send("GET", "/v1/connections?callee=a", as: .reader))?["connections"] == [])
        #expect(body(node.send("GET", "/v1/connections/a-b", as: .reader))?["connection"]?["caller"] == "a")
        #expect(node.send("DELETE", "/v1/connections/a-b").status == 200)
        #expect(isProblem(node.send("GET", "/v1/connections/a-b", as: .reader), 404))
        #expect(errorFields(node.send("POST", "/v1/connections", json: #"{"caller":"a","callee":"b","scopes":[],"max_token_ttl_seconds":0,"expires_at":"tomorrow"}"#)) == ["max_token_ttl_seconds", "expires_at"])
    }
}
