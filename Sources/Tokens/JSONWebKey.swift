import Crypto
import JSON

/// Why a JWK or JWKS document was refused.
public enum JSONWebKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not JSON, not an object, or larger than `TokenLimits.maximumKeySetByteCount`.
    case malformed
    /// A member is missing or has the wrong type or value; the associated value names it.
    case memberInvalid(String)
    /// The key carries private material (`d`): a public key set must never hold one.
    case containsPrivateKey
    /// Two keys share a `kid`.
    case duplicateKeyID
    /// More keys than `TokenLimits.maximumKeyCount`.
    case tooManyKeys

    /// A short explanation for logs.
    public var description: String {
        switch self {
        case .malformed: return "malformed JWK set"
        case .memberInvalid(let name): return "invalid JWK member \(name)"
        case .containsPrivateKey: return "JWK contains private key material"
        case .duplicateKeyID: return "duplicate kid in JWK set"
        case .tooManyKeys: return "too many keys in JWK set"
        }
    }
}

/// One Ed25519 public key as a JSON Web Key (RFC 7517 with the RFC 8037 `OKP` key type):
/// `{"alg":"EdDSA","crv":"Ed25519","kid":…,"kty":"OKP","use":"sig","x":…}`.
public struct JSONWebKey: Sendable, Hashable {
    /// The key id that token headers name (`kid`).
    public let keyID: String
    /// The public key (`x`).
    public let publicKey: Ed25519.PublicKey

    /// The only algorithm Warden signs with.
    public static let algorithm = "EdDSA"
    /// RFC 8037 key type for Edwards-curve keys.
    public static let keyType = "OKP"
    /// RFC 8037 curve name.
    public static let curve = "Ed25519"
    /// Public key use: signatures.
    public static let use = "sig"

    /// A JWK for `publicKey`, named by its RFC 7638 thumbprint unless `keyID` is given.
    public init(publicKey: Ed25519.PublicKey, keyID: String? = nil) {
        self.publicKey = publicKey
        self.keyID = keyID ?? JSONWebKey.thumbprint(of: publicKey)
    }

    /// The RFC 7638 thumbprint: base64url of SHA-256 over the canonical required members
    /// `{"crv":"Ed25519","kty":"OKP","x":…}` (RFC 8037 §2). Warden uses it as the `kid`.
    public static func thumbprint(of publicKey: Ed25519.PublicKey) -> String {
        let required: JSONValue = [
            "crv": .string(curve), "kty": .string(keyType), "x": .string(Base64URL.encode(publicKey.rawRepresentation)),
        ]
        return Base64URL.encode(SHA256.hash(JSONWriter().bytes(required)))
    }

    /// The JWK as a JSON object.
    public var jsonValue: JSONValue {
        [
            "kty": .string(JSONWebKey.keyType), "crv": .string(JSONWebKey.curve),
            "x": .string(Base64URL.encode(publicKey.rawRepresentation)), "kid": .string(keyID),
            "use": .string(JSONWebKey.use), "alg": .string(JSONWebKey.algorithm),
        ]
    }

    /// A JWK read from JSON. `kty`, `crv`, `x` and `kid` are required; `use` and `alg`, when
    /// present, must be `sig` and `EdDSA`; a private `d` member is refused outright.
    public init(json: JSONValue) throws(JSONWebKeyError) {
        guard case .object(let members) = json else { throw .malformed }
        guard members["d"] == nil else { throw .containsPrivateKey }
        guard members["kty"] == .string(JSONWebKey.keyType) else { throw .memberInvalid("kty") }
        guard members["crv"] == .string(JSONWebKey.curve) else { throw .memberInvalid("crv") }
        if let use = members["use"], use != .string(JSONWebKey.use) { throw .memberInvalid("use") }
        if let algorithm = members["alg"], algorithm != .string(JSONWebKey.algorithm) { throw .memberInvalid("alg") }
        guard case .string(let keyID)? = members["kid"], AccessTokenClaims.isValidIdentifier(keyID) else {
            throw .memberInvalid("kid")
        }
        guard case .string(let x)? = members["x"], let raw = Base64URL.decode(x),
            let publicKey = try? Ed25519.PublicKey(rawRepresentation: raw)
        else { throw .memberInvalid("x") }
        self.init(publicKey: publicKey, keyID: keyID)
    }
}

/// A JWK Set (RFC 7517 §5) of Ed25519 public keys: what `/.well-known/jwks.json` serves and what
/// enforcers load to verify tokens offline.
public struct JSONWebKeySet: Sendable, Hashable {
    /// The keys, in document order.
    public let keys: [JSONWebKey]

    /// A set of keys; their `kid`s must be distinct (a programming error otherwise).
    public init(keys: [JSONWebKey]) {
        precondition(Set(keys.map(\.keyID)).count == keys.count, "duplicate kid in a JWK set")
        self.keys = keys
    }

    /// The key named `keyID`, if present.
    public func key(withID keyID: String) -> JSONWebKey? {
        keys.first { $0.keyID == keyID }
    }

    /// The document `{"keys":[…]}` as canonical JSON bytes.
    public func jsonBytes() -> [UInt8] {
        JSONWriter().bytes(["keys": .array(keys.map(\.jsonValue))])
    }

    /// A set parsed from a JWKS document. Strict: every entry must be a valid Ed25519 JWK (an
    /// enforcer must not silently ignore a key it was meant to trust), `kid`s distinct, size bounded.
    public static func parse(_ bytes: [UInt8]) throws(JSONWebKeyError) -> JSONWebKeySet {
        guard bytes.count <= TokenLimits.maximumKeySetByteCount,
            let document = try? JSONParser.parse(bytes, maximumDepth: 3),
            case .array(let entries)? = document["keys"]
        else { throw .malformed }
        guard entries.count <= TokenLimits.maximumKeyCount else { throw .tooManyKeys }
        var keys: [JSONWebKey] = []
        var seen: Set<String> = []
        for entry in entries {
            let key = try JSONWebKey(json: entry)
            guard seen.insert(key.keyID).inserted else { throw .duplicateKeyID }
            keys.append(key)
        }
        return JSONWebKeySet(keys: keys)
    }
}
