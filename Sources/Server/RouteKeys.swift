import Governance
import HTTP
import JSON

// MARK: - API keys

/// `/v1/keys`: operator API keys (admin only).
enum KeyRoutes {
    static let routes: [RouteDefinition] = [
        RouteDefinition("POST", "/v1/keys", roles: RouteRoles.admin, summary: "Create an API key (shown once)",
            request: "KeyRequest", response: "KeyCreated", status: 201, handler: create),
        RouteDefinition("GET", "/v1/keys", roles: RouteRoles.admin, summary: "List API keys (never their secrets)",
            query: ["consistency"], response: "KeyList", handler: list),
        RouteDefinition("DELETE", "/v1/keys/{id}", roles: RouteRoles.admin,
            summary: "Delete an API key; it stops working on every node at once", response: "Deleted", handler: delete),
    ]

    struct Body: Sendable {
        var name: String
        var role: APIKeyRole
    }

    static func create(_ request: RouteRequest) -> APIOperation {
        request.write { reader -> Body? in
            let name = reader.string("name", required: true)
            var role: APIKeyRole?
            if let text = reader.string("role", required: true) {
                role = APIKeyRole.allCases.first { $0.name == text }
                if role == nil { reader.fail("role", "must be admin, security, enforcer or reader") }
            }
            guard let name, let role else { return nil }
            return Body(name: name, role: role)
        } make: { body, context in
            let (key, plaintext) = APIKeys.generate(name: body.name, role: body.role, randomBytes: context.randomBytes)
            return RouteRequest.prepared(.createAPIKey(key), context, status: 201) { applied in
                let result = applied.result
                guard case .apiKey(let created) = result, case .object(var members) = APIRendering.apiKey(created) else { return nil }
                members[applied.replayed ? "replayed" : "key"] = applied.replayed ? true : .string(plaintext)
                return members
            }
        }
    }

    static func list(_ request: RouteRequest) -> APIOperation {
        request.readJSON { context in
            let keys = context.state.apiKeys.values.sorted { $0.id < $1.id }
            return .success(["keys": .array(keys.map(APIRendering.apiKey))])
        }
    }

    static func delete(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.writeWithoutBody { context in
            RouteRequest.prepared(.deleteAPIKey(id: id), context, render: RegistryRoutes.renderDeleted)
        }
    }
}
