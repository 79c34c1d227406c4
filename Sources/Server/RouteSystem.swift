import Governance
import HTTP
import JSON

// MARK: - Health, discovery, metrics

/// Routes that need no key: health, readiness, metrics, the OpenAPI document.
enum SystemRoutes {
    static let routes: [RouteDefinition] = [
        RouteDefinition("GET", "/healthz", roles: RouteRoles.anyone, summary: "200 while the process serves",
            response: "Health") { _ in .respond(APIResponses.document(["status": "ok"])) },
        RouteDefinition("GET", "/readyz", roles: RouteRoles.anyone,
            summary: "200 when the node knows a leader and has applied up to its commit; 503 otherwise",
            response: "Health") { _ in .readyz },
        RouteDefinition("GET", "/metrics", roles: RouteRoles.anyone, summary: "Prometheus text exposition",
            response: "PrometheusText") { _ in .metrics },
        RouteDefinition("GET", "/openapi.json", roles: RouteRoles.anyone, summary: "This API as OpenAPI 3.1",
            response: "OpenAPIDocument") { _ in .respond(APIResponses.document(OpenAPI.document())) },
    ]
}
