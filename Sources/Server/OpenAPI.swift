import Governance
import JSON

// MARK: - OpenAPI

/// The OpenAPI 3.1 document, generated from the route table the router uses, so every served
/// route is documented and nothing undocumented is served (a test walks both).
public enum OpenAPI {
    /// The API version in `info.version`.
    public static let apiVersion = "1"

    /// The whole document.
    public static func document() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for route in APIRouter.routes {
            var item = paths[route.template]?.objectValue ?? [:]
            item[route.method.lowercased()] = operation(route)
            paths[route.template] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Warden", "version": .string(apiVersion),
                     "description": "Control plane that governs AI agents: registry, connections, authorization, kill switch."],
            "paths": .object(paths),
            "components": [
                "schemas": .object(OpenAPISchemas.all),
                "securitySchemes": ["apiKey": ["type": "http", "scheme": "bearer", "description": "wdn_<keyID>_<secret>"]],
            ],
        ]
    }

    /// One operation object.
    static func operation(_ route: RouteDefinition) -> JSONValue {
        var members: [String: JSONValue] = [
            "summary": .string(route.summary),
            "operationId": .string(operationID(route)),
            "responses": responses(route),
        ]
        let parameters = route.pathParameters.map { parameter($0, in: "path", required: true) }
            + route.queryParameters.map { parameter($0, in: "query", required: false) }
        if !parameters.isEmpty { members["parameters"] = .array(parameters) }
        if let schema = route.requestSchema {
            let mediaType = route.formEncoded ? "application/x-www-form-urlencoded" : "application/json"
            members["requestBody"] = ["required": true, "content": .object([mediaType: ["schema": reference(schema)]])]
        }
        if route.requiredRoles.isEmpty {
            members["security"] = []
        } else {
            members["security"] = [["apiKey": []]]
            let roles = APIKeyRole.allCases.filter(route.requiredRoles.contains).map { JSONValue.string($0.name) }
            members["x-warden-roles"] = .array(roles)
        }
        return .object(members)
    }

    /// The success response and the problems every route may answer.
    static func responses(_ route: RouteDefinition) -> JSONValue {
        let successType = route.responseSchema == "PrometheusText" ? "text/plain" : "application/json"
        var responses: [String: JSONValue] = [
            String(route.successStatus): [
                "description": "Success",
                "content": .object([successType: ["schema": reference(route.responseSchema)]]),
            ],
            "400": problemResponse("Malformed request; `errors` names each field at fault"),
            "404": problemResponse("Unknown route or object"),
            "405": problemResponse("Method not allowed; see the Allow header"),
            "413": problemResponse("Body too large"),
        ]
        if !route.requiredRoles.isEmpty {
            responses["401"] = problemResponse("Missing or bad API key")
            responses["403"] = problemResponse("The key's role may not call this")
        }
        if route.requestSchema != nil && !route.formEncoded {
            responses["409"] = problemResponse("Conflicts with the current state")
            responses["412"] = problemResponse("The object is not in a state that allows this")
            responses["422"] = problemResponse("The Idempotency-Key was first used for a different request")
            responses["503"] = problemResponse("Not applied; retry after Retry-After")
            responses["504"] = problemResponse("May have applied; retry with the same Idempotency-Key")
        }
        return .object(responses)
    }

    static func problemResponse(_ description: String) -> JSONValue {
        ["description": .string(description), "content": ["application/problem+json": ["schema": reference("Problem")]]]
    }

    static func parameter(_ name: String, in location: String, required: Bool) -> JSONValue {
        ["name": .string(name), "in": .string(location), "required": .bool(required), "schema": ["type": "string"]]
    }

    static func reference(_ schema: String) -> JSONValue { ["$ref": .string("#/components/schemas/" + schema)] }

    /// `post_v1_agents_id_kill` style ids, unique per method and template.
    static func operationID(_ route: RouteDefinition) -> String {
        let words: [String] = route.segments.map { segment in String(segment.filter { $0.isLetter || $0.isNumber }) }
        return ([route.method.lowercased()] + words.filter { !$0.isEmpty }).joined(separator: "_")
    }
}
