import Crypto
import JSON

/// A token that passed every check.
public struct VerifiedToken: Sendable, Hashable {
    /// The key that signed it.
    public let keyID: String
    /// Its claims.
    public let claims: AccessTokenClaims
}

/// Verifies access tokens strictly. Time is a parameter (`nowSeconds`), never read from a clock,
/// so tests and the simulator control it.
///
/// Order of checks: size and shape; header (`alg` must be `EdDSA` — `none`, `HS256` and every
/// other value are refused before any key is touched, so no algorithm confusion is possible — and
/// `kid` must name a key in the ring, which holds Ed25519 keys only); the signature over the exact
/// received bytes; only then `typ` and the claims (`iss`, `aud`, `exp`, `iat`, `nbf`, chain depth,
/// value rules) and the key's retirement window.
public struct TokenVerifier: Sendable {
    /// The keys tokens may be signed with.
    public var keyRing: KeyRing
    /// The `iss` every token must carry.
    public let expectedIssuer: String
    /// The `aud` every token must carry (this resource server).
    public let expectedAudience: String

    /// A verifier for tokens issued by `expectedIssuer` for `expectedAudience`.
    public init(keyRing: KeyRing, expectedIssuer: String, expectedAudience: String) {
        self.keyRing = keyRing
        self.expectedIssuer = expectedIssuer
        self.expectedAudience = expectedAudience
    }

    /// Verifies a compact token at time `nowSeconds`.
    public func verify(_ token: String, nowSeconds: Int64) throws(TokenVerificationError) -> VerifiedToken {
        guard token.utf8.count <= TokenLimits.maximumTokenByteCount else { throw .tooLarge }
        return try verify(Array(token.utf8), nowSeconds: nowSeconds)
    }

    /// Verifies a compact token given as bytes at time `nowSeconds`.
    public func verify(_ token: [UInt8], nowSeconds: Int64) throws(TokenVerificationError) -> VerifiedToken {
        guard token.count <= TokenLimits.maximumTokenByteCount else { throw .tooLarge }
        let parts = try CompactParts(token)
        let header = try decodeJSON(token[parts.header], maximumDepth: TokenLimits.maximumHeaderJSONDepth)
        let entry = try checkHeaderBeforeSignature(header)
        guard let signature = Base64URL.decode(Array(token[parts.signature])),
            signature.count == Ed25519.signatureByteCount
        else { throw .badSignature }
        let signed = token.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[parts.signingInput]) }
        guard entry.publicKey.isValidSignature(signature, for: signed) else { throw .badSignature }
        // Everything below is covered by the signature.
        guard case .string(let type)? = header["typ"], TokenVerifier.isAccessTokenType(type) else { throw .wrongType }
        let claimsJSON = try decodeJSON(token[parts.payload], maximumDepth: TokenLimits.maximumClaimsJSONDepth)
        let claims = try AccessTokenClaims(json: claimsJSON)
        try checkClaims(claims, json: claimsJSON, nowSeconds: nowSeconds)
        guard entry.accepts(issuedAt: claims.issuedAt, nowSeconds: nowSeconds) else { throw .keyRetired }
        return VerifiedToken(keyID: entry.keyID, claims: claims)
    }

    // MARK: - Steps

    /// The header checks that must pass before the signature is even looked at.
    private func checkHeaderBeforeSignature(_ header: JSONValue) throws(TokenVerificationError) -> KeyRing.Entry {
        guard case .object(let members) = header, case .string(let algorithm)? = members["alg"] else {
            throw .malformed
        }
        guard algorithm == TokenSigner.algorithm else { throw .unsupportedAlgorithm }
        // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
        guard members["crit"] == nil else { throw .malformed }
        guard case .string(let keyID)? = members["kid"] else { throw .unknownKey }
        guard let entry = keyRing.entry(forKeyID: keyID) else { throw .unknownKey }
        return entry
    }

    /// Claim checks, after the signature has been verified.
    private func checkClaims(_ claims: AccessTokenClaims, json: JSONValue, nowSeconds: Int64) throws(TokenVerificationError) {
        do {
            try claims.checkRules()
        } catch {
            switch error {
            case .chainTooDeep: throw .chainTooDeep
            case .claimInvalid(let name): throw .claimInvalid(name)
            case .tooLarge: throw .tooLarge
            }
        }
        guard claims.issuer == expectedIssuer else { throw .wrongIssuer }
        guard claims.audience == expectedAudience else { throw .wrongAudience }
        let leeway = TokenLimits.clockLeewaySeconds
        guard nowSeconds < claims.expiresAt &+ leeway else { throw .expired }
        guard claims.issuedAt <= nowSeconds &+ leeway else { throw .issuedInFuture }
        if let notBefore = json[AccessTokenClaims.Name.notBefore] {
            guard case .integer(let notBeforeSeconds) = notBefore else {
                throw .claimInvalid(AccessTokenClaims.Name.notBefore)
            }
            guard notBeforeSeconds <= nowSeconds &+ leeway else { throw .notYetValid }
        }
    }

    /// Base64url-decodes a segment and parses it as JSON with a depth bound.
    private func decodeJSON(_ segment: ArraySlice<UInt8>, maximumDepth: Int) throws(TokenVerificationError) -> JSONValue {
        let decoded = segment.withUnsafeBytes { Base64URL.decode($0) }
        guard let decoded, let value = try? JSONParser.parse(decoded, maximumDepth: maximumDepth) else {
            throw .malformed
        }
        return value
    }

    /// RFC 9068 §4 with RFC 7515 §4.1.9: `at+jwt`, optionally with the `application/` prefix,
    /// compared case-insensitively.
    static func isAccessTokenType(_ type: String) -> Bool {
        let lowered = type.lowercased()
        return lowered == TokenSigner.tokenType || lowered == "application/" + TokenSigner.tokenType
    }
}

// MARK: - Compact serialization

/// The three segments of a compact JWS: exactly two `.` separators, non-empty header and payload.
/// An empty signature is let through to the header checks, so `alg: none` tokens (whose signature
/// is empty) are reported as an unsupported algorithm and EdDSA ones as a bad signature.
struct CompactParts {
    let header: Range<Int>
    let payload: Range<Int>
    let signature: Range<Int>
    /// Header, `.`, payload: the bytes the signature covers.
    let signingInput: Range<Int>

    init(_ token: [UInt8]) throws(TokenVerificationError) {
        var separators: [Int] = []
        for (index, byte) in token.enumerated() where byte == UInt8(ascii: ".") {
            separators.append(index)
            guard separators.count <= 2 else { throw .malformed }
        }
        guard separators.count == 2 else { throw .malformed }
        header = 0..<separators[0]
        payload = (separators[0] + 1)..<separators[1]
        signature = (separators[1] + 1)..<token.count
        signingInput = 0..<separators[1]
        guard !header.isEmpty, !payload.isEmpty else { throw .malformed }
    }
}
