import Crypto
import JSON
import Testing
import Tokens

// Random-input tests: every input here must come back as a typed error, never a trap and never an
// accepted token. Seeds are fixed, so a failure replays exactly.

/// Counts the inputs the verifier accepted; only the original token may be accepted.
private func acceptedCount(_ tokens: [[UInt8]], original: [UInt8]) -> Int {
    let verifier = Fixture.verifier()
    var accepted = 0
    for token in tokens where token != original {
        if (try? verifier.verify(token, nowSeconds: Fixture.now)) != nil { accepted += 1 }
    }
    return accepted
}

@Test("thousands of byte-level mutations of a valid token are all refused")
func mutatedTokensAreRefused() {
    var generator = SplitMix64(seed: 9068)
    let original = Array(Fixture.token().utf8)
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ".utf8)
    var mutants: [[UInt8]] = []
    for _ in 0..<5000 {
        var token = original
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let index = Int.random(in: 0..<token.count, using: &generator)
            switch Int.random(in: 0..<5, using: &generator) {
            case 0: token[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
            case 1: token[index] = alphabet.randomElement(using: &generator)!
            case 2: token.insert(alphabet.randomElement(using: &generator)!, at: index)
            case 3: if token.count > 1 { token.remove(at: index) }
            default: token = Array(token[..<index])
            }
            if token.isEmpty { token = [UInt8(ascii: ".")] }
        }
        mutants.append(token)
    }
    #expect(acceptedCount(mutants, original: original) == 0)
}

@Test("random bytes and random base64url segments are refused")
func garbageTokensAreRefused() {
    var generator = SplitMix64(seed: 7515)
    var garbage: [[UInt8]] = []
    for _ in 0..<2000 {
        garbage.append(generator.bytes(count: Int.random(in: 0...300, using: &generator)))
    }
    for _ in 0..<2000 {
        let segments = (0..<Int.random(in: 1...4, using: &generator)).map { _ in
            Base64URL.encode(generator.bytes(count: Int.random(in: 0...120, using: &generator)))
        }
        garbage.append(Array(segments.joined(separator: ".").utf8))
    }
    #expect(acceptedCount(garbage, original: []) == 0)
}

@Test("random JSON headers and payloads under a real signature never trap and are refused unless well-formed")
func randomJSONUnderRealSignature() {
    var generator = SplitMix64(seed: 8037)
    let values: [JSONValue] = [
        .null, true, 0, -1, 1.5, "", "EdDSA", "none", "at+jwt", [], [:], ["a": [1, [2, [3]]]], .integer(Int64.max),
        .string(JSONWebKey.thumbprint(of: Fixture.nodeOneKey.publicKey)),
    ]
    let names = ["alg", "kid", "typ", "crit", "iss", "sub", "aud", "exp", "iat", "jti", "scope", "client_id", "act", "warden_rev", "nbf"]
    var refused = 0
    for _ in 0..<3000 {
        var header = Fixture.header().objectValue!
        var payload = Fixture.claimsObject()
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            let name = names.randomElement(using: &generator)!
            let value = Bool.random(using: &generator) ? values.randomElement(using: &generator)! : nil
            if Bool.random(using: &generator) { header[name] = value } else { payload[name] = value }
        }
        let token = Fixture.signRaw(header: .object(header), payload: .object(payload))
        guard let verified = try? Fixture.verifier().verify(token, nowSeconds: Fixture.now) else {
            refused += 1
            continue
        }
        // Accepted only when every checked member kept a valid value: the header still names
        // EdDSA, our key and the access-token type, and the claims are exactly what was signed.
        #expect(header["alg"] == "EdDSA" && header["crit"] == nil)
        #expect(header["kid"] == .string(JSONWebKey.thumbprint(of: Fixture.nodeOneKey.publicKey)))
        #expect(header["typ"] == "at+jwt")
        #expect((try? AccessTokenClaims(json: .object(payload))) == verified.claims)
        #expect(verified.claims.issuer == Fixture.issuer && verified.claims.audience == Fixture.audience)
    }
    #expect(refused > 1000)
}

@Test("deeply nested JSON in a signed payload is refused without exhausting the stack")
func deeplyNestedJSONIsRefused() {
    let depth = 2000
    let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    let kid = JSONWebKey.thumbprint(of: Fixture.nodeOneKey.publicKey)
    let header = Base64URL.encode(Array(#"{"alg":"EdDSA","kid":"\#(kid)","typ":"at+jwt"}"#.utf8))
    let payload = Base64URL.encode(Array(#"{"act":\#(nested)}"#.utf8))
    let input = "\(header).\(payload)"
    let token = input + "." + Base64URL.encode(Fixture.nodeOneKey.signature(for: Array(input.utf8)))
    #expect(throws: TokenVerificationError.self) { try Fixture.verifier().verify(token, nowSeconds: Fixture.now) }
}
