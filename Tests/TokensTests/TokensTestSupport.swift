import Crypto
import JSON
import Tokens

/// SplitMix64: a tiny fixed-seed generator so random-input tests replay exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}

/// Fixed keys and claims shared by the token tests.
enum Fixture {
    static let issuer = "https://warden.example"
    static let audience = "tool:search"
    static let now: Int64 = 1_800_000_000

    /// Node keys from fixed seeds, so tokens are byte-for-byte reproducible.
    static let nodeOneKey = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 1, count: 32))
    static let nodeTwoKey = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 2, count: 32))
    static let strangerKey = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 9, count: 32))

    static func claims(actorChain: [String] = ["planner", "search"], issuedAt: Int64 = now) -> AccessTokenClaims {
        AccessTokenClaims(
            issuer: issuer, subject: "user:alice", audience: audience, expiresAt: issuedAt + 300, issuedAt: issuedAt,
            jwtID: "tok-0001", scopes: ["search:read", "docs:read"], clientID: "agent:search", actorChain: actorChain,
            wardenRevision: 42)
    }

    /// A ring holding node one's and node two's keys.
    static func keyRing() -> KeyRing {
        var ring = KeyRing()
        try! ring.add(publicKey: nodeOneKey.publicKey, nodeID: "n1", nowSeconds: now - 1000)
        try! ring.add(publicKey: nodeTwoKey.publicKey, nodeID: "n2", nowSeconds: now - 1000)
        return ring
    }

    static func verifier(keyRing: KeyRing = keyRing()) -> TokenVerifier {
        TokenVerifier(keyRing: keyRing, expectedIssuer: issuer, expectedAudience: audience)
    }

    /// A valid token from node one.
    static func token(_ claims: AccessTokenClaims = claims()) -> String {
        try! TokenSigner(privateKey: nodeOneKey).sign(claims)
    }

    /// The standard header node one writes.
    static func header(alg: String = "EdDSA", typ: String? = "at+jwt", kid: String? = nil) -> JSONValue {
        var members: [String: JSONValue] = ["alg": .string(alg)]
        if let typ { members["typ"] = .string(typ) }
        members["kid"] = .string(kid ?? JSONWebKey.thumbprint(of: nodeOneKey.publicKey))
        return .object(members)
    }

    /// A compact JWS over arbitrary header and payload JSON, signed with `key` (for hostile tokens
    /// that a correct signer would never produce).
    static func signRaw(header: JSONValue, payload: JSONValue, key: Ed25519.PrivateKey = nodeOneKey) -> String {
        let signingInput = Base64URL.encode(JSONWriter().bytes(header)) + "." + Base64URL.encode(JSONWriter().bytes(payload))
        return signingInput + "." + Base64URL.encode(key.signature(for: Array(signingInput.utf8)))
    }

    /// The segments of a compact token.
    static func segments(_ token: String) -> [String] {
        token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    /// The claims of a token as a mutable dictionary.
    static func claimsObject(_ claims: AccessTokenClaims = claims()) -> [String: JSONValue] {
        claims.jsonValue.objectValue!
    }
}
