import Governance
import HTTP
import JSON
import Server
import Testing

@Suite("API router")
struct APIRouterTests {
    /// A concrete path for a template (`{id}` → `x1`).
    static func concrete(_ template: String) -> String {
        template.split(separator: "/").map { $0.hasPrefix("{") ? "x1" : String($0) }.reduce("") { $0 + "/" + $1 }
    }

    @Test("every route in the table is reached by its method and path, never 404 or 405")
    func everyRouteRoutes() {
        let node = TestNode()
        for route in APIRouter.routes {
            let operation = APIRouter.route(node.request(route.method, Self.concrete(route.template)))
            if case .respond(let response) = operation {
                #expect(response.status != 404 && response.status != 405, "\(route.name)")
            }
        }
    }

    @Test("API.md paths and methods are all in the route table")
    func apiDocumentPaths() {
        let documented = [
            "GET /healthz", "GET /readyz", "GET /v1/cluster", "POST /v1/cluster/members", "DELETE /v1/cluster/members/{id}",
            "POST /v1/cluster/leadership", "GET /metrics", "GET /openapi.json", "POST /v1/agents", "GET /v1/agents",
            "GET /v1/agents/{id}", "PATCH /v1/agents/{id}", "DELETE /v1/agents/{id}", "PUT /v1/users/{id}", "GET /v1/users/{id}",
            "POST /v1/agents/{id}/kill", "POST /v1/agents/{id}/reinstate", "POST /v1/users/{id}/kill", "POST /v1/signals",
            "GET /v1/settings", "PUT /v1/settings", "POST /v1/connections", "GET /v1/connections", "DELETE /v1/connections/{id}",
            "PUT /v1/model", "GET /v1/model", "POST /v1/tuples", "GET /v1/tuples", "POST /v1/check", "POST /v1/check/batch",
            "POST /oauth/token", "GET /.well-known/jwks.json", "GET /.well-known/oauth-authorization-server",
            "POST /oauth/introspect", "POST /oauth/revoke", "GET /v1/feed", "POST /v1/enforcers/{id}/ack", "GET /v1/enforcers",
            "GET /v1/audit", "GET /v1/audit/verify", "POST /v1/audit/decisions", "POST /v1/keys", "GET /v1/keys",
            "DELETE /v1/keys/{id}",
        ]
        let served = Set(APIRouter.routes.map(\.name))
        for name in documented { #expect(served.contains(name), "\(name) is not routed") }
        #expect(served.count == APIRouter.routes.count, "a route is listed twice")
    }

    @Test("an unknown path is a 404 problem")
    func unknownPath() {
        var node = TestNode()
        for path in ["/", "/v2/agents", "/v1/agents/a/b/c", "/v1/agentsx", "nopath", "/v1/agents/x/kill/now"] {
            #expect(isProblem(node.send("GET", path), 404), "\(path)")
        }
    }

    @Test("a wrong method is a 405 problem with Allow listing the methods the path has")
    func wrongMethod() {
        var node = TestNode()
        let response = node.send("PUT", "/v1/agents/bot")
        #expect(isProblem(response, 405))
        #expect(response.headers["Allow"] == "GET, HEAD, PATCH, DELETE")
        #expect(node.send("DELETE", "/v1/agents").headers["Allow"] == "POST, GET, HEAD")
        #expect(node.send("GET", "/v1/signals").headers["Allow"] == "POST")
        #expect(isProblem(node.send("POST", "/healthz"), 405))
    }

    @Test("a body over the limit is a 413 problem before anything else")
    func oversizedBody() {
        var node = TestNode()
        let big = String(repeating: " ", count: APIRouter.maximumBodyBytes + 1)
        #expect(isProblem(node.send("POST", "/v1/agents", json: big), 413))
        #expect(node.applied.isEmpty)
    }

    @Test("a path parameter that is not an id is a 400 naming the parameter")
    func badPathParameter() {
        var node = TestNode()
        let response = node.send("GET", "/v1/agents/bad%20id")
        #expect(isProblem(response, 400))
        #expect(errorFields(response) == ["id"])
        #expect(errorFields(node.send("GET", "/v1/agents/" + String(repeating: "a", count: 129))) == ["id"])
    }

    @Test("unknown, repeated or malformed query parameters are a 400")
    func badQuery() {
        var node = TestNode()
        #expect(errorFields(node.send("GET", "/v1/agents?colour=red")) == ["colour"])
        #expect(errorFields(node.send("GET", "/v1/agents?owner=a&owner=b")) == ["query"])
        #expect(errorFields(node.send("GET", "/v1/agents?owner=%zz")) == ["query"])
        #expect(errorFields(node.send("GET", "/v1/agents?limit=0")) == ["limit"])
        #expect(errorFields(node.send("GET", "/v1/agents?limit=abc")) == ["limit"])
        #expect(errorFields(node.send("GET", "/v1/agents?status=dead")) == ["status"])
    }

    @Test("health and the OpenAPI document are answered by the router itself")
    func publicDocuments() {
        var node = TestNode()
        let health = node.send("GET", "/healthz", as: nil)
        #expect(health.status == 200 && body(health)?["status"] == "ok")
        #expect(node.send("HEAD", "/healthz", as: nil).status == 200)
        #expect(node.send("HEAD", "/v1/agents", as: .reader).status == 200)
        let document = node.send("GET", "/openapi.json", as: nil)
        #expect(document.status == 200 && body(document)?["openapi"] == "3.1.0")
    }

    @Test("runtime-owned routes hand the runtime typed operations")
    func runtimeOperations() {
        var node = TestNode()
        _ = node.send("GET", "/readyz", as: nil)
        guard case .readyz = node.lastRuntimeOperation else { Issue.record("readyz"); return }
        _ = node.send("GET", "/metrics", as: nil)
        guard case .metrics = node.lastRuntimeOperation else { Issue.record("metrics"); return }
        _ = node.send("POST", "/v1/cluster/members", json: #"{"id":"n4","address":"10.0.0.4:7000"}"#)
        guard case .addMember(let access, "n4", "10.0.0.4:7000") = node.lastRuntimeOperation else { Issue.record("member"); return }
        #expect(access.requiredRoles == [.admin] && access.credentials != nil)
        _ = node.send("POST", "/v1/cluster/leadership", json: #"{"to":"n2"}"#)
        guard case .transferLeadership(_, "n2") = node.lastRuntimeOperation else { Issue.record("leadership"); return }
        _ = node.send("DELETE", "/v1/cluster/members/n4")
        guard case .removeMember(_, "n4") = node.lastRuntimeOperation else { Issue.record("remove"); return }
        _ = node.send("POST", "/v1/enforcers/edge-1/ack", as: .enforcer, json: #"{"revision":12}"#)
        guard case .enforcerAck(_, "edge-1", 12) = node.lastRuntimeOperation else { Issue.record("ack"); return }
        _ = node.send("GET", "/v1/cluster?consistency=serializable", as: .reader)
        guard case .clusterInfo(let cluster) = node.lastRuntimeOperation, cluster.consistency == .serializable else {
            Issue.record("cluster"); return
        }
        _ = node.send("GET", "/v1/enforcers", as: .reader)
        guard case .enforcers = node.lastRuntimeOperation else { Issue.record("enforcers"); return }
    }

    @Test("runtime-owned routes still refuse malformed bodies with a 400")
    func runtimeValidation() {
        var node = TestNode()
        #expect(errorFields(node.send("POST", "/v1/cluster/members", json: #"{"id":"n 4","address":"x"}"#)) == ["id"])
        #expect(errorFields(node.send("POST", "/v1/cluster/leadership", json: #"{"to":"n2","extra":1}"#)) == ["extra"])
        #expect(errorFields(node.send("POST", "/v1/enforcers/e1/ack", as: .enforcer, json: #"{"revision":"12"}"#)) == ["revision"])
        #expect(errorFields(node.send("POST", "/v1/enforcers/e1/ack", as: .enforcer, json: #"{"revision":-1}"#)) == ["revision"])
    }

    @Test("the feed parses since, Last-Event-ID, wait, only and Accept")
    func feedRequest() {
        var node = TestNode()
        _ = node.send("GET", "/v1/feed?since=41&only=revocations", as: .enforcer, headers: [("Accept", "text/event-stream")])
        guard case .feed(let feed) = node.lastRuntimeOperation else { Issue.record("feed"); return }
        #expect(feed.since == 41 && feed.onlyRevocations && feed.serverSentEvents && feed.waitSeconds == nil)
        _ = node.send("GET", "/v1/feed?wait=30", as: .enforcer, headers: [("Last-Event-ID", "7")])
        guard case .feed(let poll) = node.lastRuntimeOperation else { Issue.record("poll"); return }
        #expect(poll.since == 7 && poll.waitSeconds == 30 && !poll.serverSentEvents)
        #expect(errorFields(node.send("GET", "/v1/feed?wait=999", as: .enforcer)) == ["wait"])
        #expect(errorFields(node.send("GET", "/v1/feed?only=all", as: .enforcer)) == ["only"])
        #expect(errorFields(node.send("GET", "/v1/feed?since=x", as: .enforcer)) == ["since"])
    }
}
