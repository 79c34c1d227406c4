import Crypto
import JSON

/// Signs access tokens with one node's private key: compact JWS, `alg: EdDSA`, `typ: at+jwt`,
/// `kid` = the RFC 7638 thumbprint of the public key. Payloads are canonical JSON (sorted members,
/// no whitespace), so equal claims give byte-identical tokens (Ed25519 is deterministic).
public struct TokenSigner: Sendable {
    /// The only JWS algorithm Warden uses.
    public static let algorithm = "EdDSA"
    /// The RFC 9068 media type of access tokens, as written in `typ`.
    public static let tokenType = "at+jwt"

    private let privateKey: Ed25519.PrivateKey
    /// The `kid` every token from this signer names.
    public let keyID: String
    /// The base64url protected header followed by the `.` separator, computed once.
    private let encodedHeaderPrefix: [UInt8]

    /// A signer for `privateKey`, named by its thumbprint.
    public init(privateKey: Ed25519.PrivateKey) {
        self.privateKey = privateKey
        keyID = JSONWebKey.thumbprint(of: privateKey.publicKey)
        let header: JSONValue = [
            "alg": .string(TokenSigner.algorithm), "kid": .string(keyID), "typ": .string(TokenSigner.tokenType),
        ]
        var prefix = Base64URL.encodeToBytes(JSONWriter().bytes(header))
        prefix.append(UInt8(ascii: "."))
        encodedHeaderPrefix = prefix
    }

    /// The public half, for the key ring and JWKS.
    public var publicKey: Ed25519.PublicKey { privateKey.publicKey }

    /// The JWK of the public half.
    public var jsonWebKey: JSONWebKey { JSONWebKey(publicKey: publicKey, keyID: keyID) }

    /// The compact token for `claims`, after checking the same rules the verifier applies.
    public func sign(_ claims: AccessTokenClaims) throws(TokenSigningError) -> String {
        try claims.checkRules()
        let payload = JSONWriter().bytes(claims.jsonValue)
        var token = encodedHeaderPrefix
        token.reserveCapacity(token.count + Base64URL.encodedCount(byteCount: payload.count) + 88)
        Base64URL.append(payload, to: &token)
        let signature = token.withUnsafeBytes { privateKey.signature(for: $0) }
        token.append(UInt8(ascii: "."))
        Base64URL.append(signature, to: &token)
        guard token.count <= TokenLimits.maximumTokenByteCount else { throw .tooLarge }
        return String(decoding: token, as: UTF8.self)
    }
}
