import Governance
import HTTP
import JSON
import Server
import Testing

@Suite("API authentication and roles")
struct APIAuthenticationTests {
    @Test("every route with roles refuses a request without a key: 401 with a Bearer challenge, nothing applied")
    func missingKey() {
        var node = TestNode()
        for route in APIRouter.routes where !route.requiredRoles.isEmpty {
            let response = node.send(route.method, APIRouterTests.concrete(route.template), as: nil, json: "{}")
            #expect(isProblem(response, 401), "\(route.name)")
            #expect(response.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true, "\(route.name)")
        }
        #expect(node.applied.isEmpty)
    }

    @Test("a wrong secret, an unknown key id and a malformed header are all 401")
    func badKeys() {
        var node = TestNode()
        let admin = node.keys[.admin]!
        let wrongSecret = String(admin.dropLast()) + (admin.last == "A" ? "B" : "A")
        for header in ["Bearer " + wrongSecret, "Bearer wdn_0000000000000000_abc", "Bearer nope", "Basic abc", "Bearer wdn_", ""] {
            let response = node.send(HTTPRequest(
                method: "POST", target: "/v1/signals", headers: HTTPHeaders([("Authorization", header)]),
                body: Array(#"{"agent":"a","type":"t","severity":1,"source":"s"}"#.utf8)))
            #expect(isProblem(response, 401), "\(header)")
        }
        #expect(node.applied.isEmpty)
    }

    @Test("the role matrix: each role reaches exactly the routes API.md gives it, others get 403")
    func roleMatrix() {
        let expectations: [(String, APIKeyRole, Bool)] = [
            ("POST /v1/agents", .admin, true), ("POST /v1/agents", .security, false), ("POST /v1/agents", .reader, false),
            ("POST /v1/agents", .enforcer, false), ("GET /v1/agents", .reader, true), ("GET /v1/agents", .security, true),
            ("GET /v1/agents", .enforcer, false), ("POST /v1/agents/{id}/kill", .security, true),
            ("POST /v1/agents/{id}/kill", .reader, false), ("POST /v1/agents/{id}/kill", .enforcer, false),
            ("POST /v1/signals", .security, true), ("POST /v1/signals", .enforcer, false),
            ("POST /v1/check", .enforcer, true), ("POST /v1/check", .reader, false), ("POST /v1/check", .security, false),
            ("POST /v1/audit/decisions", .enforcer, true), ("POST /v1/audit/decisions", .security, false),
            ("GET /v1/audit", .security, true), ("GET /v1/audit", .enforcer, false),
            ("POST /v1/keys", .security, false), ("GET /v1/keys", .reader, false), ("GET /v1/keys", .admin, true),
            ("PUT /v1/settings", .security, false), ("GET /v1/settings", .reader, true),
            ("PUT /v1/model", .reader, false), ("POST /v1/tuples", .enforcer, false),
        ]
        let routes = Dictionary(uniqueKeysWithValues: APIRouter.routes.map { ($0.name, $0) })
        for (name, role, allowed) in expectations {
            #expect(routes[name]?.requiredRoles.contains(role) == allowed, "\(name) as \(role.name)")
        }
        for route in APIRouter.routes where route.method == "GET" && !route.requiredRoles.isEmpty && route.template != "/v1/keys" && route.template != "/v1/feed" {
            #expect(route.requiredRoles.contains(.reader), "reader may GET \(route.name)")
        }
        for route in APIRouter.routes where route.method != "GET" {
            #expect(!route.requiredRoles.contains(.reader), "reader may not \(route.name)")
            if !route.requiredRoles.isEmpty { #expect(route.requiredRoles.contains(.admin), "admin may \(route.name)") }
        }
    }

    @Test("a key whose role may not write gets 403 before its body is even considered, and nothing applies")
    func forbiddenWrite() {
        var node = TestNode()
        for role in [APIKeyRole.reader, .enforcer, .security] {
            let response = node.send("POST", "/v1/agents", as: role, json: #"{"name":"x","owner":"anne"}"#)
            #expect(isProblem(response, 403), "\(role.name)")
            #expect(isProblem(node.send("POST", "/v1/agents", as: role, json: "{not json"), 403), "\(role.name)")
        }
        #expect(isProblem(node.send("GET", "/v1/keys", as: .reader), 403))
        #expect(node.applied.isEmpty)
    }

    @Test("a deleted key stops working at once; a created key works with its role")
    func keyLifecycle() {
        var node = TestNode()
        let created = node.send("POST", "/v1/keys", json: #"{"name":"ops","role":"security"}"#)
        #expect(created.status == 201)
        guard let key = body(created)?["key"]?.stringValue, let id = body(created)?["id"]?.stringValue else {
            Issue.record("no key"); return
        }
        #expect(key.hasPrefix("wdn_" + id + "_"))
        #expect(body(created)?["role"] == "security")
        let headers = [("Authorization", "Bearer " + key)]
        #expect(node.send("GET", "/v1/agents", as: nil, headers: headers).status == 200)
        #expect(isProblem(node.send("POST", "/v1/keys", as: nil, json: #"{"name":"x","role":"admin"}"#, headers: headers), 403))
        let listed = node.send("GET", "/v1/keys")
        #expect(body(listed)?["keys"]?.arrayValue?.count == 5)
        #expect(!String(decoding: listed.body, as: UTF8.self).contains(String(key.split(separator: "_").last!)))
        #expect(node.send("DELETE", "/v1/keys/" + id).status == 200)
        #expect(isProblem(node.send("GET", "/v1/agents", as: nil, headers: headers), 401))
        #expect(isProblem(node.send("DELETE", "/v1/keys/" + id), 404))
    }

    @Test("the stored key is a SHA-256 of the secret, never the secret")
    func storedHashed() {
        let random = SeededBytes(seed: 9)
        let (key, plaintext) = APIKeys.generate(name: "n", role: .reader, randomBytes: { random.bytes($0) })
        let secret = String(plaintext.split(separator: "_", maxSplits: 2).last!)
        #expect(key.keyHash == APIKeys.hash(secret: secret))
        #expect(key.keyHash != Array(secret.utf8))
        #expect(Authentication.parseBearer("Bearer " + plaintext) == APICredentials(keyID: key.id, secret: secret))
        #expect(Authentication.parseBearer("bearer " + plaintext) != nil)
        #expect(Authentication.parseBearer(plaintext) == nil)
    }
}
