// MARK: - The route table

/// Every route, grouped as API.md groups them; the router and `OpenAPI` both read this.
enum RouteTable {
    static let all: [RouteDefinition] =
        SystemRoutes.routes + RuntimeRoutes.routes + RegistryRoutes.routes + OperationRoutes.routes
        + ConnectionRoutes.routes + RelationRoutes.routes + DecisionRoutes.routes + OAuthRoutes.routes
        + KeyRoutes.routes + AuditRoutes.routes
}
