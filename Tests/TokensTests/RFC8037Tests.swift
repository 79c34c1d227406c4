import Crypto
import JSON
import Testing
import Tokens

/// RFC 8037 appendix A.1 key (the RFC 8032 TEST 1 key).
private let rfc8037PrivateD = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
private let rfc8037PublicX = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

@Test("RFC 8037 A.3: the RFC 7638 thumbprint of the A.2 public key")
func rfc8037Thumbprint() throws {
    let publicKey = try Ed25519.PublicKey(rawRepresentation: #require(Base64URL.decode(rfc8037PublicX)))
    #expect(JSONWebKey.thumbprint(of: publicKey) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
}

@Test("RFC 8037 A.1/A.2: the private key d derives the public key x")
func rfc8037KeyPair() throws {
    let privateKey = try Ed25519.PrivateKey(seed: #require(Base64URL.decode(rfc8037PrivateD)))
    #expect(Base64URL.encode(privateKey.publicKey.rawRepresentation) == rfc8037PublicX)
}

@Test("RFC 8037 A.4: signing the example payload gives the exact published JWS")
func rfc8037Signing() throws {
    let privateKey = try Ed25519.PrivateKey(seed: #require(Base64URL.decode(rfc8037PrivateD)))
    let protectedHeader = Base64URL.encode(JSONWriter().bytes(["alg": "EdDSA"]))
    let payload = Base64URL.encode(Array("Example of Ed25519 signing".utf8))
    #expect(protectedHeader == "eyJhbGciOiJFZERTQSJ9")
    #expect(payload == "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc")
    let signature = Base64URL.encode(privateKey.signature(for: Array("\(protectedHeader).\(payload)".utf8)))
    #expect(signature == "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg")
}

@Test("RFC 8037 A.5: the published JWS verifies with the public key, and not after tampering")
func rfc8037Validation() throws {
    let publicKey = try Ed25519.PublicKey(rawRepresentation: #require(Base64URL.decode(rfc8037PublicX)))
    let signingInput = Array("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc".utf8)
    let signature = try #require(Base64URL.decode(
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"))
    #expect(publicKey.isValidSignature(signature, for: signingInput))
    #expect(!publicKey.isValidSignature(signature, for: Array("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmd".utf8)))
}

@Test("the RFC 8037 A.4 JWS is refused as an access token: it has no kid and no typ")
func rfc8037TokenIsNotAnAccessToken() throws {
    let publicKey = try Ed25519.PublicKey(rawRepresentation: #require(Base64URL.decode(rfc8037PublicX)))
    var ring = KeyRing()
    try ring.add(publicKey: publicKey, nodeID: "rfc", nowSeconds: 0)
    let verifier = TokenVerifier(keyRing: ring, expectedIssuer: "i", expectedAudience: "a")
    let token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
    #expect(throws: TokenVerificationError.unknownKey) { try verifier.verify(token, nowSeconds: 0) }
}
