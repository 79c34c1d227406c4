import Crypto
import Governance
import HTTP
import JSON
import Replica
import Tokens

// MARK: - OAuth endpoints and discovery documents

extension NodeRuntime {
    /// Who called `/oauth/introspect` or `/oauth/revoke`.
    enum OAuthCaller {
        /// An operator with an API key (any role).
        case apiKey
        /// An agent with its client credentials.
        case client(String)
    }

    // MARK: - Token grant

    /// Decides the grant against the applied state and proposes its `tokenIssued` entry.
    func startTokenGrant(_ form: OAuthRequest, responder: HTTPResponder) {
        let state = replica.governance
        let request = TokenRequest(parameters: form.form, authorizationHeader: form.authorization)
        let jti = NodeConfiguration.hex(SecureRandom.bytes(count: Self.tokenIDBytes))
        let prepared = GrantService.prepare(
            request: request, state: state, verifier: tokenVerifier(state)(), clientSecretKey: secrets.clientSecretKey,
            nowMilliseconds: clock.nowMilliseconds, issuer: configuration.issuer, newJTI: jti)
        switch prepared {
        case .failure(let error): send(Self.oauthError(error), route: "POST /oauth/token", to: responder)
        case .success(let grant):
            guard identity.canSign(in: state) else {
                let error = OAuthResponses.error(503, "temporarily_unavailable", "this node's signing key is not yet published; retry")
                return send(error, route: "POST /oauth/token", to: responder)
            }
            let id = makeRequestID()
            pending[id] = .token(grant, responder, started: SystemClock.monotonicNanoseconds())
            replica.submitWrite(requestID: id, command: grant.command, actor: .agent(grant.clientID), idempotencyKey: nil)
        }
    }

    /// Signs the token once its entry applied, or explains why not.
    func finishTokenGrant(_ grant: PreparedGrant, _ outcome: RequestOutcome, responder: HTTPResponder) {
        let route = "POST /oauth/token"
        switch outcome {
        case .applied(_, let result, _):
            switch GrantService.finish(grant, signer: identity.signer, appliedResult: result) {
            case .success(let token):
                let headers = HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-store")])
                send(HTTPResponse(status: 200, headers: headers, body: JSONWriter().bytes(token.jsonValue)), route: route, to: responder)
            case .failure(let error): send(Self.oauthError(error), route: route, to: responder)
            }
        default:
            send(OAuthResponses.error(503, "temporarily_unavailable", "the token was not recorded; retry"), route: route, to: responder)
        }
    }

    /// RFC 6749 §5.2 error response.
    static func oauthError(_ error: OAuthError) -> HTTPResponse {
        OAuthResponses.error(error.httpStatus, error.code, error.description)
    }

    // MARK: - Introspection and revocation

    /// Authenticates the caller, then waits for a linearizable read before deciding.
    func startIntrospection(_ form: OAuthRequest, responder: HTTPResponder) {
        let route = "POST /oauth/introspect"
        if case .failure(let refusal) = authenticateOAuthCaller(form) { return send(refusal.response, route: route, to: responder) }
        guard let token = form.form["token"], !token.isEmpty else {
            return send(OAuthResponses.error(400, "invalid_request", "token is required"), route: route, to: responder)
        }
        let id = makeRequestID()
        pending[id] = .introspect(token: token, responder)
        replica.submitRead(requestID: id, consistency: .linearizable)
    }

    /// Answers an introspection on fresh state.
    func finishIntrospection(_ token: String, responder: HTTPResponder) {
        let state = replica.governance
        let answer = Introspection.introspect(token: token, state: state, verifier: tokenVerifier(state)(), nowMilliseconds: clock.nowMilliseconds)
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-store")])
        send(HTTPResponse(status: 200, headers: headers, body: JSONWriter().bytes(answer.jsonValue)), route: "POST /oauth/introspect", to: responder)
    }

    /// Authenticates the caller and proposes the revocation, or answers 200 when there is nothing to do.
    func startRevocation(_ form: OAuthRequest, responder: HTTPResponder) {
        let route = "POST /oauth/revoke"
        let caller: OAuthCaller
        switch authenticateOAuthCaller(form) {
        case .failure(let refusal): return send(refusal.response, route: route, to: responder)
        case .success(let authenticated): caller = authenticated
        }
        guard let token = form.form["token"], !token.isEmpty else {
            return send(OAuthResponses.error(400, "invalid_request", "token is required"), route: route, to: responder)
        }
        let state = replica.governance
        var clientID: String?
        if case .client(let id) = caller { clientID = id }
        switch Revocation.prepare(token: token, state: state, verifier: tokenVerifier(state)(), nowMilliseconds: clock.nowMilliseconds,
                                  requestingClientID: clientID) {
        case .nothingToDo: send(HTTPResponse(status: 200, headers: HTTPHeaders([("Cache-Control", "no-store")])), route: route, to: responder)
        case .refused(let error): send(Self.oauthError(error), route: route, to: responder)
        case .propose(let command):
            let id = makeRequestID()
            pending[id] = .revoke(responder)
            let actor: Actor = clientID.map { .agent($0) } ?? .system
            replica.submitWrite(requestID: id, command: command, actor: actor, idempotencyKey: nil)
        }
    }

    /// 200 once the revocation applied; 503 when it did not.
    func finishRevocation(_ outcome: RequestOutcome, responder: HTTPResponder) {
        let route = "POST /oauth/revoke"
        if case .applied = outcome {
            send(HTTPResponse(status: 200, headers: HTTPHeaders([("Cache-Control", "no-store")])), route: route, to: responder)
        } else {
            send(OAuthResponses.error(503, "temporarily_unavailable", "the revocation may not have applied; retry"), route: route, to: responder)
        }
    }

    /// An API key (any role) or an agent's client credentials; otherwise 401 `invalid_client`.
    func authenticateOAuthCaller(_ form: OAuthRequest) -> Result<OAuthCaller, APIRefusal> {
        let state = replica.governance
        if let bearer = Authentication.parseBearer(form.authorization) {
            switch Authentication.authenticate(bearer: bearer, state: state) {
            case .success: return .success(.apiKey)
            case .failure(let refusal): return .failure(refusal)
            }
        }
        let request = TokenRequest(parameters: form.form, authorizationHeader: form.authorization)
        let refusal = OAuthResponses.error(401, "invalid_client", "authenticate with an API key or client credentials")
        guard case .success(let presented?) = request.clientCredentials(), let agent = state.agents[presented.clientID],
              ClientSecret.matches(presented.secret, storedHash: agent.secretHash, key: secrets.clientSecretKey)
        else { return .failure(APIRefusal(refusal)) }
        return .success(.client(agent.id))
    }

    // MARK: - Discovery

    /// `/.well-known/jwks.json`: every valid public key of the replicated key table.
    func jwksResponse() -> HTTPResponse {
        let keySet = KeyRing(state: replica.governance).jsonWebKeySet
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "max-age=60")])
        return HTTPResponse(status: 200, headers: headers, body: keySet.jsonBytes())
    }

    /// `/.well-known/oauth-authorization-server` (RFC 8414), endpoints under this node's address.
    func metadataResponse() -> HTTPResponse {
        let document = AuthorizationServerMetadata.document(issuer: configuration.issuer, baseURL: "http://\(configuration.advertise)")
        return APIResponses.document(document)
    }
}
