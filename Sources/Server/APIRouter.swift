import Governance
import HTTP

// MARK: - Router

/// Turns a parsed request into an operation. Pure: no state, no clock, no I/O, so the HTTP loop
/// threads call it directly and tests call it without sockets.
public enum APIRouter {
    /// The largest body any route accepts: an authorization model plus envelope room.
    public static let maximumBodyBytes = GovernanceLimits.maximumModelBytes + 64 * 1_024
    /// The longest request path considered.
    public static let maximumPathBytes = 2_048
    /// Every route served, in documentation order.
    public static let routes: [RouteDefinition] = RouteTable.all

    /// The operation for `request`: 404/405/400/401/413 answered here, everything else handed on.
    public static func route(_ request: HTTPRequest) -> APIOperation {
        let path = request.path
        guard path.utf8.count <= maximumPathBytes, path.hasPrefix("/") else {
            return .respond(Problem(status: 404, code: "not_found", detail: "no route for this path").response())
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let candidates = routes.compactMap { route in match(route, segments).map { (route, $0) } }
        guard !candidates.isEmpty else {
            return .respond(Problem(status: 404, code: "not_found", detail: "no route for \(path)").response())
        }
        // RFC 9110 §9.3.2: HEAD is GET without the body (the HTTP writer drops it).
        let method = request.method == "HEAD" ? "GET" : request.method
        guard let (route, parameters) = candidates.first(where: { $0.0.method == method }) else {
            let methods = candidates.map(\.0.method)
            let allowed = methods.flatMap { $0 == "GET" ? ["GET", "HEAD"] : [$0] }.joined(separator: ", ")
            return .respond(
                Problem(status: 405, code: "method_not_allowed", detail: "\(request.method) is not allowed on \(path); allowed: \(allowed)")
                    .response(headers: [("Allow", allowed)]))
        }
        if request.body.count > maximumBodyBytes {
            return .respond(Problem(status: 413, code: "content_too_large", detail: "body larger than \(maximumBodyBytes) bytes").response())
        }
        return dispatch(route, parameters: parameters, request)
    }

    /// The metrics label of a request: its route's name, `unmatched` when no path fits (bounded
    /// cardinality: never the raw path); a wrong method counts under a route of that path.
    public static func routeLabel(_ request: HTTPRequest) -> String {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let candidates = routes.filter { match($0, segments) != nil }
        let method = request.method == "HEAD" ? "GET" : request.method
        return (candidates.first { $0.method == method } ?? candidates.first)?.name ?? "unmatched"
    }

    /// Checks path parameters, query and credentials, then calls the route's handler.
    static func dispatch(_ route: RouteDefinition, parameters: [String: String], _ request: HTTPRequest) -> APIOperation {
        for name in route.pathParameters where !APIValidation.isIdentifier(parameters[name] ?? "") {
            return .respond(Problem.invalid(name, APIValidation.identifierMessage).response())
        }
        guard let query = FormURLEncoding.parse(query: request.query) else {
            return .respond(Problem.invalid("query", "malformed or repeated query parameter").response())
        }
        let accepted = Set(route.queryParameters)
        if let unknown = query.keys.sorted().first(where: { !accepted.contains($0) }) {
            return .respond(Problem.invalid(unknown, "unknown query parameter").response())
        }
        let credentials = Authentication.parseBearer(request.headers["Authorization"])
        if !route.requiredRoles.isEmpty && credentials == nil {
            return .respond(Authentication.unauthenticated("missing or malformed bearer API key"))
        }
        let matched = RouteRequest(
            request: request, routeName: route.name, requiredRoles: route.requiredRoles, parameters: parameters,
            query: query, credentials: credentials)
        return route.handler(matched)
    }

    /// The path parameters when `segments` fit the route's template.
    static func match(_ route: RouteDefinition, _ segments: ArraySlice<Substring>) -> [String: String]? {
        let template = route.segments
        guard template.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (pattern, segment) in zip(template, segments) {
            if pattern.hasPrefix("{") {
                parameters[String(pattern.dropFirst().dropLast())] = String(segment)
            } else if pattern != segment {
                return nil
            }
        }
        return parameters
    }
}
