import Authorization
import Governance
import HTTP
import JSON
import Server
import Testing

@Suite("API model, tuples and decisions")
struct APIRelationsTests {
    /// A node with the invoice model, agent `bot` and anne allowed to approve invoice:1 up to her limit.
    static func seeded() -> TestNode {
        var node = TestNode()
        _ = node.send("PUT", "/v1/model", json: invoiceModel)
        node.register("bot")
        _ = node.send("PUT", "/v1/users/anne", json: #"{"attributes":{"approval_limit":1000}}"#)
        _ = node.send("POST", "/v1/tuples", json: #"{"writes":[{"user":"user:anne","relation":"approve","object":"invoice:1","condition":{"name":"limit"}},{"user":"agent:bot","relation":"approve","object":"invoice:1"}]}"#)
        return node
    }

    @Test("a valid model is written and read back with its id; an invalid one is a 400 with the path")
    func model() {
        var node = TestNode()
        #expect(isProblem(node.send("GET", "/v1/model", as: .reader), 404))
        let written = node.send("PUT", "/v1/model", json: invoiceModel)
        #expect(written.status == 200)
        let modelID = body(written)?["model_id"]?.stringValue
        #expect(modelID?.count == 64)
        let read = body(node.send("GET", "/v1/model", as: .reader))
        #expect(read?["model_id"]?.stringValue == modelID && read?["model"]?["schema_version"] == "1.1")
        let bad = node.send("PUT", "/v1/model", json: #"{"schema_version":"1.1","type_definitions":[{"type":"doc","relations":{"viewer":{"computedUserset":{"relation":"owner"}}}}]}"#)
        #expect(isProblem(bad, 400))
        #expect(errorFields(bad).first?.contains("type_definitions") == true)
        #expect(errorFields(node.send("PUT", "/v1/model", json: "{oops")) == ["body"])
        #expect(node.applied.count == 1)
    }

    @Test("tuples: written atomically, listed with filters and a cursor, each bad tuple named by its path")
    func tuples() {
        var node = Self.seeded()
        let listed = body(node.send("GET", "/v1/tuples?object=invoice:1&limit=1", as: .reader))
        #expect(listed?["tuples"]?.arrayValue?.count == 1)
        guard let cursor = listed?["next"]?.stringValue else { Issue.record("no cursor"); return }
        let rest = body(node.send("GET", "/v1/tuples?object=invoice:1&after=" + cursor, as: .reader))
        #expect(rest?["tuples"]?.arrayValue?.count == 1 && rest?["next"] == .null)
        let both = [listed?["tuples"]?[0], rest?["tuples"]?[0]].compactMap { $0?["user"]?.stringValue }
        #expect(Set(both) == ["user:anne", "agent:bot"])
        #expect(errorFields(node.send("GET", "/v1/tuples?after=garbage", as: .reader)) == ["after"])
        let bad = node.send("POST", "/v1/tuples", json: #"{"writes":[{"user":"user:anne","relation":"approve","object":"invoice:2"},{"user":"anne","relation":"approve","object":"invoice:2","extra":1}],"deletes":[{"user":"user:x","relation":"r"}]}"#)
        #expect(errorFields(bad) == ["writes[1].user", "writes[1].extra", "deletes[0].object"])
        #expect(errorFields(node.send("POST", "/v1/tuples", json: #"{}"#)) == ["writes"])
        let unknownType = node.send("POST", "/v1/tuples", json: #"{"writes":[{"user":"user:anne","relation":"approve","object":"ledger:1"}]}"#)
        #expect(isProblem(unknownType, 400))
        let deleted = node.send("POST", "/v1/tuples", json: #"{"deletes":[{"user":"agent:bot","relation":"approve","object":"invoice:1"}]}"#)
        #expect(body(deleted)?["deleted"] == 1 && body(deleted)?["written"] == 0)
    }

    @Test("check allows within the subject's limit and denies beyond it with reasons, a decision id and the revision")
    func check() {
        var node = Self.seeded()
        let allowed = node.send("POST", "/v1/check", as: .enforcer, json: #"{"agent":"bot","on_behalf_of":"user:anne","action":"approve","resource":"invoice:1","context":{"amount":500}}"#)
        #expect(allowed.status == 200)
        #expect(body(allowed)?["allowed"] == true && body(allowed)?["reasons"] == [])
        #expect(body(allowed)?["decision_id"]?.stringValue?.count == 32)
        #expect(body(allowed)?["revision"]?.integerValue == Int64(node.state.appliedRevision))
        #expect(allowed.headers["Warden-Revision"] == String(node.state.appliedRevision))
        let denied = body(node.send("POST", "/v1/check", as: .enforcer, json: #"{"agent":"bot","on_behalf_of":"user:anne","action":"approve","resource":"invoice:1","context":{"amount":5000}}"#))
        #expect(denied?["allowed"] == false && denied?["reasons"]?[0]?["code"] == "relation_not_found")
        let missing = body(node.send("POST", "/v1/check", json: #"{"agent":"bot","on_behalf_of":"user:anne","action":"approve","resource":"invoice:1"}"#))
        #expect(missing?["reasons"]?[0]?["code"] == "missing_context" && missing?["reasons"]?[0]?["missing"] == ["amount"])
        _ = node.send("POST", "/v1/agents/bot/kill", json: #"{"reason":"leak"}"#)
        let killed = body(node.send("POST", "/v1/check", as: .enforcer, json: #"{"agent":"bot","on_behalf_of":"user:anne","action":"approve","resource":"invoice:1","context":{"amount":1}}"#))
        #expect(killed?["allowed"] == false && killed?["reasons"]?[0]?["code"] == "agent_killed")
    }

    @Test("check: reserved context keys, bad fields and oversized context are 400s; a bad token denies")
    func checkValidation() {
        var node = Self.seeded()
        let reserved = node.send("POST", "/v1/check", json: #"{"agent":"bot","action":"approve","resource":"invoice:1","context":{"subject":{"approval_limit":1e9},"agent":{}}}"#)
        #expect(errorFields(reserved) == ["context.subject", "context.agent"])
        #expect(Set(errorFields(node.send("POST", "/v1/check", json: #"{"agent":"b t","action":"approve","resource":"invoice"}"#))) == ["agent", "resource"])
        #expect(errorFields(node.send("POST", "/v1/check", json: #"{"agent":"bot","action":"approve","resource":"invoice:1","colour":1}"#)) == ["colour"])
        let context = (0..<70).map { "\"k\($0)\":1" }.joined(separator: ",")
        #expect(errorFields(node.send("POST", "/v1/check", json: #"{"agent":"bot","action":"approve","resource":"invoice:1","context":{\#(context)}}"#)) == ["context"])
        let token = body(node.send("POST", "/v1/check", as: .enforcer, json: #"{"agent":"bot","token":"x.y.z","action":"approve","resource":"invoice:1"}"#))
        #expect(token?["allowed"] == false && token?["reasons"]?[0]?["code"] == "token_invalid")
    }

    @Test("consistency comes from the query or the body; a bad value is a 400")
    func consistency() {
        let node = Self.seeded()
        let json = #"{"agent":"bot","action":"approve","resource":"invoice:1","consistency":"at_least:7"}"#
        guard case .read(let fromBody) = APIRouter.route(node.request("POST", "/v1/check", json: json)) else {
            Issue.record("not a read"); return
        }
        #expect(fromBody.consistency == .atLeast(7))
        guard case .read(let fromQuery) = APIRouter.route(node.request("GET", "/v1/agents?consistency=serializable")) else {
            Issue.record("not a read"); return
        }
        #expect(fromQuery.consistency == .serializable)
        guard case .read(let byDefault) = APIRouter.route(node.request("GET", "/v1/agents")) else { Issue.record("read"); return }
        #expect(byDefault.consistency == .linearizable)
        guard case .respond(let bad) = APIRouter.route(node.request("GET", "/v1/agents?consistency=eventual")) else {
            Issue.record("accepted"); return
        }
        #expect(errorFields(bad) == ["consistency"])
    }

    @Test("check/batch answers each correlation id at one revision and refuses repeated ids")
    func batch() {
        var node = Self.seeded()
        let response = node.send("POST", "/v1/check/batch", as: .enforcer, json: #"{"checks":[{"correlation_id":"c1","agent":"bot","on_behalf_of":"user:anne","action":"approve","resource":"invoice:1","context":{"amount":1}},{"correlation_id":"c2","agent":"ghost","action":"approve","resource":"invoice:1"}]}"#)
        #expect(response.status == 200)
        let results = body(response)?["results"]
        #expect(results?["c1"]?["allowed"] == true && results?["c2"]?["allowed"] == false)
        #expect(results?["c2"]?["reasons"]?[0]?["code"] == "agent_unknown")
        let repeated = node.send("POST", "/v1/check/batch", json: #"{"checks":[{"correlation_id":"c","agent":"a","action":"r","resource":"t:1"},{"correlation_id":"c","agent":"a","action":"r","resource":"t:1"}]}"#)
        #expect(errorFields(repeated) == ["checks[1].correlation_id"])
        let many = (0..<101).map { #"{"correlation_id":"c\#($0)","agent":"a","action":"r","resource":"t:1"}"# }.joined(separator: ",")
        #expect(errorFields(node.send("POST", "/v1/check/batch", json: #"{"checks":[\#(many)]}"#)) == ["checks"])
    }

    @Test("a check's evaluation yields a decision record for the node's own audit batch")
    func decisionRecords() {
        let node = Self.seeded()
        guard case .read(let operation) = APIRouter.route(node.request("POST", "/v1/check", as: .enforcer, json: #"{"agent":"bot","on_behalf_of":"user:anne","action":"approve","resource":"invoice:1","context":{"amount":5}}"#)) else {
            Issue.record("not a read"); return
        }
        let random = SeededBytes(seed: 1)
        let result = operation.evaluate(ReadContext(
            state: node.state, caller: AuthenticatedCaller(keyID: "k", role: .enforcer), nowMilliseconds: 77,
            randomBytes: { random.bytes($0) }, audit: node.audit, verifyToken: { _ in .failure(TokenRefusal(message: "x")) }))
        #expect(result.decisions.count == 1)
        #expect(result.decisions.first?.allowed == true && result.decisions.first?.subject == "user:anne")
        #expect(result.decisions.first?.timeMilliseconds == 77 && result.decisions.first?.revision == node.state.appliedRevision)
        #expect(body(result.response)?["decision_id"]?.stringValue == result.decisions.first?.decisionID)
    }
}
