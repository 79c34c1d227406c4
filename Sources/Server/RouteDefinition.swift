import Governance
import HTTP

// MARK: - Route definition

/// One entry of the route table: what the router matches, what OpenAPI documents, and the
/// handler that turns a matched request into an operation. One table feeds both, so the
/// documentation cannot drift from what is served.
public struct RouteDefinition: Sendable {
    /// The method (`GET`, `POST`, …).
    public var method: String
    /// The path template, parameters in braces (`/v1/agents/{id}`).
    public var template: String
    /// Roles allowed; empty for public routes (health, discovery, OAuth client authentication).
    public var requiredRoles: Set<APIKeyRole>
    /// One line for the OpenAPI summary.
    public var summary: String
    /// Query parameters the route accepts (any other is a 400).
    public var queryParameters: [String]
    /// The request body schema name in `components.schemas`, if it takes a body.
    public var requestSchema: String?
    /// The success response schema name in `components.schemas`.
    public var responseSchema: String
    /// The success status.
    public var successStatus: Int
    /// Whether the body is `application/x-www-form-urlencoded` (OAuth) rather than JSON.
    public var formEncoded: Bool
    /// The template's segments (`["v1", "agents", "{id}"]`), split once: matching runs per request.
    public let segments: [Substring]
    /// The names of the path parameters, in order.
    public let pathParameters: [String]
    /// Builds the operation for a matched request.
    let handler: @Sendable (RouteRequest) -> APIOperation

    /// A route from its parts.
    init(
        _ method: String, _ template: String, roles: Set<APIKeyRole>, summary: String, query: [String] = [],
        request: String? = nil, response: String, status: Int = 200, formEncoded: Bool = false,
        handler: @escaping @Sendable (RouteRequest) -> APIOperation
    ) {
        self.method = method
        self.template = template
        self.requiredRoles = roles
        self.summary = summary
        self.queryParameters = query
        self.requestSchema = request
        self.responseSchema = response
        self.successStatus = status
        self.formEncoded = formEncoded
        self.handler = handler
        segments = template.split(separator: "/", omittingEmptySubsequences: true)
        pathParameters = segments.filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
    }

    /// `METHOD /template`: the metrics label and the name in 403 problems.
    public var name: String { method + " " + template }
}

// MARK: - Role sets

/// The role sets routes use (API.md "Auth").
public enum RouteRoles {
    /// Public: no key.
    public static let anyone: Set<APIKeyRole> = []
    /// Admin only.
    public static let admin: Set<APIKeyRole> = [.admin]
    /// GET of operator data: everyone but enforcers, which only read the feed.
    public static let readers: Set<APIKeyRole> = [.admin, .security, .reader]
    /// Kill, reinstate, signals.
    public static let security: Set<APIKeyRole> = [.admin, .security]
    /// Check, acknowledgements, decision upload, feed.
    public static let enforcers: Set<APIKeyRole> = [.admin, .enforcer]
}
