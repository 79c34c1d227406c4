import Crypto
import Governance
import JSON
import Testing
import Tokens

// MARK: - Introspection (RFC 7662)

@Test("killing the middle agent of a 3-agent chain makes the last token inactive")
func killingTheMiddleAgentKillsTheChain() throws {
    var world = GrantWorld.chainOfThree()
    world.allow("user:anne", "approve", "invoice:1")
    let first = try #require(world.clientCredentials("planner", onBehalfOf: "user:anne").success).accessToken
    let second = try #require(world.exchange(first, actor: "search").success).accessToken
    let third = try #require(world.exchange(second, actor: "fetch").success).accessToken
    #expect(world.introspect(third).active)
    world.apply(.killAgent(id: "search", reason: "prompt injection"))
    #expect(!world.introspect(third).active)
    #expect(!world.introspect(second).active)
    #expect(world.introspect(first).active)
    let decision = world.state.decide(
        DecisionRequest(agent: "fetch", token: PresentedToken(claims: try world.claims(third)), action: "approve",
                        resource: "invoice:1"),
        nowMilliseconds: world.nowMilliseconds)
    #expect(!decision.allowed)
    #expect(decision.reasons.contains(.chainMemberKilled("search")))
}

@Test("an active answer carries the RFC 7662 members and the nested act; an inactive one only active:false")
func introspectionMembers() throws {
    var world = GrantWorld.chainOfThree()
    let first = try #require(world.clientCredentials("planner", onBehalfOf: "user:anne").success).accessToken
    let second = try #require(world.exchange(first, actor: "search").success).accessToken
    let answer = world.introspect(second).jsonValue
    #expect(answer["active"] == .bool(true))
    #expect(answer["sub"] == .string("user:anne"))
    #expect(answer["client_id"] == .string("search"))
    #expect(answer["aud"] == .string("search"))
    #expect(answer["iss"] == .string(GrantWorld.issuer))
    #expect(answer["token_type"] == .string("Bearer"))
    #expect(answer["scope"] == .string("invoice:*"))
    #expect(answer["act"] == ["sub": "search", "act": ["sub": "planner"]])
    for member in ["exp", "iat", "jti"] { #expect(answer[member] != nil) }
    #expect(world.introspect("garbage").jsonValue == ["active": .bool(false)])
}

@Test("introspection is inactive for a bad signature, an unknown kid and an expired token")
func introspectionVerification() throws {
    var world = GrantWorld.chainOfThree()
    let token = try #require(world.clientCredentials("planner").success).accessToken
    var segments = Fixture.segments(token)
    segments[2] = String(segments[2].reversed())
    #expect(!world.introspect(segments.joined(separator: ".")).active)
    let foreign = try TokenSigner(privateKey: Fixture.strangerKey).sign(try world.claims(token))
    #expect(!world.introspect(foreign).active)
    world.advance(seconds: 899)
    #expect(world.introspect(token).active)
    world.advance(seconds: 1)
    #expect(!world.introspect(token).active)
}

@Test("introspection is inactive for a suspended or deleted member, and for a token minted before a reinstatement")
func introspectionMemberStatus() throws {
    var world = GrantWorld.chainOfThree()
    let first = try #require(world.clientCredentials("planner", onBehalfOf: "user:anne").success).accessToken
    let second = try #require(world.exchange(first, actor: "search").success).accessToken
    world.apply(.updateAgent(AgentUpdate(id: "planner", status: .suspended)))
    #expect(!world.introspect(second).active)
    world.apply(.updateAgent(AgentUpdate(id: "planner", status: .active)))
    #expect(world.introspect(second).active)
    world.apply(.killAgent(id: "planner", reason: "test"))
    world.apply(.reinstateAgent(id: "planner", reason: "cleared"))
    #expect(!world.introspect(first).active)
    #expect(!world.introspect(second).active)
    let fresh = try #require(world.clientCredentials("planner", onBehalfOf: "user:anne").success).accessToken
    #expect(world.introspect(fresh).active)
    world.apply(.deleteAgent(id: "planner"))
    #expect(!world.introspect(fresh).active)
}

@Test("a token minted right after a reinstatement is valid for decide and introspection")
func freshTokenAfterReinstatement() throws {
    var world = GrantWorld()
    world.register("planner")
    world.allow("user:anne", "approve", "invoice:1")
    world.apply(.killAgent(id: "planner", reason: "test"))
    world.apply(.reinstateAgent(id: "planner", reason: "cleared"))
    let token = try #require(world.clientCredentials("planner", onBehalfOf: "user:anne").success).accessToken
    let claims = try world.claims(token)
    #expect(claims.wardenRevision >= world.state.agents["planner"]!.validAfter)
    #expect(world.introspect(token).active)
    let decision = world.state.decide(
        DecisionRequest(agent: "planner", token: PresentedToken(claims: claims), action: "approve", resource: "invoice:1"),
        nowMilliseconds: world.nowMilliseconds)
    #expect(decision.allowed, "reasons: \(decision.reasons)")
}

@Test("introspection is inactive once the subject is cut, and stays so for older tokens after restoring")
func introspectionSubjectCut() throws {
    var world = GrantWorld()
    world.register("planner")
    let token = try #require(world.clientCredentials("planner", onBehalfOf: "user:anne").success).accessToken
    world.apply(.killUser(id: "anne", reason: "left"))
    #expect(!world.introspect(token).active)
    world.apply(.reinstateUser(id: "anne", reason: "back"))
    #expect(!world.introspect(token).active)
    let fresh = try #require(world.clientCredentials("planner", onBehalfOf: "user:anne").success).accessToken
    #expect(world.introspect(fresh).active)
}

@Test("a validly signed token the cluster never recorded is inactive")
func introspectionUnrecordedToken() throws {
    var world = GrantWorld()
    world.register("planner")
    let token = try #require(world.clientCredentials("planner").success).accessToken
    var claims = try world.claims(token)
    claims.jwtID = "never-recorded"
    #expect(!world.introspect(try world.identity.signer.sign(claims)).active)
    claims = try world.claims(token)
    claims.subject = "user:mallory"
    #expect(!world.introspect(try world.identity.signer.sign(claims)).active)
    claims = try world.claims(token)
    claims.scopes = ["payment:*"]
    #expect(!world.introspect(try world.identity.signer.sign(claims)).active)
    claims = try world.claims(token)
    claims.expiresAt += 60
    #expect(!world.introspect(try world.identity.signer.sign(claims)).active)
    #expect(world.introspect(token).active)
}

// MARK: - Revocation (RFC 7009)

@Test("revoking a token commits revokeToken by jti and introspection then says inactive")
func revocationThenIntrospection() throws {
    var world = GrantWorld()
    world.register("planner")
    let token = try #require(world.clientCredentials("planner").success).accessToken
    let claims = try world.claims(token)
    let outcome = Revocation.prepare(token: token, state: world.state, verifier: world.verifier, nowMilliseconds: world.nowMilliseconds)
    guard case .propose(let command) = outcome else { Issue.record("expected a command, got \(outcome)"); return }
    #expect(command == .revokeToken(jti: claims.jwtID, expiresAtMilliseconds: claims.expiresAt * 1_000))
    #expect(world.apply(command) == .tokenRevoked(jti: claims.jwtID))
    #expect(!world.introspect(token).active)
    #expect(Revocation.prepare(token: token, state: world.state, verifier: world.verifier, nowMilliseconds: world.nowMilliseconds)
        == .nothingToDo)
    var parameters = GrantWorld.exchangeParameters(token, actor: "planner")
    parameters["audience"] = nil
    #expect(world.grant(parameters).failure?.kind == .invalidGrant)
}

@Test("an agent may revoke only its own tokens; an operator (no client) may revoke any")
func revocationByClient() throws {
    var world = GrantWorld()
    world.register("planner")
    let token = try #require(world.clientCredentials("planner").success).accessToken
    let byOther = Revocation.prepare(
        token: token, state: world.state, verifier: world.verifier, nowMilliseconds: world.nowMilliseconds,
        requestingClientID: "search")
    guard case .refused(let error) = byOther else { Issue.record("expected a refusal, got \(byOther)"); return }
    #expect(error.kind == .unauthorizedClient)
    let byOwner = Revocation.prepare(
        token: token, state: world.state, verifier: world.verifier, nowMilliseconds: world.nowMilliseconds,
        requestingClientID: "planner")
    guard case .propose = byOwner else { Issue.record("expected a command, got \(byOwner)"); return }
}

@Test("revoking garbage, a foreign token or an expired token has nothing to do")
func revocationNothingToDo() throws {
    var world = GrantWorld()
    world.register("planner")
    let token = try #require(world.clientCredentials("planner").success).accessToken
    let foreign = try TokenSigner(privateKey: Fixture.strangerKey).sign(try world.claims(token))
    for presented in ["garbage", foreign] {
        #expect(Revocation.prepare(token: presented, state: world.state, verifier: world.verifier,
                                   nowMilliseconds: world.nowMilliseconds) == .nothingToDo)
    }
    world.advance(seconds: 1_000)
    #expect(Revocation.prepare(token: token, state: world.state, verifier: world.verifier, nowMilliseconds: world.nowMilliseconds)
        == .nothingToDo)
}
