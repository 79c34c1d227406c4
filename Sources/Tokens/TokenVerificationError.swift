/// Why a token was refused. Cases carry no attacker-controlled text, so they are safe to log.
public enum TokenVerificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a compact JWS we can read: wrong shape, bad base64url, bad JSON, missing header fields.
    case malformed
    /// The header names an algorithm other than `EdDSA` (`none`, `HS256`, …).
    case unsupportedAlgorithm
    /// The header's `kid` is not in the key ring.
    case unknownKey
    /// The key was retired before this token was issued, or so long ago that no token signed
    /// with it can still be alive.
    case keyRetired
    /// The signature does not verify under the named key.
    case badSignature
    /// The header's `typ` is not `at+jwt`.
    case wrongType
    /// The `iss` claim is not the expected issuer.
    case wrongIssuer
    /// The `aud` claim is not the expected audience.
    case wrongAudience
    /// `exp` has passed (beyond the leeway).
    case expired
    /// `nbf` is still in the future (beyond the leeway).
    case notYetValid
    /// `iat` is in the future (beyond the leeway).
    case issuedInFuture
    /// The `act` chain is deeper than `TokenLimits.maximumActorChainDepth`.
    case chainTooDeep
    /// The token is longer than `TokenLimits.maximumTokenByteCount`.
    case tooLarge
    /// A claim is missing, has the wrong type, or has a value outside its rules.
    case claimInvalid(String)

    /// A short explanation for logs and error responses.
    public var description: String {
        switch self {
        case .malformed: return "malformed token"
        case .unsupportedAlgorithm: return "unsupported algorithm (only EdDSA is accepted)"
        case .unknownKey: return "unknown signing key"
        case .keyRetired: return "signing key retired"
        case .badSignature: return "bad signature"
        case .wrongType: return "wrong token type (expected at+jwt)"
        case .wrongIssuer: return "wrong issuer"
        case .wrongAudience: return "wrong audience"
        case .expired: return "token expired"
        case .notYetValid: return "token not yet valid"
        case .issuedInFuture: return "token issued in the future"
        case .chainTooDeep: return "delegation chain too deep"
        case .tooLarge: return "token too large"
        case .claimInvalid(let name): return "invalid claim \(name)"
        }
    }
}

/// Why claims could not be signed: the signer refuses what the verifier would refuse.
public enum TokenSigningError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A claim breaks its rules (empty identifier, bad scope token, `exp` not after `iat`, …).
    case claimInvalid(String)
    /// The actor chain is deeper than `TokenLimits.maximumActorChainDepth`.
    case chainTooDeep
    /// The encoded token would exceed `TokenLimits.maximumTokenByteCount`.
    case tooLarge

    /// A short explanation for logs.
    public var description: String {
        switch self {
        case .claimInvalid(let name): return "invalid claim \(name)"
        case .chainTooDeep: return "delegation chain too deep"
        case .tooLarge: return "token too large"
        }
    }
}
