import Crypto
import Governance
import JSON
import Testing
import Tokens

// MARK: - Commit, then sign

@Test("prepare proposes tokenIssued with the decided record; finish signs with the issuing entry's revision and time")
func prepareThenFinish() throws {
    var world = GrantWorld()
    world.register("planner", scopes: ["invoice:approve"])
    let prepared = try #require(world.prepare(["grant_type": "client_credentials"].merging(GrantWorld.form("planner")) { $1 }).success)
    let expected = IssuedToken(
        jti: prepared.proposedToken.jti, subject: "agent:planner", chain: ["planner"], scopes: ["invoice:approve"],
        expiresAtMilliseconds: world.nowMilliseconds + 900_000)
    #expect(prepared.command == .tokenIssued(expected))
    #expect(prepared.decidedAtRevision == world.state.appliedRevision)
    world.advance(seconds: 2)
    let result = world.apply(prepared.command)
    guard case .tokenIssued(let recorded) = result else { Issue.record("not recorded: \(result)"); return }
    let response = try #require(GrantService.finish(prepared, signer: world.identity.signer, appliedResult: result).success)
    let claims = try world.claims(response.accessToken)
    #expect(claims.wardenRevision == recorded.issuedRevision && claims.wardenRevision > prepared.decidedAtRevision)
    #expect(claims.issuedAt * 1_000 == recorded.issuedAtMilliseconds)
    #expect(response.expiresIn == 898)
}

@Test("an agent killed between prepare and commit gets access_denied from apply's re-validation and no token")
func rejectionAtApply() throws {
    var world = GrantWorld.chainOfThree()
    let prepared = try #require(world.prepare(["grant_type": "client_credentials"].merging(GrantWorld.form("planner")) { $1 }).success)
    world.apply(.killAgent(id: "planner", reason: "raced"))
    let result = world.apply(prepared.command)
    #expect(result.isRejection)
    let refusal = try #require(GrantService.finish(prepared, signer: world.identity.signer, appliedResult: result).failure)
    #expect(refusal.kind == .accessDenied && refusal.description.contains("killed"))
    #expect(world.state.issuedTokens.isEmpty)

    let first = try #require(world.clientCredentials("search", onBehalfOf: "user:anne").success).accessToken
    let exchange = try #require(world.prepare(GrantWorld.exchangeParameters(first, actor: "fetch")).success)
    world.apply(.deleteConnection(id: "search-fetch"))
    let rejected = world.apply(exchange.command)
    let denied = try #require(GrantService.finish(exchange, signer: world.identity.signer, appliedResult: rejected).failure)
    #expect(denied.kind == .accessDenied && denied.description.contains("no live connection"))
}

// MARK: - Keys

@Test("rotation end to end: B is added and A retired; A's tokens live until expiry, new tokens use B, A may no longer sign")
func rotationAgainstGovernanceState() throws {
    var world = GrantWorld()
    world.register("planner")
    let keyA = world.identity
    let beforeRotation = try #require(world.clientCredentials("planner").success).accessToken
    let keyB = NodeSigningIdentity(privateKey: try Ed25519.PrivateKey(seed: [UInt8](repeating: 3, count: 32)))
    let commands = keyB.rotationCommands(replacing: keyA.keyID, in: world.state)
    #expect(commands == [keyB.publicationCommand, .retireSigningKey(kid: keyA.keyID)])
    for command in commands { #expect(!world.apply(command).isRejection) }
    #expect(!keyA.canSign(in: world.state) && keyB.canSign(in: world.state))
    #expect(keyB.commandsToPublish(in: world.state).isEmpty)
    #expect(world.introspect(beforeRotation).active)
    world.identity = keyB
    let afterRotation = try #require(world.clientCredentials("planner").success).accessToken
    #expect(Fixture.segments(afterRotation)[0] != Fixture.segments(beforeRotation)[0])
    #expect(world.introspect(afterRotation).active)
    world.identity = keyA
    let signedByRetiredKey = try #require(world.clientCredentials("planner").success).accessToken
    #expect(!world.introspect(signedByRetiredKey).active)
    world.advance(seconds: 899)
    #expect(world.introspect(beforeRotation).active)
    world.advance(seconds: 1)
    #expect(!world.introspect(beforeRotation).active)
}

@Test("any node verifies tokens signed by any node whose key the state holds, and KeyRing(state:) skips bad keys")
func everyNodeVerifiesEveryNode() throws {
    var world = GrantWorld()
    world.register("planner")
    let nodeTwo = NodeSigningIdentity(privateKey: Fixture.nodeTwoKey)
    #expect(nodeTwo.commandsToPublish(in: world.state) == [nodeTwo.publicationCommand])
    world.apply(nodeTwo.publicationCommand)
    world.apply(.addSigningKey(kid: "not-a-thumbprint", publicKey: Fixture.strangerKey.publicKey.rawRepresentation))
    world.apply(.addSigningKey(kid: "short-key", publicKey: [1, 2, 3]))
    let ring = KeyRing(state: world.state)
    #expect(Set(ring.entries.keys) == [world.identity.keyID, nodeTwo.keyID])
    let fromOne = try #require(world.clientCredentials("planner").success).accessToken
    world.identity = nodeTwo
    let fromTwo = try #require(world.clientCredentials("planner").success).accessToken
    #expect(world.introspect(fromOne).active && world.introspect(fromTwo).active)
}

// MARK: - Documents and helpers

@Test("the RFC 8414 metadata names the endpoints, both grants and both client authentication methods")
func metadataDocument() {
    let document = AuthorizationServerMetadata.document(issuer: "https://warden.example", baseURL: "https://n1.example/")
    #expect(document["issuer"] == .string("https://warden.example"))
    #expect(document["token_endpoint"] == .string("https://n1.example/oauth/token"))
    #expect(document["jwks_uri"] == .string("https://n1.example/.well-known/jwks.json"))
    #expect(document["introspection_endpoint"] == .string("https://n1.example/oauth/introspect"))
    #expect(document["revocation_endpoint"] == .string("https://n1.example/oauth/revoke"))
    #expect(document["grant_types_supported"] == [.string("client_credentials"),
                                                  .string("urn:ietf:params:oauth:grant-type:token-exchange")])
    #expect(document["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"])
    #expect(document["response_types_supported"] == .array([]))
    #expect(document["scopes_supported"] == nil)
}

@Test("client secrets are 256 random bits in base64url and match only their own hash under the same key")
func clientSecrets() {
    let secret = ClientSecret.generate(), other = ClientSecret.generate()
    #expect(secret.utf8.count == 43 && secret != other)
    #expect(Base64URL.decode(secret)?.count == ClientSecret.randomByteCount)
    let key = [UInt8](repeating: 5, count: 32)
    let stored = ClientSecret.hash(secret, key: key)
    #expect(ClientSecret.matches(secret, storedHash: stored, key: key))
    #expect(!ClientSecret.matches(other, storedHash: stored, key: key))
    #expect(!ClientSecret.matches(secret, storedHash: stored, key: [UInt8](repeating: 6, count: 32)))
    #expect(!ClientSecret.matches(secret, storedHash: [], key: key))
}

@Test("OAuth errors: 400 with a JSON body, 401 with a Basic challenge for invalid_client")
func oauthErrorBody() throws {
    let error = OAuthError(.invalidScope, "scope 'x:y' is not among the agent's scopes")
    #expect(error.httpStatus == 400 && error.authenticateChallenge == nil)
    let body = try JSONParser.parse(error.jsonBytes())
    #expect(body == ["error": "invalid_scope", "error_description": "scope 'x:y' is not among the agent's scopes"])
    #expect(OAuthError(.invalidClient, "client authentication failed").httpStatus == 401)
    #expect(OAuthErrorKind(OAuthErrorCode.accessDenied) == .accessDenied)
}

@Test("Basic credentials are form-urlencoded before base64 and decoded back; bad escapes are refused")
func basicCredentialDecoding() throws {
    let request = TokenRequest(parameters: [:], authorizationHeader: basicAuthorization("svc%3Aone", "p%40ss+word"))
    let credentials = try #require(try request.clientCredentials().get())
    #expect(credentials.clientID == "svc:one" && credentials.secret == "p@ss word")
    let bad = TokenRequest(parameters: [:], authorizationHeader: basicAuthorization("planner", "bad%zz"))
    #expect(bad.clientCredentials().failure?.kind == .invalidClient)
    let noColon = TokenRequest(parameters: [:], authorizationHeader: "Basic " + Base64URL.encode(Array("nocolon".utf8)))
    #expect(noColon.clientCredentials().failure?.kind == .invalidClient)
    #expect(TokenRequest(parameters: ["client_id": ""]).clientCredentials().success == .some(nil))
}
