import Crypto
import Governance
import JSON
import Testing
import Tokens

// MARK: - Token exchange (RFC 8693)

/// planner's first token for anne, with the chain planner → search → fetch connected.
private func plannerToken(_ world: inout GrantWorld, scope: String? = nil) throws -> String {
    try #require(world.clientCredentials("planner", scope: scope, onBehalfOf: "user:anne").success).accessToken
}

@Test("exchange keeps the original subject, nests the whole chain in act and is allowed by decide")
func exchangeSuccess() throws {
    var world = GrantWorld.chainOfThree()
    world.allow("user:anne", "approve", "invoice:1")
    let first = try plannerToken(&world)
    let second = try #require(world.exchange(first, actor: "search").success)
    #expect(second.issuedTokenType == TokenRequest.TokenType.accessToken)
    let third = try #require(world.exchange(second.accessToken, actor: "fetch").success)
    let claims = try world.claims(third.accessToken)
    #expect(claims.subject == "user:anne")
    #expect(claims.audience == "fetch" && claims.clientID == "fetch")
    #expect(claims.actorChain == ["planner", "search", "fetch"])
    let expectedAct: JSONValue = ["sub": "fetch", "act": ["sub": "search", "act": ["sub": "planner"]]]
    #expect(claims.jsonValue["act"] == expectedAct)
    #expect(world.state.issuedTokens[claims.jwtID]?.chain == ["planner", "search", "fetch"])
    let decision = world.state.decide(
        DecisionRequest(agent: "fetch", token: PresentedToken(claims: claims), action: "approve", resource: "invoice:1"),
        nowMilliseconds: world.nowMilliseconds)
    #expect(decision.allowed, "reasons: \(decision.reasons)")
}

@Test("the actor may authenticate with its own token as actor_token instead of a secret")
func exchangeWithActorToken() throws {
    var world = GrantWorld.chainOfThree()
    let first = try plannerToken(&world)
    let searchOwn = try #require(world.clientCredentials("search").success).accessToken
    var parameters = GrantWorld.exchangeParameters(first, actor: "search")
    parameters["client_id"] = nil
    parameters["client_secret"] = nil
    parameters["actor_token"] = searchOwn
    parameters["actor_token_type"] = TokenRequest.TokenType.jwt
    let response = try #require(world.grant(parameters).success)
    #expect(try world.claims(response.accessToken).actorChain == ["planner", "search"])
    let delegated = try #require(world.grant(GrantWorld.exchangeParameters(first, actor: "search")).success).accessToken
    parameters["actor_token"] = delegated
    #expect(world.grant(parameters).failure?.kind == .invalidGrant)
}

@Test("no connection, or an expired one, is access_denied naming the missing connection")
func exchangeNeedsLiveConnection() throws {
    var world = GrantWorld.chainOfThree()
    world.connect("planner", "fetch", expiresAtMilliseconds: world.nowMilliseconds + 10_000)
    world.register("stranger")
    let first = try plannerToken(&world)
    let none = try #require(world.exchange(first, actor: "stranger").failure)
    #expect(none.kind == .accessDenied && none.description.contains("no connection"))
    #expect(world.exchange(first, actor: "fetch").success != nil)
    world.advance(seconds: 11)
    let expired = try #require(world.exchange(first, actor: "fetch").failure)
    #expect(expired.kind == .accessDenied && expired.description.contains("no connection"))
}

@Test("scopes are intersected with the connection's, and an empty intersection is invalid_scope")
func exchangeScopeIntersection() throws {
    var world = GrantWorld()
    for agent in ["planner", "search", "reporter"] { world.register(agent, scopes: ["invoice:*", "report:read"]) }
    world.connect("planner", "search", scopes: ["invoice:approve", "report:read"])
    world.connect("planner", "reporter", scopes: ["report:read"])
    let first = try plannerToken(&world, scope: "invoice:*")
    #expect(try #require(world.exchange(first, actor: "search").success).scope == "invoice:approve")
    let empty = try #require(world.exchange(first, actor: "reporter").failure)
    #expect(empty.kind == .invalidScope && empty.description.contains("empty"))
    #expect(world.exchange(first, actor: "search", scope: "report:read").failure?.kind == .invalidScope)
}

@Test("lifetime is capped by the caller token, the connection's cap and expiry, and the global TTL")
func exchangeLifetimeCaps() throws {
    var world = GrantWorld()
    for agent in ["planner", "capped", "ending", "global", "late"] { world.register(agent) }
    world.connect("planner", "capped", ttlSeconds: 60)
    world.connect("planner", "ending", expiresAtMilliseconds: world.nowMilliseconds + 30_000)
    world.connect("planner", "global")
    world.connect("planner", "late")
    let first = try plannerToken(&world)
    #expect(try #require(world.exchange(first, actor: "capped").success).expiresIn == 60)
    #expect(try #require(world.exchange(first, actor: "ending").success).expiresIn == 30)
    world.apply(.setSettings(Settings(tokenTTLSeconds: 120)))
    #expect(try #require(world.exchange(first, actor: "global").success).expiresIn == 120)
    world.apply(.setSettings(Settings()))
    world.advance(seconds: 800)
    #expect(try #require(world.exchange(first, actor: "late").success).expiresIn == 100)
}

@Test("a chain may grow to 8 agents and no further")
func exchangeDepthBound() throws {
    var world = GrantWorld()
    let agents = (1...9).map { "agent-\($0)" }
    for agent in agents { world.register(agent) }
    for index in 1..<agents.count { world.connect(agents[index - 1], agents[index]) }
    var token = try #require(world.clientCredentials(agents[0], onBehalfOf: "user:anne").success).accessToken
    for agent in agents[1..<8] { token = try #require(world.exchange(token, actor: agent).success).accessToken }
    #expect(try world.claims(token).actorChain.count == 8)
    let refusal = try #require(world.exchange(token, actor: agents[8]).failure)
    #expect(refusal.kind == .accessDenied && refusal.description.contains("depth"))
}

@Test("an agent already in the chain cannot receive it again (no cycles)")
func exchangeCycle() throws {
    var world = GrantWorld.chainOfThree()
    world.connect("search", "planner")
    let second = try #require(world.exchange(try plannerToken(&world), actor: "search").success).accessToken
    let refusal = try #require(world.exchange(second, actor: "planner").failure)
    #expect(refusal.kind == .accessDenied && refusal.description.contains("cycle"))
}

@Test("a killed or suspended chain member makes the subject token invalid_grant; an inactive actor is access_denied")
func exchangeInactiveMembers() throws {
    var world = GrantWorld.chainOfThree()
    let second = try #require(world.exchange(try plannerToken(&world), actor: "search").success).accessToken
    world.apply(.updateAgent(AgentUpdate(id: "planner", status: .suspended)))
    let suspended = try #require(world.exchange(second, actor: "fetch").failure)
    #expect(suspended.kind == .invalidGrant && suspended.description.contains("'planner' is suspended"))
    world.apply(.updateAgent(AgentUpdate(id: "planner", status: .active)))
    #expect(world.exchange(second, actor: "fetch").success != nil)
    world.apply(.killAgent(id: "planner", reason: "test"))
    let killed = try #require(world.exchange(second, actor: "fetch").failure)
    #expect(killed.kind == .invalidGrant && killed.description.contains("'planner' is killed"))

    var other = GrantWorld.chainOfThree()
    let token = try #require(other.exchange(try plannerToken(&other), actor: "search").success).accessToken
    other.apply(.killAgent(id: "fetch", reason: "test"))
    let actor = try #require(other.exchange(token, actor: "fetch").failure)
    #expect(actor.kind == .accessDenied && actor.description.contains("not an active agent"))
}

@Test("a cut subject stops every exchange of its tokens")
func exchangeSubjectCut() throws {
    var world = GrantWorld.chainOfThree()
    let first = try plannerToken(&world)
    world.apply(.killUser(id: "anne", reason: "compromised"))
    let refusal = try #require(world.exchange(first, actor: "search").failure)
    #expect(refusal.kind == .invalidGrant && refusal.description.contains("cut"))
}

@Test("an expired, tampered, unsigned or foreign subject token is invalid_grant")
func exchangeBadSubjectTokens() throws {
    var world = GrantWorld.chainOfThree()
    let first = try plannerToken(&world)
    var segments = Fixture.segments(first)
    var payload = try #require(Base64URL.decode(segments[1]))
    payload[payload.count / 2] ^= 0x01
    segments[1] = Base64URL.encode(payload)
    let tampered = segments.joined(separator: ".")
    let claims = try world.claims(first)
    let unsigned = Base64URL.encode(Array(#"{"alg":"none","typ":"at+jwt"}"#.utf8)) + "." + Fixture.segments(first)[1] + "."
    let foreign = try TokenSigner(privateKey: Fixture.strangerKey).sign(claims)
    for token in [tampered, unsigned, foreign, "not-a-token"] {
        let refusal = try #require(world.exchange(token, actor: "search").failure)
        #expect(refusal.kind == .invalidGrant)
        #expect(!refusal.description.contains(token))
    }
    world.advance(seconds: 901)
    let expired = try #require(world.exchange(first, actor: "search").failure)
    #expect(expired.kind == .invalidGrant && expired.description.contains("expired"))
}

@Test("exchange parameter rules: token types, audience naming the actor, no on_behalf_of, authentication required")
func exchangeParameterRules() throws {
    var world = GrantWorld.chainOfThree()
    let first = try plannerToken(&world)
    var parameters = GrantWorld.exchangeParameters(first, actor: "search")
    parameters["subject_token_type"] = nil
    #expect(world.grant(parameters).failure?.kind == .invalidRequest)
    parameters["subject_token_type"] = "urn:ietf:params:oauth:token-type:id_token"
    #expect(world.grant(parameters).failure?.kind == .invalidRequest)
    parameters = GrantWorld.exchangeParameters(first, actor: "search")
    parameters["audience"] = "fetch"
    #expect(world.grant(parameters).failure?.kind == .invalidTarget)
    parameters["audience"] = "agent:search"
    #expect(world.grant(parameters).success != nil)
    parameters = GrantWorld.exchangeParameters(first, actor: "search")
    parameters["on_behalf_of"] = "user:bob"
    #expect(world.grant(parameters).failure?.kind == .invalidRequest)
    parameters = GrantWorld.exchangeParameters(first, actor: "search")
    parameters["subject_token"] = nil
    #expect(world.grant(parameters).failure?.kind == .invalidRequest)
    parameters = GrantWorld.exchangeParameters(first, actor: "search")
    parameters["client_secret"] = nil
    parameters["client_id"] = nil
    #expect(world.grant(parameters).failure?.kind == .invalidClient)
    parameters["client_id"] = "search"
    parameters["client_secret"] = "wrong"
    #expect(world.grant(parameters).failure?.kind == .invalidClient)
}
