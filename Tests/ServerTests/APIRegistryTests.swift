import Crypto
import Governance
import HTTP
import JSON
import Server
import Testing

@Suite("API registry routes")
struct APIRegistryTests {
    @Test("registering an agent proposes registerAgent with the HMAC of a secret shown once")
    func register() {
        var node = TestNode()
        let response = node.send(
            "POST", "/v1/agents",
            json: #"{"id":"procurement-bot","name":"Procurement","owner":"anne","kind":"agent","scopes":["invoice:approve"],"attributes":{"tier":2}}"#)
        #expect(response.status == 201)
        #expect(response.headers["Warden-Revision"] == String(node.state.appliedRevision))
        let json = body(response)
        #expect(json?["revision"]?.integerValue == Int64(node.state.appliedRevision))
        #expect(json?["agent"]?["id"] == "procurement-bot" && json?["agent"]?["status"] == "active")
        #expect(json?["agent"]?["scopes"] == ["invoice:approve"] && json?["agent"]?["attributes"] == ["tier": 2])
        guard let secret = json?["client_secret"]?.stringValue,
            case .registerAgent(let registration) = node.applied.last?.command
        else { Issue.record("no registration"); return }
        #expect(registration.secretHash == HMACSHA256.authenticate(Array(secret.utf8), key: TestNode.clientSecretKey))
        #expect(!node.applied.last!.encode().containsSubsequence(Array(secret.utf8)))
        #expect(json?["agent"]?["secret_hash"] == nil)
        #expect(node.applied.last?.actor == .apiKey(id: node.state.apiKeys.values.first { $0.role == .admin }!.id, role: .admin))
    }

    @Test("an agent without an id gets a generated one, kind agent and no scopes")
    func generatedID() {
        var node = TestNode()
        let json = body(node.send("POST", "/v1/agents", json: #"{"name":"N","owner":"anne"}"#))
        #expect(json?["agent"]?["id"]?.stringValue?.hasPrefix("agt-") == true)
        #expect(json?["agent"]?["kind"] == "agent" && json?["agent"]?["scopes"] == [])
    }

    @Test("registration validation: each bad field is a 400 naming it, and no command is made")
    func registrationValidation() {
        let cases: [(String, [String])] = [
            (#"{"name":"N","owner":"anne","colour":"red"}"#, ["colour"]),
            (#"{"name":5,"owner":"anne"}"#, ["name"]),
            (#"{"owner":"anne"}"#, ["name"]),
            (#"{"name":"N","owner":"anne","id":"bad id"}"#, ["id"]),
            (#"{"name":"N","owner":"anne","kind":"robot"}"#, ["kind"]),
            (#"{"name":"N","owner":"anne","scopes":["invoice"]}"#, ["scopes[0]"]),
            (#"{"name":"N","owner":"anne","scopes":"invoice:*"}"#, ["scopes"]),
            (#"{"name":"N","owner":"anne","attributes":[1]}"#, ["attributes"]),
            (#"{"name":"","owner":""}"#, ["name", "owner"]),
            (#"[1,2]"#, ["body"]),
            (#"{"name":"N""#, ["body"]),
            ("", ["body"]),
        ]
        for (json, fields) in cases {
            var node = TestNode()
            let response = node.send("POST", "/v1/agents", json: json)
            #expect(isProblem(response, 400), "\(json)")
            #expect(errorFields(response) == fields, "\(json)")
            #expect(node.applied.isEmpty, "\(json)")
        }
    }

    @Test("an oversized attribute map is refused with the field")
    func oversizedAttributes() {
        var node = TestNode()
        let attributes = (0..<100).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let response = node.send("POST", "/v1/agents", json: #"{"name":"N","owner":"anne","attributes":{\#(attributes)}}"#)
        #expect(errorFields(response) == ["attributes"])
        let long = String(repeating: "x", count: 5_000)
        #expect(errorFields(node.send("POST", "/v1/agents", json: #"{"name":"N","owner":"anne","attributes":{"a":"\#(long)"}}"#)) == ["attributes"])
    }

    @Test("registering an id twice is a 409 problem from the state machine")
    func duplicate() {
        var node = TestNode()
        node.register("bot")
        let response = node.send("POST", "/v1/agents", json: #"{"id":"bot","name":"N","owner":"anne"}"#)
        #expect(isProblem(response, 409))
        #expect(body(response)?["revision"] != nil)
    }

    @Test("get, 404 for an unknown agent, patch, rotate the secret, delete")
    func lifecycle() {
        var node = TestNode()
        node.register("bot")
        #expect(body(node.send("GET", "/v1/agents/bot", as: .reader))?["agent"]?["name"] == "Bot bot")
        #expect(isProblem(node.send("GET", "/v1/agents/ghost", as: .reader), 404))
        let patched = node.send("PATCH", "/v1/agents/bot", json: #"{"name":"Renamed","status":"suspended","scopes":["invoice:read"]}"#)
        #expect(patched.status == 200)
        #expect(body(patched)?["agent"]?["name"] == "Renamed" && body(patched)?["agent"]?["status"] == "suspended")
        #expect(body(patched)?["client_secret"] == nil)
        let rotated = node.send("PATCH", "/v1/agents/bot", json: #"{"rotate_secret":true}"#)
        #expect(body(rotated)?["client_secret"]?.stringValue != nil)
        #expect(errorFields(node.send("PATCH", "/v1/agents/bot", json: #"{"status":"killed"}"#)) == ["status"])
        #expect(isProblem(node.send("PATCH", "/v1/agents/ghost", json: #"{"name":"x"}"#), 404))
        let deleted = node.send("DELETE", "/v1/agents/bot")
        #expect(body(deleted)?["deleted"] == ["kind": "agent", "id": "bot"])
        #expect(isProblem(node.send("DELETE", "/v1/agents/bot"), 404))
        #expect(errorFields(node.send("DELETE", "/v1/agents/x", json: "{}")) == ["body"])
    }

    @Test("listing filters by status, owner and kind and pages with after and limit")
    func listing() {
        var node = TestNode()
        for id in ["a1", "a2", "a3", "a4"] { node.register(id, owner: id == "a4" ? "bob" : "anne") }
        _ = node.send("POST", "/v1/agents/a2/kill", json: #"{"reason":"test"}"#)
        let first = body(node.send("GET", "/v1/agents?limit=2&owner=anne", as: .reader))
        #expect(first?["agents"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["a1", "a2"])
        #expect(first?["next"] == "a2")
        let second = body(node.send("GET", "/v1/agents?limit=2&owner=anne&after=a2", as: .reader))
        #expect(second?["agents"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["a3"])
        #expect(second?["next"] == .null)
        let killed = body(node.send("GET", "/v1/agents?status=killed", as: .reader))
        #expect(killed?["agents"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["a2"])
        #expect(body(node.send("GET", "/v1/agents?kind=service", as: .reader))?["agents"] == [])
    }

    @Test("users: put attributes, get them back, 404 before")
    func users() {
        var node = TestNode()
        #expect(isProblem(node.send("GET", "/v1/users/anne", as: .reader), 404))
        let put = node.send("PUT", "/v1/users/anne", json: #"{"attributes":{"approval_limit":5000,"on_duty":true}}"#)
        #expect(put.status == 200)
        #expect(body(put)?["user"]?["attributes"] == ["approval_limit": 5000, "on_duty": true])
        #expect(body(node.send("GET", "/v1/users/anne", as: .reader))?["user"]?["id"] == "anne")
        #expect(errorFields(node.send("PUT", "/v1/users/anne", json: #"{}"#)) == ["attributes"])
        #expect(errorFields(node.send("PUT", "/v1/users/anne", json: #"{"attributes":{},"x":1}"#)) == ["x"])
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs contiguously.
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<$0 + needle.count]) == needle }
    }
}
