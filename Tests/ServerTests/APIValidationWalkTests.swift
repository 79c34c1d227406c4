import Governance
import HTTP
import JSON
import Server
import Testing

@Suite("validation across every JSON route")
struct APIValidationWalkTests {
    /// JSON-bodied routes other than the model (whose OpenFGA format the model parser validates).
    static var jsonRoutes: [RouteDefinition] {
        APIRouter.routes.filter { $0.requestSchema != nil && !$0.formEncoded && $0.template != "/v1/model" }
    }

    static func path(_ route: RouteDefinition) -> String {
        route.template.split(separator: "/").map { $0.hasPrefix("{") ? "bot" : String($0) }.reduce("") { $0 + "/" + $1 }
    }

    @Test("an unknown field in any JSON body is a 400 naming it, and no command is proposed")
    func unknownField() {
        for route in Self.jsonRoutes {
            var node = TestNode()
            node.register("bot")
            let before = node.applied.count
            let response = node.send(route.method, Self.path(route), json: #"{"zz_unknown":true}"#)
            #expect(isProblem(response, 400), "\(route.name)")
            #expect(errorFields(response).contains("zz_unknown"), "\(route.name): \(errorFields(response))")
            #expect(node.applied.count == before, "\(route.name)")
        }
    }

    @Test("a body that is not an object, or not JSON, is a 400 on body for every JSON route")
    func notAnObject() {
        for route in Self.jsonRoutes {
            for text in ["[]", "\"text\"", "42", "{\"a\":", "\u{FF}"] {
                var node = TestNode()
                let response = node.send(route.method, Self.path(route), json: text)
                #expect(isProblem(response, 400), "\(route.name) \(text)")
                #expect(errorFields(response) == ["body"], "\(route.name) \(text)")
                #expect(node.applied.isEmpty, "\(route.name)")
            }
        }
    }

    @Test("every required field left out is named, each once")
    func missingRequired() {
        let required: [String: Set<String>] = [
            "POST /v1/agents": ["name", "owner"], "PUT /v1/users/{id}": ["attributes"],
            "POST /v1/agents/{id}/kill": ["reason"], "POST /v1/signals": ["agent", "type", "severity", "source"],
            "PUT /v1/settings": ["risk_threshold", "risk_decay_per_hour", "enforcer_lease_ms", "token_ttl_seconds"],
            "POST /v1/connections": ["caller", "callee", "scopes", "max_token_ttl_seconds"],
            "POST /v1/check": ["agent", "action", "resource"], "POST /v1/check/batch": ["checks"],
            "POST /v1/keys": ["name", "role"], "POST /v1/audit/decisions": ["enforcer", "batch_seq", "decisions"],
            "POST /v1/cluster/members": ["id", "address"], "POST /v1/cluster/leadership": ["to"],
            "POST /v1/enforcers/{id}/ack": ["revision"],
        ]
        for route in Self.jsonRoutes {
            guard let expected = required[route.name] else { continue }
            var node = TestNode()
            let fields = errorFields(node.send(route.method, Self.path(route), json: "{}"))
            #expect(Set(fields) == expected && fields.count == expected.count, "\(route.name): \(fields)")
        }
    }
}
