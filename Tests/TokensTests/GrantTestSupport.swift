import Authorization
import Crypto
import Governance
import JSON
import Tokens

// MARK: - A governed world driven through apply

/// A `GovernanceState` changed only through `apply` with explicit revisions and leader
/// timestamps, plus this node's signing identity and the grant flows as the server runs them.
struct GrantWorld {
    static let issuer = "https://warden.example"
    static let clientSecretKey = [UInt8](repeating: 5, count: 32)
    static let invoiceModel = """
        {"schema_version":"1.1","type_definitions":[
          {"type":"user"},
          {"type":"invoice","relations":{"approve":{"this":{}}},
           "metadata":{"relations":{"approve":{"directly_related_user_types":[{"type":"user"}]}}}}]}
        """

    var state = GovernanceState()
    var revision: UInt64 = 0
    var nowMilliseconds: Int64 = 1_800_000_000_000
    var identity = NodeSigningIdentity(privateKey: Fixture.nodeOneKey)
    private var jtiCounter = 0

    init() {
        apply(identity.publicationCommand)
        apply(.writeModel(json: Array(GrantWorld.invoiceModel.utf8)))
    }

    // MARK: - Writes

    @discardableResult
    mutating func apply(_ command: Command) -> CommandResult {
        revision += 1
        let payload = LogEntryPayload(
            timestampMilliseconds: nowMilliseconds, actor: .apiKey(id: "admin-key", role: .admin), command: command)
        return state.apply(payload, revision: revision).result
    }

    static func secret(of agent: String) -> String { "secret-of-" + agent }

    mutating func register(
        _ id: String, scopes: [String] = ["invoice:*"], owner: String = "anne", kind: AgentKind = .agent,
        attributes: [String: ConditionValue] = [:]
    ) {
        let result = apply(.registerAgent(AgentRegistration(
            id: id, name: "Agent \(id)", owner: owner, kind: kind, scopes: scopes, attributes: attributes,
            secretHash: ClientSecret.hash(GrantWorld.secret(of: id), key: GrantWorld.clientSecretKey))))
        precondition(!result.isRejection, "registration failed: \(result)")
    }

    mutating func connect(
        _ caller: String, _ callee: String, scopes: [String] = ["invoice:*"], ttlSeconds: Int64 = 600,
        expiresAtMilliseconds: Int64? = nil
    ) {
        let result = apply(.createConnection(Connection(
            id: "\(caller)-\(callee)", caller: caller, callee: callee, scopes: scopes, maxTokenTTLSeconds: ttlSeconds,
            expiresAtMilliseconds: expiresAtMilliseconds)))
        precondition(!result.isRejection, "connection failed: \(result)")
    }

    mutating func allow(_ user: String, _ relation: String, _ object: String) {
        apply(.writeTuples(writes: [RelationshipTuple(user: user, relation: relation, object: object)], deletes: []))
    }

    mutating func advance(seconds: Int64) { nowMilliseconds += seconds * 1_000 }

    // MARK: - Flows

    var verifier: TokenVerifier {
        TokenVerifier(keyRing: KeyRing(state: state), expectedIssuer: GrantWorld.issuer, expectedAudience: "any")
    }

    mutating func nextJTI() -> String {
        jtiCounter += 1
        return "jti-\(jtiCounter)"
    }

    mutating func prepare(_ parameters: [String: String], authorization: String? = nil) -> Result<PreparedGrant, OAuthError> {
        GrantService.prepare(
            request: TokenRequest(parameters: parameters, authorizationHeader: authorization), state: state,
            verifier: verifier, clientSecretKey: GrantWorld.clientSecretKey, nowMilliseconds: nowMilliseconds,
            issuer: GrantWorld.issuer, newJTI: nextJTI())
    }

    /// prepare → propose and apply the command → finish, as the server does.
    mutating func grant(_ parameters: [String: String], authorization: String? = nil) -> Result<TokenResponse, OAuthError> {
        switch prepare(parameters, authorization: authorization) {
        case .failure(let error): return .failure(error)
        case .success(let prepared):
            let result = apply(prepared.command)
            return GrantService.finish(prepared, signer: identity.signer, appliedResult: result)
        }
    }

    static func form(_ agent: String, secret: String? = nil) -> [String: String] {
        ["client_id": agent, "client_secret": secret ?? GrantWorld.secret(of: agent)]
    }

    mutating func clientCredentials(
        _ agent: String, scope: String? = nil, onBehalfOf: String? = nil
    ) -> Result<TokenResponse, OAuthError> {
        var parameters = GrantWorld.form(agent)
        parameters["grant_type"] = "client_credentials"
        parameters["scope"] = scope
        parameters["on_behalf_of"] = onBehalfOf
        return grant(parameters)
    }

    static func exchangeParameters(_ subjectToken: String, actor: String, scope: String? = nil) -> [String: String] {
        var parameters = form(actor)
        parameters["grant_type"] = TokenRequest.GrantType.tokenExchange
        parameters["subject_token"] = subjectToken
        parameters["subject_token_type"] = TokenRequest.TokenType.accessToken
        parameters["audience"] = actor
        parameters["scope"] = scope
        return parameters
    }

    mutating func exchange(_ subjectToken: String, actor: String, scope: String? = nil) -> Result<TokenResponse, OAuthError> {
        grant(GrantWorld.exchangeParameters(subjectToken, actor: actor, scope: scope))
    }

    func introspect(_ token: String) -> IntrospectionResponse {
        Introspection.introspect(token: token, state: state, verifier: verifier, nowMilliseconds: nowMilliseconds)
    }

    func claims(_ token: String) throws -> AccessTokenClaims {
        try TokenLiveness.verify(token, verifier: verifier, state: state, nowMilliseconds: nowMilliseconds).claims
    }

    /// A world with planner → search → fetch connected, acting for anne.
    static func chainOfThree() -> GrantWorld {
        var world = GrantWorld()
        for agent in ["planner", "search", "fetch"] { world.register(agent) }
        world.connect("planner", "search")
        world.connect("search", "fetch")
        return world
    }
}

// MARK: - Result helpers

extension Result {
    var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }

    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// `Basic base64(id:secret)` with the standard alphabet and padding.
func basicAuthorization(_ id: String, _ secret: String) -> String {
    var encoded = Base64URL.encode(Array("\(id):\(secret)".utf8))
    encoded = String(encoded.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
    while encoded.utf8.count % 4 != 0 { encoded += "=" }
    return "Basic " + encoded
}
