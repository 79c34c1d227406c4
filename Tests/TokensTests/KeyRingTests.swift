import Crypto
import JSON
import Testing
import Tokens

// MARK: - Rotation

@Test("after rotation the new key signs and a token from the old key still verifies")
func rotationKeepsOldTokensAlive() throws {
    var ring = Fixture.keyRing()
    let oldToken = Fixture.token()
    let newKey = Ed25519.PrivateKey.generate()
    let rotatedAt = Fixture.now + 10
    let newKeyID = try ring.rotate(nodeID: "n1", newPublicKey: newKey.publicKey, nowSeconds: rotatedAt)
    #expect(ring.activeKeyID(forNodeID: "n1") == newKeyID)
    let oldKeyID = JSONWebKey.thumbprint(of: Fixture.nodeOneKey.publicKey)
    #expect(ring.entry(forKeyID: oldKeyID)?.retiredAtSeconds == rotatedAt)
    let verifier = Fixture.verifier(keyRing: ring)
    #expect(try verifier.verify(oldToken, nowSeconds: rotatedAt + 60).keyID == oldKeyID)
    let newToken = try TokenSigner(privateKey: newKey).sign(Fixture.claims(issuedAt: rotatedAt))
    #expect(try verifier.verify(newToken, nowSeconds: rotatedAt + 60).keyID == newKeyID)
    #expect(ring.activeKeyID(forNodeID: "n2") == JSONWebKey.thumbprint(of: Fixture.nodeTwoKey.publicKey))
}

@Test("a retired key does not verify tokens issued after its retirement")
func retiredKeyRefusesLaterTokens() throws {
    var ring = Fixture.keyRing()
    let oldKeyID = JSONWebKey.thumbprint(of: Fixture.nodeOneKey.publicKey)
    try ring.retire(keyID: oldKeyID, atSeconds: Fixture.now)
    let verifier = Fixture.verifier(keyRing: ring)
    let late = Fixture.now + TokenLimits.clockLeewaySeconds + 1
    #expect(throws: TokenVerificationError.keyRetired) {
        try verifier.verify(Fixture.token(Fixture.claims(issuedAt: late)), nowSeconds: late)
    }
    let withinLeeway = Fixture.now + TokenLimits.clockLeewaySeconds
    #expect(try verifier.verify(Fixture.token(Fixture.claims(issuedAt: withinLeeway)), nowSeconds: withinLeeway).keyID == oldKeyID)
}

@Test("a retired key is dropped once no token it signed can be alive, and its kid is then unknown")
func expiredRetiredKeysAreRemoved() throws {
    var ring = Fixture.keyRing()
    let oldKeyID = JSONWebKey.thumbprint(of: Fixture.nodeOneKey.publicKey)
    try ring.retire(keyID: oldKeyID, atSeconds: Fixture.now)
    let lastUse = Fixture.now + TokenLimits.maximumTokenLifetimeSeconds + TokenLimits.clockLeewaySeconds
    ring.removeExpiredKeys(nowSeconds: lastUse)
    #expect(ring.entry(forKeyID: oldKeyID) != nil)
    ring.removeExpiredKeys(nowSeconds: lastUse + 1)
    #expect(ring.entry(forKeyID: oldKeyID) == nil)
    #expect(ring.entries.count == 1)
    #expect(throws: TokenVerificationError.unknownKey) {
        try Fixture.verifier(keyRing: ring).verify(Fixture.token(), nowSeconds: Fixture.now)
    }
}

@Test("adding a key twice is harmless, another node claiming it is refused, and the ring is bounded")
func keyRingAddRules() throws {
    var ring = Fixture.keyRing()
    let before = ring
    try ring.add(publicKey: Fixture.nodeOneKey.publicKey, nodeID: "n1", nowSeconds: Fixture.now + 5)
    #expect(ring == before)
    #expect(throws: KeyRingError.keyIDConflict) {
        try ring.add(publicKey: Fixture.nodeOneKey.publicKey, nodeID: "n3", nowSeconds: Fixture.now)
    }
    #expect(throws: KeyRingError.unknownKey) { try ring.retire(keyID: "nope", atSeconds: 0) }
    var full = KeyRing()
    for index in 0..<TokenLimits.maximumKeyCount {
        try full.add(publicKey: Ed25519.PrivateKey.generate().publicKey, nodeID: "n\(index)", nowSeconds: 0)
    }
    #expect(throws: KeyRingError.full) { try full.add(publicKey: Fixture.strangerKey.publicKey, nodeID: "x", nowSeconds: 0) }
}

@Test("retiring twice keeps the first retirement time")
func retirementTimeIsStable() throws {
    var ring = Fixture.keyRing()
    let keyID = JSONWebKey.thumbprint(of: Fixture.nodeTwoKey.publicKey)
    try ring.retire(keyID: keyID, atSeconds: 100)
    try ring.retire(keyID: keyID, atSeconds: 200)
    #expect(ring.entry(forKeyID: keyID)?.retiredAtSeconds == 100)
    #expect(ring.activeKeyID(forNodeID: "n2") == nil)
}

// MARK: - JWKS

@Test("a JWKS built from the ring has the RFC 8037 members and parses back to the same keys")
func jwksRoundTrip() throws {
    let ring = Fixture.keyRing()
    let document = ring.jsonWebKeySet.jsonBytes()
    let parsed = try JSONWebKeySet.parse(document)
    #expect(parsed == ring.jsonWebKeySet)
    let json = try JSONParser.parse(document)
    let first = try #require(json["keys"]?.arrayValue?.first?.objectValue)
    #expect(Set(first.keys) == ["kty", "crv", "x", "kid", "use", "alg"])
    #expect(first["kty"] == "OKP")
    #expect(first["crv"] == "Ed25519")
    #expect(first["use"] == "sig")
    #expect(first["alg"] == "EdDSA")
}

@Test("an enforcer verifies tokens with a ring built from the JWKS document alone")
func enforcerVerifiesFromJWKS() throws {
    let keySet = try JSONWebKeySet.parse(Fixture.keyRing().jsonWebKeySet.jsonBytes())
    let ring = try KeyRing(trusting: keySet, nodeID: "jwks", nowSeconds: Fixture.now)
    let verifier = Fixture.verifier(keyRing: ring)
    #expect(try verifier.verify(Fixture.token(), nowSeconds: Fixture.now).claims == Fixture.claims())
    let renamed = JSONWebKeySet(keys: [JSONWebKey(publicKey: Fixture.nodeOneKey.publicKey, keyID: "node-1")])
    #expect(throws: KeyRingError.keyIDConflict) { try KeyRing(trusting: renamed, nodeID: "jwks", nowSeconds: 0) }
}

@Test("JWKS parsing refuses private keys, other key types and curves, bad x, duplicate kids and junk")
func jwksRefusals() {
    let x = Base64URL.encode(Fixture.nodeOneKey.publicKey.rawRepresentation)
    let good: [String: JSONValue] = ["kty": "OKP", "crv": "Ed25519", "x": .string(x), "kid": "k1", "use": "sig", "alg": "EdDSA"]
    func document(_ keys: [[String: JSONValue]]) -> [UInt8] {
        JSONWriter().bytes(["keys": .array(keys.map { .object($0) })])
    }
    func with(_ name: String, _ value: JSONValue?) -> [String: JSONValue] {
        var key = good
        key[name] = value
        return key
    }
    #expect(throws: JSONWebKeyError.containsPrivateKey) { try JSONWebKeySet.parse(document([with("d", "secret")])) }
    let refusedMembers: [(String, JSONValue?)] = [
        ("kty", "EC"), ("kty", nil), ("crv", "X25519"), ("crv", "Ed448"), ("x", "AAAA"), ("x", .string(x + "A")),
        ("x", nil), ("kid", nil), ("kid", ""), ("use", "enc"), ("alg", "HS256"), ("alg", "none"),
    ]
    for (name, value) in refusedMembers {
        #expect(throws: JSONWebKeyError.memberInvalid(name)) { try JSONWebKeySet.parse(document([with(name, value)])) }
    }
    #expect(throws: JSONWebKeyError.duplicateKeyID) { try JSONWebKeySet.parse(document([good, good])) }
    #expect(throws: JSONWebKeyError.tooManyKeys) {
        try JSONWebKeySet.parse(document(Array(repeating: good, count: TokenLimits.maximumKeyCount + 1)))
    }
    for junk in ["", "{}", "[]", #"{"keys":{}}"#, #"{"keys":[1]}"#, "not json"] {
        #expect(throws: JSONWebKeyError.self) { try JSONWebKeySet.parse(Array(junk.utf8)) }
    }
    #expect((try? JSONWebKeySet.parse(document([good, with("kid", "k2")])))?.keys.count == 2)
}

// MARK: - Replicated form

@Test("the ring's JSON form keeps nodes and retirement times and reads back equal")
func keyRingJSONRoundTrip() throws {
    var ring = Fixture.keyRing()
    try ring.rotate(nodeID: "n1", newPublicKey: Fixture.strangerKey.publicKey, nowSeconds: Fixture.now)
    let bytes = JSONWriter().bytes(ring.jsonValue)
    let decoded = try KeyRing(json: JSONParser.parse(bytes))
    #expect(decoded == ring)
    #expect(JSONWriter().bytes(decoded.jsonValue) == bytes)
    #expect(decoded.entry(forKeyID: JSONWebKey.thumbprint(of: Fixture.nodeOneKey.publicKey))?.retiredAtSeconds == Fixture.now)
}

@Test("a serialized ring with a kid that is not the key's thumbprint, or a duplicate, is refused")
func keyRingJSONRefusals() throws {
    let good = Fixture.keyRing().jsonValue
    var keys = try #require(good["keys"]?.arrayValue)
    var renamed = try #require(keys[0].objectValue)
    renamed["kid"] = "node-1"
    #expect(throws: KeyRingError.malformed) { try KeyRing(json: ["keys": .array([.object(renamed)])]) }
    keys.append(keys[0])
    #expect(throws: KeyRingError.malformed) { try KeyRing(json: ["keys": .array(keys)]) }
    for junk: JSONValue in [[:], ["keys": "x"], ["keys": [1]], ["keys": [["kid": "k"]]]] {
        #expect(throws: KeyRingError.malformed) { try KeyRing(json: junk) }
    }
}
