import Governance
import HTTP
import JSON

// MARK: - Connections

/// `/v1/connections`: the agent-to-agent allowlist.
enum ConnectionRoutes {
    static let routes: [RouteDefinition] = [
        RouteDefinition("POST", "/v1/connections", roles: RouteRoles.admin, summary: "Allow caller to delegate to callee",
            request: "ConnectionRequest", response: "ConnectionEnvelope", status: 201, handler: create),
        RouteDefinition("GET", "/v1/connections", roles: RouteRoles.readers, summary: "List connections",
            query: ["caller", "callee", "after", "limit", "consistency"], response: "ConnectionList", handler: list),
        RouteDefinition("GET", "/v1/connections/{id}", roles: RouteRoles.readers, summary: "Get a connection",
            query: ["consistency"], response: "ConnectionEnvelope", handler: get),
        RouteDefinition("DELETE", "/v1/connections/{id}", roles: RouteRoles.admin, summary: "Remove a connection",
            response: "Deleted", handler: delete),
    ]

    struct Body: Sendable {
        var id: String?
        var caller: String
        var callee: String
        var scopes: [String]
        var maxTokenTTLSeconds: Int64
        var expiresAtMilliseconds: Int64?
    }

    static func create(_ request: RouteRequest) -> APIOperation {
        request.write { reader -> Body? in
            let id = reader.identifier("id", required: false)
            let caller = reader.identifier("caller", required: true)
            let callee = reader.identifier("callee", required: true)
            let scopes = reader.scopes("scopes", required: true)
            let ttl = reader.integer("max_token_ttl_seconds", required: true, range: 1...GovernanceLimits.maximumTokenTTLSeconds)
            var expiry: Int64?
            if let text = reader.string("expires_at", required: false) {
                expiry = APITime.parse(text)
                if expiry == nil { reader.fail("expires_at", "must be an RFC 3339 time") }
            }
            guard let caller, let callee, let scopes, let ttl, reader.errors.isEmpty else { return nil }
            return Body(id: id, caller: caller, callee: callee, scopes: scopes, maxTokenTTLSeconds: ttl, expiresAtMilliseconds: expiry)
        } make: { body, context in
            let connection = Connection(
                id: body.id ?? RegistryRoutes.generatedID("con", context), caller: body.caller, callee: body.callee,
                scopes: body.scopes, maxTokenTTLSeconds: body.maxTokenTTLSeconds, expiresAtMilliseconds: body.expiresAtMilliseconds)
            return RouteRequest.prepared(.createConnection(connection), context, status: 201) { applied in
                let result = applied.result
                guard case .connection(let created) = result else { return nil }
                return ["connection": APIRendering.connection(created)]
            }
        }
    }

    static func list(_ request: RouteRequest) -> APIOperation {
        let caller = request.query["caller"], callee = request.query["callee"], after = request.query["after"]
        let limit: Int
        switch Pagination.limit(request.query["limit"]) {
        case .success(let value): limit = value
        case .failure(let problem): return .respond(problem.response())
        }
        return request.readJSON { context in
            let matching = context.state.connections.values.filter { connection in
                (caller == nil || connection.caller == caller) && (callee == nil || connection.callee == callee)
                    && (after.map { connection.id > $0 } ?? true)
            }
            let page = matching.sorted { $0.id < $1.id }.prefix(limit)
            let next: JSONValue = matching.count > limit ? .string(page.last?.id ?? "") : .null
            return .success(["connections": .array(page.map(APIRendering.connection)), "next": next])
        }
    }

    static func get(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.readJSON { context in
            guard let connection = context.state.connections[id] else {
                return .failure(.notFound("connection '\(id)' not found"))
            }
            return .success(["connection": APIRendering.connection(connection)])
        }
    }

    static func delete(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.writeWithoutBody { context in
            RouteRequest.prepared(.deleteConnection(id: id), context, render: RegistryRoutes.renderDeleted)
        }
    }
}
