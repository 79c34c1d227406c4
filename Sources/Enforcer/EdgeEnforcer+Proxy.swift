import Dispatch
import Governance
import HTTP
import JSON
import Server
import Tokens

// MARK: - The authorizing reverse proxy

extension EdgeEnforcer {
    /// Request headers not passed on (hop-by-hop, or recomputed by the client).
    static let droppedRequestHeaders: Set<String> = ["host", "content-length", "connection", "transfer-encoding", "keep-alive", "te", "upgrade"]
    /// Response headers not passed back.
    static let droppedResponseHeaders: Set<String> = ["content-length", "connection", "transfer-encoding", "keep-alive"]

    /// Verifies the bearer token, maps the request to actions (route table; MCP `tools/call`
    /// uses the tool name), decides each, then forwards or refuses (401 no/bad token, 403 deny,
    /// 400 unreadable MCP body, 502 tool server unreachable or over the bound). Request bodies are
    /// bounded by the local server's limits (1 MiB), responses by `maximumProxiedResponseBytes`;
    /// the upstream call runs off the event loop.
    func proxy(_ request: HTTPRequest, _ responder: HTTPResponder) {
        DispatchQueue.global().async { [self] in
            responder.send(authorizeAndForward(request))
        }
    }

    private func authorizeAndForward(_ request: HTTPRequest) -> HTTPResponse {
        guard let upstream = configuration.proxyTo else { return refusal(404, "not_found", "no proxy configured", []) }
        guard let match = ProxyRoute.match(configuration.proxyRoutes, method: request.method, path: request.path) else {
            return refusal(403, "no_route", "no --route maps \(request.method) \(request.path) to an action", [])
        }
        guard let header = request.headers["Authorization"], header.hasPrefix("Bearer ") else {
            return refusal(401, "token_missing", "a bearer token is required", [])
        }
        let token = String(header.dropFirst("Bearer ".count))
        let agent: String
        switch verifiedAgent(token) {
        case .success(let id): agent = id
        case .failure(let message): return refusal(401, "token_invalid", message.description, [])
        }
        var actions = [match.action]
        if match.route.action == ProxyRoute.mcpAction {
            guard let tools = MCPRequest.toolCalls(request.body) else { return refusal(400, "invalid_request", "not an MCP JSON-RPC request", []) }
            actions = tools
        }
        for action in actions {
            let outcome = decide(EdgeCheck.Check(agent: agent, token: token, action: action, resource: match.resource))
            guard outcome.allowed else {
                return refusal(403, "denied", "\(agent) may not \(action) on \(match.resource)", outcome.codes)
            }
        }
        return forward(request, to: upstream)
    }

    /// The acting agent of a token that verifies offline (the last member of its chain).
    private func verifiedAgent(_ token: String) -> Result<String, TokenMessage> {
        let (state, issuer) = shared.withLock { ($0.state, $0.issuer ?? "") }
        guard let governance = state.governance else { return .failure(TokenMessage("the enforcer has no state yet")) }
        let verifier = TokenVerifier(keyRing: state.keyRing, expectedIssuer: issuer, expectedAudience: "")
        do {
            let verified = try TokenLiveness.verify(token, verifier: verifier, state: governance, nowMilliseconds: EdgeClock.wallMilliseconds())
            guard let agent = PresentedToken(verified: verified).chain.last else { return .failure(TokenMessage("empty chain")) }
            return .success(agent)
        } catch {
            return .failure(TokenMessage(error.description))
        }
    }

    private func forward(_ request: HTTPRequest, to upstream: NodeAddress) -> HTTPResponse {
        var headers = HTTPHeaders()
        for field in request.headers where !Self.droppedRequestHeaders.contains(field.name.lowercased()) {
            headers.add(name: field.name, value: field.value)
        }
        let outgoing = HTTPClientRequest(method: request.method, target: request.target, headers: headers, body: request.body)
        guard let response = try? proxyClient.send(outgoing, host: upstream.host, port: upstream.port) else {
            return refusal(502, "upstream_unavailable", "the tool server at \(upstream) did not answer", [])
        }
        var back = HTTPHeaders()
        for field in response.headers where !Self.droppedResponseHeaders.contains(field.name.lowercased()) {
            back.add(name: field.name, value: field.value)
        }
        return HTTPResponse(status: response.status, headers: back, body: response.body)
    }

    private func refusal(_ status: Int, _ code: String, _ detail: String, _ reasons: [String]) -> HTTPResponse {
        var response = Problem(status: status, code: code, detail: detail).response()
        if !reasons.isEmpty { response.head.headers.add(name: "Warden-Reasons", value: reasons.joined(separator: " ")) }
        if status == 401 { response.head.headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"warden\"") }
        return response
    }
}

/// Why a token was refused, in words (an `Error` so it can ride in a `Result`).
struct TokenMessage: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
