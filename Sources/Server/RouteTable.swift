// MARK: - The route table

/// Every route, grouped as API.md groups them; the router and `OpenAPI` both read this.
enum RouteTable {
    static let all: [RouteDefinition] =
        SystemRoutes.routes + RegistryRoutes.routes
}
