import Governance
import JSON
import Testing
import Tokens

// MARK: - client_credentials

@Test("client_credentials issues a recorded token whose claims match the record and which decide allows")
func clientCredentialsSuccess() throws {
    var world = GrantWorld()
    world.register("planner", scopes: ["invoice:*", "report:read"])
    world.allow("user:anne", "approve", "invoice:1")
    let response = try #require(world.clientCredentials("planner", scope: "invoice:approve", onBehalfOf: "user:anne").success)
    #expect(response.tokenType == "Bearer")
    #expect(response.scope == "invoice:approve")
    #expect(response.expiresIn == 900)
    #expect(response.issuedTokenType == nil)
    let claims = try world.claims(response.accessToken)
    #expect(claims.subject == "user:anne")
    #expect(claims.clientID == "planner")
    #expect(claims.actorChain == ["planner"])
    let record = try #require(world.state.issuedTokens[claims.jwtID])
    #expect(record.chain == ["planner"] && record.subject == "user:anne" && record.scopes == ["invoice:approve"])
    #expect(claims.wardenRevision == record.issuedRevision)
    #expect(claims.expiresAt * 1_000 == record.expiresAtMilliseconds)
    let presented = PresentedToken(claims: claims)
    let decision = world.state.decide(
        DecisionRequest(agent: "planner", token: presented, action: "approve", resource: "invoice:1"),
        nowMilliseconds: world.nowMilliseconds)
    #expect(decision.allowed, "reasons: \(decision.reasons)")
}

@Test("without on_behalf_of the subject is the agent itself and the default scopes are all of its own")
func clientCredentialsDefaults() throws {
    var world = GrantWorld()
    world.register("planner", scopes: ["invoice:approve", "report:read"])
    let response = try #require(world.clientCredentials("planner").success)
    #expect(response.scope == "invoice:approve report:read")
    #expect(try world.claims(response.accessToken).subject == "agent:planner")
}

@Test("HTTP Basic client authentication works like the form fields")
func clientCredentialsBasic() throws {
    var world = GrantWorld()
    world.register("planner")
    let response = world.grant(
        ["grant_type": "client_credentials"], authorization: basicAuthorization("planner", GrantWorld.secret(of: "planner")))
    #expect(response.success != nil)
}

@Test("a wrong secret and an unknown client get the same invalid_client answer with a 401 Basic challenge")
func wrongSecretAndUnknownClientAreIndistinguishable() throws {
    var world = GrantWorld()
    world.register("planner")
    let wrongSecret = try #require(world.grant(
        ["grant_type": "client_credentials", "client_id": "planner", "client_secret": "guess"]).failure)
    let unknown = try #require(world.grant(
        ["grant_type": "client_credentials", "client_id": "nobody", "client_secret": "guess"]).failure)
    #expect(wrongSecret == unknown)
    #expect(wrongSecret.kind == .invalidClient)
    #expect(wrongSecret.httpStatus == 401)
    #expect(wrongSecret.authenticateChallenge?.hasPrefix("Basic") == true)
    #expect(!wrongSecret.description.contains("guess"))
    let basicWrong = try #require(world.grant(
        ["grant_type": "client_credentials"], authorization: basicAuthorization("planner", "guess")).failure)
    #expect(basicWrong == wrongSecret)
}

@Test("credentials by Basic and in the form at once are invalid_request; none at all is invalid_client")
func credentialMethods() throws {
    var world = GrantWorld()
    world.register("planner")
    var parameters = GrantWorld.form("planner")
    parameters["grant_type"] = "client_credentials"
    let both = try #require(world.grant(
        parameters, authorization: basicAuthorization("planner", GrantWorld.secret(of: "planner"))).failure)
    #expect(both.kind == .invalidRequest)
    #expect(world.grant(["grant_type": "client_credentials"]).failure?.kind == .invalidClient)
    #expect(world.grant(["grant_type": "client_credentials", "client_id": "planner"]).failure?.kind == .invalidClient)
    #expect(world.grant(["grant_type": "client_credentials"], authorization: "Basic !!!").failure?.kind == .invalidClient)
    #expect(world.grant(["grant_type": "client_credentials"], authorization: "Bearer abc").failure?.kind == .invalidClient)
}

@Test("a missing grant_type is invalid_request and an unknown one unsupported_grant_type")
func grantTypeRules() throws {
    var world = GrantWorld()
    world.register("planner")
    #expect(world.grant(GrantWorld.form("planner")).failure?.kind == .invalidRequest)
    var parameters = GrantWorld.form("planner")
    parameters["grant_type"] = "password"
    #expect(world.grant(parameters).failure?.kind == .unsupportedGrantType)
}

@Test("a scope the agent does not hold, or a malformed scope, is invalid_scope and nothing is recorded")
func scopeNotHeld() throws {
    var world = GrantWorld()
    world.register("planner", scopes: ["invoice:approve"])
    let notHeld = try #require(world.clientCredentials("planner", scope: "invoice:approve payment:send").failure)
    #expect(notHeld.kind == .invalidScope)
    #expect(notHeld.description.contains("payment:send"))
    #expect(world.clientCredentials("planner", scope: "invoice:*").failure?.kind == .invalidScope)
    #expect(world.clientCredentials("planner", scope: "noColon").failure?.kind == .invalidScope)
    #expect(world.state.issuedTokens.isEmpty)
}

@Test("on_behalf_of: the owner is allowed, another user only with act_for_any_user, never a cut user or a non-user")
func onBehalfOfRules() throws {
    var world = GrantWorld()
    world.register("planner", owner: "anne")
    world.register("concierge", owner: "anne", attributes: ["act_for_any_user": .bool(true)])
    #expect(world.clientCredentials("planner", onBehalfOf: "user:anne").success != nil)
    let other = try #require(world.clientCredentials("planner", onBehalfOf: "user:bob").failure)
    #expect(other.kind == .accessDenied && other.description.contains("act_for_any_user"))
    #expect(try world.claims(try #require(world.clientCredentials("concierge", onBehalfOf: "user:bob").success).accessToken)
        .subject == "user:bob")
    #expect(world.clientCredentials("planner", onBehalfOf: "agent:concierge").failure?.kind == .accessDenied)
    world.apply(.killUser(id: "anne", reason: "left"))
    let cut = try #require(world.clientCredentials("planner", onBehalfOf: "user:anne").failure)
    #expect(cut.kind == .accessDenied && cut.description.contains("cut"))
}

@Test("a killed or suspended agent gets no token even with the right secret")
func inactiveAgentGetsNoToken() throws {
    var world = GrantWorld()
    world.register("planner")
    world.register("helper")
    world.apply(.killAgent(id: "planner", reason: "test"))
    world.apply(.updateAgent(AgentUpdate(id: "helper", status: .suspended)))
    #expect(world.clientCredentials("planner").failure?.kind == .invalidGrant)
    #expect(world.clientCredentials("helper").failure?.kind == .invalidGrant)
}

@Test("token-exchange parameters are refused in client_credentials")
func exchangeParametersRefusedInClientCredentials() throws {
    var world = GrantWorld()
    world.register("planner")
    var parameters = GrantWorld.form("planner")
    parameters["grant_type"] = "client_credentials"
    parameters["subject_token"] = "x.y.z"
    #expect(world.grant(parameters).failure?.kind == .invalidRequest)
}
