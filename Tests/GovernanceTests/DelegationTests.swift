import Authorization
import Testing
@testable import Governance

@Suite("connection and delegation policy")
struct DelegationTests {
    static func refusal(_ result: Result<DelegationGrant, DelegationRefusal>) -> OAuthErrorCode? {
        if case .failure(let refusal) = result { return refusal.error }
        return nil
    }

    static func setUp() -> (Harness, PresentedToken) {
        var harness = Harness()
        harness.register("caller", scopes: ["invoice:*", "doc:read"])
        harness.register("callee", scopes: ["invoice:*"])
        harness.register("other")
        harness.connect("caller", "callee", scopes: ["invoice:approve", "invoice:read", "doc:read"], ttl: 120)
        let token = harness.issue("t1", chain: ["caller"], scopes: ["invoice:*", "doc:read"], lifetimeMilliseconds: 600_000)
        return (harness, token)
    }

    @Test("no connection, no delegation")
    func noConnection() {
        let (harness, token) = Self.setUp()
        let result = harness.state.authorizeDelegation(callerToken: token, actor: "other", requestedScopes: nil, nowMilliseconds: harness.nowMilliseconds)
        #expect(Self.refusal(result) == .accessDenied)
    }

    @Test("delegated scopes are requested ∩ caller token's ∩ connection's, empty is refused with the reason")
    func scopeIntersection() throws {
        let (harness, token) = Self.setUp()
        let now = harness.nowMilliseconds
        let all = try harness.state.authorizeDelegation(callerToken: token, actor: "callee", requestedScopes: nil, nowMilliseconds: now).get()
        #expect(all.scopes == ["doc:read", "invoice:approve", "invoice:read"])
        #expect(all.chain == ["caller", "callee"] && all.subject == "user:anne" && all.connectionID == "caller-callee")
        let some = try harness.state.authorizeDelegation(callerToken: token, actor: "callee", requestedScopes: ["invoice:*"], nowMilliseconds: now).get()
        #expect(some.scopes == ["invoice:approve", "invoice:read"])
        let none = harness.state.authorizeDelegation(callerToken: token, actor: "callee", requestedScopes: ["invoice:delete"], nowMilliseconds: now)
        guard case .failure(let refusal) = none else { Issue.record("expected a refusal"); return }
        #expect(refusal.error == .invalidScope && refusal.description.contains("empty"))
    }

    @Test("delegated lifetime is the smallest of the caller token's, the connection's cap and expiry, and the global TTL")
    func lifetime() throws {
        var (harness, token) = Self.setUp()
        let now = harness.nowMilliseconds
        var grant = try harness.state.authorizeDelegation(callerToken: token, actor: "callee", requestedScopes: nil, nowMilliseconds: now).get()
        #expect(grant.expiresAtMilliseconds == now + 120_000)
        var shortToken = token
        shortToken.expiresAtMilliseconds = now + 5_000
        grant = try harness.state.authorizeDelegation(callerToken: shortToken, actor: "callee", requestedScopes: nil, nowMilliseconds: now).get()
        #expect(grant.expiresAtMilliseconds == now + 5_000)
        harness.apply(.setSettings(Settings(tokenTTLSeconds: 30)))
        grant = try harness.state.authorizeDelegation(callerToken: token, actor: "callee", requestedScopes: nil, nowMilliseconds: now).get()
        #expect(grant.expiresAtMilliseconds == now + 30_000)
        harness.apply(.deleteConnection(id: "caller-callee"))
        harness.connect("caller", "callee", ttl: 120, expiresAt: now + 10_000)
        grant = try harness.state.authorizeDelegation(callerToken: token, actor: "callee", requestedScopes: nil, nowMilliseconds: now).get()
        #expect(grant.expiresAtMilliseconds == now + 10_000)
        let expired = harness.state.authorizeDelegation(callerToken: token, actor: "callee", requestedScopes: nil, nowMilliseconds: now + 10_000)
        #expect(Self.refusal(expired) == .accessDenied)
    }

    @Test("chains are bounded at 8 hops and cycles are refused")
    func depthAndCycles() {
        var harness = Harness()
        let names = (0...8).map { "a\($0)" }
        for name in names { harness.register(name) }
        for index in 1..<names.count { harness.connect(names[index - 1], names[index]) }
        harness.connect("a1", "a0")
        var token = harness.issue("t", chain: Array(names.prefix(8)))
        let tooDeep = harness.state.authorizeDelegation(callerToken: token, actor: "a8", requestedScopes: nil, nowMilliseconds: harness.nowMilliseconds)
        #expect(Self.refusal(tooDeep) == .accessDenied)
        token = harness.issue("t2", chain: ["a0", "a1"])
        let cycle = harness.state.authorizeDelegation(callerToken: token, actor: "a0", requestedScopes: nil, nowMilliseconds: harness.nowMilliseconds)
        guard case .failure(let refusal) = cycle else { Issue.record("expected a refusal"); return }
        #expect(refusal.error == .accessDenied && refusal.description.contains("cycle"))
    }

    @Test("a dead caller token or an inactive actor is refused")
    func deadToken() {
        var (harness, token) = Self.setUp()
        harness.apply(.killAgent(id: "callee", reason: ""))
        #expect(Self.refusal(harness.state.authorizeDelegation(callerToken: token, actor: "callee", requestedScopes: nil, nowMilliseconds: harness.nowMilliseconds)) == .accessDenied)
        harness.apply(.reinstateAgent(id: "callee", reason: ""))
        harness.apply(.revokeToken(jti: "t1", expiresAtMilliseconds: token.expiresAtMilliseconds))
        #expect(Self.refusal(harness.state.authorizeDelegation(callerToken: token, actor: "callee", requestedScopes: nil, nowMilliseconds: harness.nowMilliseconds)) == .invalidGrant)
    }

    @Test("client credentials: scopes within the agent's, on_behalf_of only its owner unless act_for_any_user")
    func clientCredentials() throws {
        var harness = Harness()
        harness.register("bot", scopes: ["invoice:*"], owner: "anne")
        harness.register("broker", scopes: ["invoice:read"], owner: "ops", attributes: ["act_for_any_user": .bool(true)])
        let now = harness.nowMilliseconds
        let grant = try harness.state.authorizeClientCredentials(agent: "bot", requestedScopes: ["invoice:read"], onBehalfOf: "user:anne", nowMilliseconds: now).get()
        #expect(grant == DelegationGrant(subject: "user:anne", chain: ["bot"], scopes: ["invoice:read"], expiresAtMilliseconds: now + 900_000, connectionID: nil))
        #expect(Self.refusal(harness.state.authorizeClientCredentials(agent: "bot", requestedScopes: ["doc:read"], onBehalfOf: nil, nowMilliseconds: now)) == .invalidScope)
        #expect(Self.refusal(harness.state.authorizeClientCredentials(agent: "bot", requestedScopes: nil, onBehalfOf: "user:bob", nowMilliseconds: now)) == .accessDenied)
        #expect((try? harness.state.authorizeClientCredentials(agent: "broker", requestedScopes: nil, onBehalfOf: "user:bob", nowMilliseconds: now).get())?.subject == "user:bob")
        harness.apply(.killUser(id: "bob", reason: ""))
        #expect(Self.refusal(harness.state.authorizeClientCredentials(agent: "broker", requestedScopes: nil, onBehalfOf: "user:bob", nowMilliseconds: now)) == .accessDenied)
        #expect(Self.refusal(harness.state.authorizeClientCredentials(agent: "ghost", requestedScopes: nil, onBehalfOf: nil, nowMilliseconds: now)) == .invalidGrant)
    }

    @Test("scope intersection keeps the most specific form")
    func intersect() {
        #expect(Scope.intersect(["invoice:*"], ["invoice:approve", "doc:read"]) == ["invoice:approve"])
        #expect(Scope.intersect(["invoice:*"], ["invoice:*"]) == ["invoice:*"])
        #expect(Scope.intersect(["invoice:read"], ["invoices:read"]).isEmpty)
        #expect(Scope.grants(["invoice:*"], type: "invoice", relation: "approve"))
        #expect(!Scope.grants(["invoice:app"], type: "invoice", relation: "approve"))
        #expect(!Scope.grants(["invoicex:approve"], type: "invoice", relation: "approve"))
    }
}
