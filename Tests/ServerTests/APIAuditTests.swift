import Governance
import HTTP
import JSON
import Server
import Testing

@Suite("API audit routes")
struct APIAuditTests {
    @Test("audit pages records after a seq, filtered by agent and type, from the storage reader")
    func pages() {
        var node = TestNode()
        node.register("bot")
        node.register("other")
        _ = node.send("POST", "/v1/agents/bot/kill", json: #"{"reason":"leak"}"#)
        let all = body(node.send("GET", "/v1/audit?limit=2", as: .security))
        #expect(all?["records"]?.arrayValue?.count == 2)
        #expect(all?["next"] == 2)
        let record = all?["records"]?[0]
        #expect(record?["seq"] == 1 && record?["prev_hash"]?.stringValue == String(repeating: "0", count: 64))
        #expect(record?["hash"]?.stringValue?.count == 64 && record?["time"]?.stringValue?.hasSuffix("Z") == true)
        let bot = body(node.send("GET", "/v1/audit?agent=bot", as: .reader))?["records"]?.arrayValue ?? []
        #expect(bot.map { $0["type"]?.stringValue ?? "" } == ["agent_registered", "agent_killed"])
        let kills = body(node.send("GET", "/v1/audit?type=agent_killed&after=3", as: .reader))?["records"]?.arrayValue ?? []
        #expect(kills.count == 1 && kills.first?["subject"] == "agent:bot")
        #expect(errorFields(node.send("GET", "/v1/audit?after=-1", as: .reader)) == ["after"])
    }

    @Test("verify rechecks the chain and reports the head hash")
    func verify() {
        var node = TestNode()
        node.register("bot")
        let verified = body(node.send("GET", "/v1/audit/verify", as: .security))
        #expect(verified?["ok"] == true && verified?["records"]?.integerValue == Int64(node.audit.stored.count))
        #expect(verified?["head_hash"]?.stringValue?.count == 64)
        node.audit.stored[0].detail["forged"] = "yes"
        let broken = body(node.send("GET", "/v1/audit/verify", as: .security))
        #expect(broken?["ok"] == false && broken?["first_broken_seq"] == 1)
    }

    @Test("an enforcer's decision batch becomes a decisionBatch command, applied once")
    func decisionUpload() {
        var node = TestNode()
        let json = #"{"enforcer":"edge-1","batch_seq":3,"decisions":[{"decision_id":"d1","agent":"bot","subject":"user:anne","action":"approve","resource":"invoice:1","allowed":false,"reasons":["agent_killed"],"revision":9,"time":"2026-11-29T10:00:00Z"}]}"#
        let first = node.send("POST", "/v1/audit/decisions", as: .enforcer, json: json)
        #expect(body(first)?["applied"] == true && body(first)?["recorded"] == 1)
        guard case .decisionBatch(let batch) = node.applied.last?.command else { Issue.record("no batch"); return }
        #expect(batch.source == "edge-1" && batch.batchSeq == 3 && batch.decisions.first?.timeMilliseconds == 1_795_946_400_000)
        #expect(body(node.send("POST", "/v1/audit/decisions", as: .enforcer, json: json))?["applied"] == false)
        let bad = node.send("POST", "/v1/audit/decisions", as: .enforcer, json: #"{"enforcer":"edge-1","batch_seq":0,"decisions":[{"decision_id":"d1","allowed":"no"}]}"#)
        #expect(Set(errorFields(bad)) == [
            "batch_seq", "decisions[0].agent", "decisions[0].action", "decisions[0].resource", "decisions[0].allowed",
            "decisions[0].reasons", "decisions[0].revision", "decisions[0].time",
        ])
    }
}

@Suite("API write completions")
struct APIWriteCompletionTests {
    @Test("a write that was definitely not applied is a 503 with Retry-After")
    func unavailable() {
        var node = TestNode()
        node.failure = .unavailable(detail: "no leader", retryAfterSeconds: 2)
        let response = node.send("POST", "/v1/agents", json: #"{"name":"N","owner":"anne"}"#)
        #expect(isProblem(response, 503))
        #expect(response.headers["Retry-After"] == "2")
        #expect(node.applied.isEmpty)
    }

    @Test("a write that may have applied is a 504 telling the client to retry with the same Idempotency-Key")
    func ambiguous() {
        var node = TestNode()
        node.failure = .ambiguous(detail: "leader lost after append")
        let response = node.send("POST", "/v1/agents/bot/kill", json: #"{"reason":"x"}"#)
        #expect(isProblem(response, 504))
        #expect(body(response)?["detail"]?.stringValue?.contains("Idempotency-Key") == true)
    }

    @Test("rejections map to 404, 409, 412 and 400 with the field")
    func rejections() {
        let cases: [(Rejection, Int)] = [
            (.notFound(kind: "agent", id: "a"), 404), (.alreadyExists(kind: "agent", id: "a"), 409),
            (.conflict("pair exists"), 409), (.preconditionFailed("active"), 412),
            (.invalidArgument(field: "owner", message: "bad"), 400),
        ]
        for (rejection, status) in cases {
            let response = Problem.rejection(rejection).response(revision: 5)
            #expect(isProblem(response, status), "\(rejection)")
            #expect(body(response)?["type"]?.stringValue == "urn:warden:problem:" + rejection.code)
            #expect(response.headers["Warden-Revision"] == "5" && body(response)?["revision"] == 5)
        }
        #expect(errorFields(Problem.rejection(.invalidArgument(field: "owner", message: "bad")).response()) == ["owner"])
    }

    @Test("the Idempotency-Key header is passed through to the proposal; a malformed one is a 400")
    func idempotencyKey() {
        var node = TestNode()
        let headers = [("Idempotency-Key", "retry-1")]
        guard case .write(let operation) = APIRouter.route(node.request("POST", "/v1/signals", headers: headers)) else {
            Issue.record("not a write"); return
        }
        #expect(operation.idempotencyKey == "retry-1")
        let first = node.send("POST", "/v1/agents", json: #"{"name":"N","owner":"anne"}"#, headers: headers)
        let second = node.send("POST", "/v1/agents", json: #"{"name":"N","owner":"anne"}"#, headers: headers)
        #expect(first.status == 201 && second.status == 201)
        #expect(body(first)?["agent"]?["id"] == body(second)?["agent"]?["id"])
        #expect(body(first)?["client_secret"] != nil && body(second)?["client_secret"] == nil && body(second)?["replayed"] == true)
        #expect(node.state.agents.count == 1)
        let reused = node.send("POST", "/v1/users/anne/kill", json: #"{"reason":"x"}"#, headers: headers)
        #expect(isProblem(reused, 422) && body(reused)?["type"] == "urn:warden:problem:idempotency_key_reused")
        #expect(node.state.users["anne"] == nil)
        let bad = node.send("POST", "/v1/agents", json: #"{"name":"N","owner":"anne"}"#, headers: [("Idempotency-Key", "no spaces")])
        #expect(errorFields(bad) == ["Idempotency-Key"])
    }
}
