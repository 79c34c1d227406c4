import Crypto
import JSON
import Testing
import Tokens

/// A compact JWS over raw header and payload bytes (for duplicate members and other shapes the
/// canonical writer cannot produce).
private func signRawBytes(header: String, payload: [UInt8], key: Ed25519.PrivateKey = Fixture.nodeOneKey) -> String {
    let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(payload)
    return signingInput + "." + Base64URL.encode(key.signature(for: Array(signingInput.utf8)))
}

// MARK: - Accepting

@Test("a token signed by any node verifies on a verifier that knows every node's key")
func anyNodeVerifiesAnyNode() throws {
    let verifier = Fixture.verifier()
    for key in [Fixture.nodeOneKey, Fixture.nodeTwoKey] {
        let signer = TokenSigner(privateKey: key)
        let verified = try verifier.verify(try signer.sign(Fixture.claims()), nowSeconds: Fixture.now)
        #expect(verified.claims == Fixture.claims())
        #expect(verified.keyID == signer.keyID)
    }
}

@Test("typ is matched case-insensitively and with the application/ prefix")
func typVariantsAccepted() throws {
    for typ in ["at+jwt", "AT+JWT", "application/at+jwt", "Application/At+Jwt"] {
        let token = Fixture.signRaw(header: Fixture.header(typ: typ), payload: Fixture.claims().jsonValue)
        #expect(try Fixture.verifier().verify(token, nowSeconds: Fixture.now).claims == Fixture.claims())
    }
}

@Test("bytes and string entry points agree")
func byteEntryPoint() throws {
    let token = Fixture.token()
    #expect(try Fixture.verifier().verify(Array(token.utf8), nowSeconds: Fixture.now).claims == Fixture.claims())
}

// MARK: - Algorithms

@Test("alg none is refused, with or without a signature")
func algNoneIsRefused() {
    let payload = Base64URL.encode(JSONWriter().bytes(Fixture.claims().jsonValue))
    for alg in ["none", "None", "NONE"] {
        let header = Base64URL.encode(JSONWriter().bytes(Fixture.header(alg: alg)))
        #expect(throws: TokenVerificationError.unsupportedAlgorithm) {
            try Fixture.verifier().verify("\(header).\(payload).", nowSeconds: Fixture.now)
        }
        let signed = Fixture.signRaw(header: Fixture.header(alg: alg), payload: Fixture.claims().jsonValue)
        #expect(throws: TokenVerificationError.unsupportedAlgorithm) { try Fixture.verifier().verify(signed, nowSeconds: Fixture.now) }
    }
}

@Test("HS256 keyed with the public key (algorithm confusion) is refused")
func hs256ConfusionIsRefused() {
    let header = Base64URL.encode(JSONWriter().bytes(Fixture.header(alg: "HS256")))
    let payload = Base64URL.encode(JSONWriter().bytes(Fixture.claims().jsonValue))
    for secret in [Fixture.nodeOneKey.publicKey.rawRepresentation, Array(Base64URL.encode(Fixture.nodeOneKey.publicKey.rawRepresentation).utf8)] {
        let mac = HMACSHA256.authenticate(Array("\(header).\(payload)".utf8), key: secret)
        #expect(throws: TokenVerificationError.unsupportedAlgorithm) {
            try Fixture.verifier().verify("\(header).\(payload).\(Base64URL.encode(mac))", nowSeconds: Fixture.now)
        }
    }
}

@Test("every algorithm other than EdDSA is refused before the key is used")
func otherAlgorithmsAreRefused() {
    for alg in ["RS256", "ES256", "PS256", "HS512", "Ed25519", "eddsa", "EdDSA ", " EdDSA", ""] {
        let token = Fixture.signRaw(header: Fixture.header(alg: alg), payload: Fixture.claims().jsonValue)
        #expect(throws: TokenVerificationError.unsupportedAlgorithm) { try Fixture.verifier().verify(token, nowSeconds: Fixture.now) }
    }
    let numeric = Fixture.signRaw(header: ["alg": 1, "kid": "x", "typ": "at+jwt"], payload: Fixture.claims().jsonValue)
    #expect(throws: TokenVerificationError.malformed) { try Fixture.verifier().verify(numeric, nowSeconds: Fixture.now) }
    let missing = Fixture.signRaw(header: ["kid": "x", "typ": "at+jwt"], payload: Fixture.claims().jsonValue)
    #expect(throws: TokenVerificationError.malformed) { try Fixture.verifier().verify(missing, nowSeconds: Fixture.now) }
}

// MARK: - Keys and signatures

@Test("a token from an unknown key is refused, even with a valid signature")
func unknownKidIsRefused() {
    let token = try! TokenSigner(privateKey: Fixture.strangerKey).sign(Fixture.claims())
    #expect(throws: TokenVerificationError.unknownKey) { try Fixture.verifier().verify(token, nowSeconds: Fixture.now) }
    var header = Fixture.header().objectValue!
    header["kid"] = nil
    let withoutKid = Fixture.signRaw(header: .object(header), payload: Fixture.claims().jsonValue)
    #expect(throws: TokenVerificationError.unknownKey) { try Fixture.verifier().verify(withoutKid, nowSeconds: Fixture.now) }
}

@Test("a stranger's signature under a known kid is a bad signature, even on expired claims")
func signatureIsCheckedBeforeClaims() {
    var claims = Fixture.claims()
    claims.issuedAt = 1
    claims.expiresAt = 2
    let forged = Fixture.signRaw(header: Fixture.header(), payload: claims.jsonValue, key: Fixture.strangerKey)
    #expect(throws: TokenVerificationError.badSignature) { try Fixture.verifier().verify(forged, nowSeconds: Fixture.now) }
}

@Test("a tampered payload is a bad signature")
func tamperedPayloadIsRefused() {
    let parts = Fixture.segments(Fixture.token())
    var claims = Fixture.claims()
    claims.subject = "user:mallory"
    let payload = Base64URL.encode(JSONWriter().bytes(claims.jsonValue))
    #expect(throws: TokenVerificationError.badSignature) {
        try Fixture.verifier().verify("\(parts[0]).\(payload).\(parts[2])", nowSeconds: Fixture.now)
    }
    claims = Fixture.claims()
    claims.scopes.append("admin")
    let widened = Base64URL.encode(JSONWriter().bytes(claims.jsonValue))
    #expect(throws: TokenVerificationError.badSignature) {
        try Fixture.verifier().verify("\(parts[0]).\(widened).\(parts[2])", nowSeconds: Fixture.now)
    }
}

@Test("a header swapped in from another node's token is a bad signature")
func swappedHeaderIsRefused() throws {
    let fromOne = Fixture.segments(Fixture.token())
    let fromTwo = Fixture.segments(try TokenSigner(privateKey: Fixture.nodeTwoKey).sign(Fixture.claims()))
    #expect(throws: TokenVerificationError.badSignature) {
        try Fixture.verifier().verify("\(fromTwo[0]).\(fromOne[1]).\(fromOne[2])", nowSeconds: Fixture.now)
    }
    let otherHeader = Base64URL.encode(JSONWriter().bytes(Fixture.header(typ: "application/at+jwt")))
    #expect(throws: TokenVerificationError.badSignature) {
        try Fixture.verifier().verify("\(otherHeader).\(fromOne[1]).\(fromOne[2])", nowSeconds: Fixture.now)
    }
}

@Test("a signature with another spelling of the same bytes, or the wrong length, is refused")
func nonCanonicalSignatureIsRefused() {
    let parts = Fixture.segments(Fixture.token())
    var signature = Array(parts[2].utf8)
    // 64 bytes encode to 86 characters; the last one carries 4 unused bits.
    signature[signature.count - 1] = signature.last! == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
    let respelled = String(decoding: signature, as: UTF8.self)
    #expect(throws: TokenVerificationError.badSignature) {
        try Fixture.verifier().verify("\(parts[0]).\(parts[1]).\(respelled)", nowSeconds: Fixture.now)
    }
    #expect(throws: TokenVerificationError.badSignature) {
        try Fixture.verifier().verify("\(parts[0]).\(parts[1]).\(parts[2].dropLast(4))", nowSeconds: Fixture.now)
    }
    #expect(throws: TokenVerificationError.badSignature) {
        try Fixture.verifier().verify("\(parts[0]).\(parts[1]).", nowSeconds: Fixture.now)
    }
}

// MARK: - Header rules

@Test("a wrong or missing typ is refused")
func wrongTypIsRefused() {
    for typ in ["JWT", "jwt", "at+jwt ", "id_token+jwt"] as [String?] + [nil] {
        let token = Fixture.signRaw(header: Fixture.header(typ: typ), payload: Fixture.claims().jsonValue)
        #expect(throws: TokenVerificationError.wrongType) { try Fixture.verifier().verify(token, nowSeconds: Fixture.now) }
    }
}

@Test("a crit header and duplicate header members are refused")
func critAndDuplicateHeaderMembersAreRefused() {
    var header = Fixture.header().objectValue!
    header["crit"] = ["exp"]
    let withCrit = Fixture.signRaw(header: .object(header), payload: Fixture.claims().jsonValue)
    #expect(throws: TokenVerificationError.malformed) { try Fixture.verifier().verify(withCrit, nowSeconds: Fixture.now) }
    let kid = JSONWebKey.thumbprint(of: Fixture.nodeOneKey.publicKey)
    let duplicate = signRawBytes(
        header: #"{"alg":"none","alg":"EdDSA","kid":"\#(kid)","typ":"at+jwt"}"#,
        payload: JSONWriter().bytes(Fixture.claims().jsonValue))
    #expect(throws: TokenVerificationError.malformed) { try Fixture.verifier().verify(duplicate, nowSeconds: Fixture.now) }
}

// MARK: - Claim rules

@Test("a wrong issuer or audience is refused")
func wrongIssuerAndAudienceAreRefused() throws {
    let token = Fixture.token()
    let ring = Fixture.keyRing()
    let otherIssuer = TokenVerifier(keyRing: ring, expectedIssuer: "https://other.example", expectedAudience: Fixture.audience)
    #expect(throws: TokenVerificationError.wrongIssuer) { try otherIssuer.verify(token, nowSeconds: Fixture.now) }
    let otherAudience = TokenVerifier(keyRing: ring, expectedIssuer: Fixture.issuer, expectedAudience: "tool:mail")
    #expect(throws: TokenVerificationError.wrongAudience) { try otherAudience.verify(token, nowSeconds: Fixture.now) }
    var object = Fixture.claimsObject()
    object["aud"] = [.string(Fixture.audience)]
    let arrayAudience = Fixture.signRaw(header: Fixture.header(), payload: .object(object))
    #expect(throws: TokenVerificationError.claimInvalid("aud")) { try Fixture.verifier().verify(arrayAudience, nowSeconds: Fixture.now) }
}

@Test("an expired token is refused once the leeway has passed, and accepted just before")
func expiredTokenIsRefused() throws {
    let claims = Fixture.claims()
    let leeway = TokenLimits.clockLeewaySeconds
    #expect(throws: TokenVerificationError.expired) {
        try Fixture.verifier().verify(Fixture.token(claims), nowSeconds: claims.expiresAt + leeway)
    }
    #expect(try Fixture.verifier().verify(Fixture.token(claims), nowSeconds: claims.expiresAt + leeway - 1).claims == claims)
}

@Test("a token issued in the future is refused beyond the leeway")
func futureIssuedAtIsRefused() throws {
    let claims = Fixture.claims()
    let leeway = TokenLimits.clockLeewaySeconds
    #expect(throws: TokenVerificationError.issuedInFuture) {
        try Fixture.verifier().verify(Fixture.token(claims), nowSeconds: claims.issuedAt - leeway - 1)
    }
    #expect(try Fixture.verifier().verify(Fixture.token(claims), nowSeconds: claims.issuedAt - leeway).claims == claims)
}

@Test("a not-before time in the future is refused")
func notBeforeIsHonored() throws {
    var object = Fixture.claimsObject()
    object["nbf"] = .integer(Fixture.now + 100)
    let token = Fixture.signRaw(header: Fixture.header(), payload: .object(object))
    #expect(throws: TokenVerificationError.notYetValid) { try Fixture.verifier().verify(token, nowSeconds: Fixture.now) }
    #expect(try Fixture.verifier().verify(token, nowSeconds: Fixture.now + 100).claims == Fixture.claims())
    object["nbf"] = "soon"
    let textual = Fixture.signRaw(header: Fixture.header(), payload: .object(object))
    #expect(throws: TokenVerificationError.claimInvalid("nbf")) { try Fixture.verifier().verify(textual, nowSeconds: Fixture.now) }
}

@Test("a signed chain deeper than the bound is refused")
func deepChainIsRefused() {
    for depth in [TokenLimits.maximumActorChainDepth + 1, 40] {
        var object = Fixture.claimsObject()
        object["act"] = AccessTokenClaims.actClaim(for: (0..<depth).map { "agent-\($0)" })
        let token = Fixture.signRaw(header: Fixture.header(), payload: .object(object))
        #expect(throws: TokenVerificationError.self) { try Fixture.verifier().verify(token, nowSeconds: Fixture.now) }
        if depth == TokenLimits.maximumActorChainDepth + 1 {
            #expect(throws: TokenVerificationError.chainTooDeep) { try Fixture.verifier().verify(token, nowSeconds: Fixture.now) }
        }
    }
}

@Test("signed claims with a missing or mistyped member are refused by name")
func invalidClaimsAreRefusedByName() {
    let cases: [(String, JSONValue?)] = [
        ("exp", "1800000300"), ("exp", 1_800_000_300.5), ("iat", nil), ("jti", nil), ("jti", ""), ("sub", 7),
        ("client_id", .null), ("scope", "a  b"), ("scope", ["a"]), ("warden_rev", -1), ("warden_rev", nil),
        ("iss", ""),
    ]
    for (name, value) in cases {
        var object = Fixture.claimsObject()
        object[name] = value
        let token = Fixture.signRaw(header: Fixture.header(), payload: .object(object))
        #expect(throws: TokenVerificationError.claimInvalid(name), "\(name) = \(String(describing: value))") {
            try Fixture.verifier().verify(token, nowSeconds: Fixture.now)
        }
    }
    let notAnObject = Fixture.signRaw(header: Fixture.header(), payload: ["claims"])
    #expect(throws: TokenVerificationError.malformed) { try Fixture.verifier().verify(notAnObject, nowSeconds: Fixture.now) }
}

// MARK: - Size and shape

@Test("an oversized token is refused before any parsing")
func oversizedTokenIsRefused() {
    let huge = String(repeating: "A", count: TokenLimits.maximumTokenByteCount + 1)
    #expect(throws: TokenVerificationError.tooLarge) { try Fixture.verifier().verify(huge, nowSeconds: Fixture.now) }
    #expect(throws: TokenVerificationError.tooLarge) { try Fixture.verifier().verify(Array(huge.utf8), nowSeconds: Fixture.now) }
    var object = Fixture.claimsObject()
    object["padding"] = .string(String(repeating: "p", count: TokenLimits.maximumTokenByteCount))
    let signedHuge = Fixture.signRaw(header: Fixture.header(), payload: .object(object))
    #expect(throws: TokenVerificationError.tooLarge) { try Fixture.verifier().verify(signedHuge, nowSeconds: Fixture.now) }
}

@Test("every truncation of a valid token is refused")
func truncatedTokensAreRefused() {
    let token = Array(Fixture.token().utf8)
    for length in 0..<token.count {
        #expect(throws: TokenVerificationError.self) { try Fixture.verifier().verify(Array(token[..<length]), nowSeconds: Fixture.now) }
    }
}

@Test("tokens with the wrong number of segments or empty segments are malformed")
func wrongShapesAreMalformed() {
    let parts = Fixture.segments(Fixture.token())
    let shapes = [
        "", ".", "..", "...", parts[0], "\(parts[0]).\(parts[1])", "\(parts[0]).\(parts[1]).\(parts[2]).\(parts[2])",
        ".\(parts[1]).\(parts[2])", "\(parts[0])..\(parts[2])", "\(parts[0]).\(parts[1]).\(parts[2]).",
        "\(parts[0])=.\(parts[1]).\(parts[2])", " \(parts[0]).\(parts[1]).\(parts[2])",
    ]
    for shape in shapes {
        #expect(throws: TokenVerificationError.malformed, "\(shape)") { try Fixture.verifier().verify(shape, nowSeconds: Fixture.now) }
    }
}

// MARK: - Concurrency

@Test("one verifier and one signer are used from several tasks at once")
func concurrentSigningAndVerification() async {
    let verifier = Fixture.verifier()
    let signer = TokenSigner(privateKey: Fixture.nodeOneKey)
    let accepted = await withTaskGroup(of: Int.self) { group in
        for task in 0..<4 {
            group.addTask {
                var count = 0
                for index in 0..<100 {
                    var claims = Fixture.claims()
                    claims.jwtID = "tok-\(task)-\(index)"
                    if let token = try? signer.sign(claims),
                        (try? verifier.verify(token, nowSeconds: Fixture.now))?.claims == claims
                    {
                        count += 1
                    }
                }
                return count
            }
        }
        return await group.reduce(0, +)
    }
    #expect(accepted == 400)
}
