import Crypto
import JSON
import Testing
import Tokens

// MARK: - The act chain mapping (RFC 8693 §4.1)

@Test("the actor chain becomes nested act claims with the current actor outermost")
func actorChainEncodesOutermostCurrent() {
    let act = AccessTokenClaims.actClaim(for: ["planner", "search", "fetch"])
    let expected: JSONValue = ["sub": "fetch", "act": ["sub": "search", "act": ["sub": "planner"]]]
    #expect(act == expected)
    #expect(JSONWriter().string(act!) == #"{"act":{"act":{"sub":"planner"},"sub":"search"},"sub":"fetch"}"#)
}

@Test("nested act claims read back as the chain, originating actor first")
func actClaimDecodesOriginatingFirst() throws {
    let act: JSONValue = ["sub": "fetch", "act": ["sub": "search", "act": ["sub": "planner"]]]
    #expect(try AccessTokenClaims.actorChain(fromActClaim: act) == ["planner", "search", "fetch"])
    let claims = AccessTokenClaims(
        issuer: "i", subject: "s", audience: "a", expiresAt: 2, issuedAt: 1, jwtID: "j", scopes: [], clientID: "c",
        actorChain: ["planner", "search", "fetch"], wardenRevision: 0)
    #expect(claims.currentActor == "fetch")
    #expect(claims.originatingActor == "planner")
}

@Test("an empty chain writes no act claim and reads back empty")
func emptyChainHasNoAct() throws {
    let claims = Fixture.claims(actorChain: [])
    #expect(claims.jsonValue["act"] == nil)
    #expect(try AccessTokenClaims(json: claims.jsonValue).actorChain.isEmpty)
    #expect(claims.currentActor == nil)
}

@Test("act nodes with extra members, a missing sub or a non-object are refused")
func malformedActIsRefused() {
    let bad: [JSONValue] = [
        ["sub": "a", "iss": "x"], ["act": ["sub": "a"]], "agent", ["sub": 5], ["sub": "a", "act": "b"], .null,
    ]
    for act in bad {
        #expect(throws: TokenVerificationError.claimInvalid("act")) { try AccessTokenClaims.actorChain(fromActClaim: act) }
    }
}

// MARK: - Encoding

@Test("claims serialize to canonical JSON with the RFC 9068 names")
func claimsCanonicalJSON() {
    let claims = Fixture.claims(actorChain: ["planner"])
    let text = JSONWriter().string(claims.jsonValue)
    let expected = #"{"act":{"sub":"planner"},"aud":"tool:search","client_id":"agent:search","exp":1800000300,"#
        + #""iat":1800000000,"iss":"https://warden.example","jti":"tok-0001","scope":"search:read docs:read","#
        + #""sub":"user:alice","warden_rev":42}"#
    #expect(text == expected)
}

@Test("claims round-trip through JSON for chains of every allowed depth")
func claimsRoundTrip() throws {
    for depth in 0...TokenLimits.maximumActorChainDepth {
        let claims = Fixture.claims(actorChain: (0..<depth).map { "agent-\($0)" })
        #expect(try AccessTokenClaims(json: claims.jsonValue) == claims)
    }
}

@Test("the scope claim splits on single spaces and empty scope means no scopes")
func scopeClaimSplitting() throws {
    var object = Fixture.claimsObject()
    object["scope"] = "a b c"
    #expect(try AccessTokenClaims(json: .object(object)).scopes == ["a", "b", "c"])
    object["scope"] = ""
    #expect(try AccessTokenClaims(json: .object(object)).scopes == [])
}

@Test("equal claims sign to byte-identical tokens")
func signingIsDeterministic() throws {
    let signer = TokenSigner(privateKey: Fixture.nodeOneKey)
    #expect(try signer.sign(Fixture.claims()) == signer.sign(Fixture.claims()))
    let header = Fixture.segments(try signer.sign(Fixture.claims()))[0]
    let decodedHeader = String(decoding: Base64URL.decode(header)!, as: UTF8.self)
    #expect(decodedHeader == #"{"alg":"EdDSA","kid":"\#(signer.keyID)","typ":"at+jwt"}"#)
}

// MARK: - Signer refusals

@Test("the signer refuses claims the verifier would refuse")
func signerRefusesInvalidClaims() {
    let signer = TokenSigner(privateKey: Fixture.nodeOneKey)
    var claims = Fixture.claims()
    claims.scopes = ["has space"]
    #expect(throws: TokenSigningError.claimInvalid("scope")) { try signer.sign(claims) }
    claims = Fixture.claims()
    claims.scopes = ["quote\"inside"]
    #expect(throws: TokenSigningError.claimInvalid("scope")) { try signer.sign(claims) }
    claims = Fixture.claims()
    claims.jwtID = ""
    #expect(throws: TokenSigningError.claimInvalid("jti")) { try signer.sign(claims) }
    claims = Fixture.claims()
    claims.expiresAt = claims.issuedAt
    #expect(throws: TokenSigningError.claimInvalid("exp")) { try signer.sign(claims) }
    claims = Fixture.claims()
    claims.expiresAt = claims.issuedAt + TokenLimits.maximumTokenLifetimeSeconds + 1
    #expect(throws: TokenSigningError.claimInvalid("exp")) { try signer.sign(claims) }
    claims = Fixture.claims()
    claims.wardenRevision = UInt64(Int64.max) + 1
    #expect(throws: TokenSigningError.claimInvalid("warden_rev")) { try signer.sign(claims) }
    claims = Fixture.claims(actorChain: ["ok", "new\nline"])
    #expect(throws: TokenSigningError.claimInvalid("act")) { try signer.sign(claims) }
}

@Test("the signer refuses chains deeper than the bound and tokens larger than the bound")
func signerRefusesDeepChainsAndLargeTokens() {
    let signer = TokenSigner(privateKey: Fixture.nodeOneKey)
    let deep = Fixture.claims(actorChain: (0...TokenLimits.maximumActorChainDepth).map { "agent-\($0)" })
    #expect(throws: TokenSigningError.chainTooDeep) { try signer.sign(deep) }
    var large = Fixture.claims()
    large.scopes = (0..<100).map { "scope-\($0)-" + String(repeating: "x", count: 60) }
    #expect(throws: TokenSigningError.tooLarge) { try signer.sign(large) }
}
