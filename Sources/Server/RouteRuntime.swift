import Governance
import HTTP
import JSON

// MARK: - Runtime-owned routes

/// Routes the node runtime serves with data this layer does not hold (Raft membership, feed
/// subscribers, signing keys); parsing and validation happen here.
enum RuntimeRoutes {
    /// The longest peer address accepted (`host:port` or a URL).
    static let maximumAddressBytes = 256
    /// The longest long-poll wait on the feed.
    static let maximumFeedWaitSeconds = 60

    static let routes: [RouteDefinition] = [
        RouteDefinition("GET", "/v1/cluster", roles: RouteRoles.readers, summary: "Cluster membership and progress",
            query: ["consistency"], response: "ClusterInfo") { request in
            switch ConsistencyParsing.parse(request.query["consistency"]) {
            case .success(let consistency): return .clusterInfo(request.runtime(consistency: consistency))
            case .failure(let problem): return .respond(problem.response())
            }
        },
        RouteDefinition("POST", "/v1/cluster/members", roles: RouteRoles.admin, summary: "Add a member",
            request: "MemberRequest", response: "ClusterInfo", handler: addMember),
        RouteDefinition("DELETE", "/v1/cluster/members/{id}", roles: RouteRoles.admin, summary: "Remove a member",
            response: "ClusterInfo") { request in
            request.request.body.isEmpty
                ? .removeMember(request.runtime(), memberID: request.parameter("id"))
                : .respond(Problem.invalid("body", "this request takes no body").response())
        },
        RouteDefinition("POST", "/v1/cluster/leadership", roles: RouteRoles.admin, summary: "Transfer leadership",
            request: "LeadershipRequest", response: "ClusterInfo", handler: transferLeadership),
        RouteDefinition("GET", "/v1/feed", roles: RouteRoles.enforcers,
            summary: "Revocation and decision-state feed (SSE, or long poll with wait)",
            query: ["since", "wait", "only"], response: "FeedPage", handler: feed),
        RouteDefinition("POST", "/v1/enforcers/{id}/ack", roles: RouteRoles.enforcers,
            summary: "An enforcer acknowledges the revision it applied", request: "AckRequest", response: "Acknowledged",
            handler: acknowledge),
        RouteDefinition("GET", "/v1/enforcers", roles: RouteRoles.readers, summary: "Enforcers with their last ack and lag",
            response: "EnforcerList") { request in .enforcers(request.runtime()) },
    ]

    static func addMember(_ request: RouteRequest) -> APIOperation {
        let parsed = DecisionRoutes.parseBody(request) { reader -> (String, String)? in
            let id = reader.identifier("id", required: true)
            let address = reader.string("address", required: true, maximumBytes: maximumAddressBytes)
            guard let id, let address else { return nil }
            return (id, address)
        }
        switch parsed {
        case .success(let (id, address)): return .addMember(request.runtime(), memberID: id, address: address)
        case .failure(let problem): return .respond(problem.response())
        }
    }

    static func transferLeadership(_ request: RouteRequest) -> APIOperation {
        switch DecisionRoutes.parseBody(request, { reader in reader.identifier("to", required: true) }) {
        case .success(let to): return .transferLeadership(request.runtime(), to: to)
        case .failure(let problem): return .respond(problem.response())
        }
    }

    static func acknowledge(_ request: RouteRequest) -> APIOperation {
        switch DecisionRoutes.parseBody(request, { reader in reader.integer("revision", required: true, range: 0...Int64.max) }) {
        case .success(let revision):
            return .enforcerAck(request.runtime(), enforcerID: request.parameter("id"), revision: UInt64(revision))
        case .failure(let problem): return .respond(problem.response())
        }
    }

    static func feed(_ request: RouteRequest) -> APIOperation {
        guard let credentials = request.credentials else {
            return .respond(Authentication.unauthenticated("missing or malformed bearer API key"))
        }
        let query = request.query
        var since: UInt64?
        if let text = query["since"] ?? request.request.headers["Last-Event-ID"] {
            guard let value = UInt64(text) else { return .respond(Problem.invalid("since", "must be a revision").response()) }
            since = value
        }
        var wait: Int?
        if let text = query["wait"] {
            guard let value = Int(text), (0...maximumFeedWaitSeconds).contains(value) else {
                return .respond(Problem.invalid("wait", "must be 0 to \(maximumFeedWaitSeconds) seconds").response())
            }
            wait = value
        }
        if let only = query["only"], only != "revocations" {
            return .respond(Problem.invalid("only", "must be \"revocations\"").response())
        }
        let accept = request.request.headers["Accept"] ?? ""
        return .feed(FeedRequest(
            credentials: credentials, since: since, waitSeconds: wait,
            serverSentEvents: accept.contains("text/event-stream"), onlyRevocations: query["only"] != nil))
    }
}

// MARK: - OAuth routes

/// `/oauth/*` and the discovery documents: forms parsed strictly here, served by the runtime.
enum OAuthRoutes {
    static let routes: [RouteDefinition] = [
        RouteDefinition("POST", "/oauth/token", roles: RouteRoles.anyone,
            summary: "client_credentials or token-exchange (RFC 8693) grant", request: "TokenRequest",
            response: "TokenResponse", formEncoded: true) { request in form(request, OAuthRoutes.token) },
        RouteDefinition("POST", "/oauth/introspect", roles: RouteRoles.anyone, summary: "Token introspection (RFC 7662)",
            request: "IntrospectionRequest", response: "IntrospectionResponse", formEncoded: true) { request in
            form(request, APIOperation.introspect)
        },
        RouteDefinition("POST", "/oauth/revoke", roles: RouteRoles.anyone, summary: "Token revocation (RFC 7009)",
            request: "RevocationRequest", response: "Empty", formEncoded: true) { request in form(request, APIOperation.revoke) },
        RouteDefinition("GET", "/.well-known/jwks.json", roles: RouteRoles.anyone, summary: "The cluster's signing keys",
            response: "JWKS") { _ in .jwks },
        RouteDefinition("GET", "/.well-known/oauth-authorization-server", roles: RouteRoles.anyone,
            summary: "Authorization server metadata (RFC 8414)", response: "AuthorizationServerMetadata") { _ in
            .authorizationServerMetadata
        },
    ]

    static func token(_ request: OAuthRequest) -> APIOperation { .oauthToken(request) }

    /// Parses the form body; a malformed or repeated parameter is `invalid_request` (RFC 6749 §5.2).
    static func form(_ request: RouteRequest, _ make: (OAuthRequest) -> APIOperation) -> APIOperation {
        guard let form = FormURLEncoding.parse(request.request.body) else {
            return .respond(OAuthResponses.error(400, "invalid_request", "malformed form body or a parameter given twice"))
        }
        return make(OAuthRequest(form: form, authorization: request.request.headers["Authorization"]))
    }
}

/// OAuth's own JSON error shape (RFC 6749 §5.2), which OAuth clients expect instead of RFC 9457.
public enum OAuthResponses {
    /// `{"error", "error_description"}` with `Cache-Control: no-store`.
    public static func error(_ status: Int, _ code: String, _ description: String) -> HTTPResponse {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-store")])
        if status == 401 { headers.add(name: "WWW-Authenticate", value: "Basic realm=\"warden\"") }
        let body: JSONValue = ["error": .string(code), "error_description": .string(description)]
        return HTTPResponse(status: status, headers: headers, body: JSONWriter().bytes(body))
    }
}
