/// Every bound the token layer enforces, each with its reason.
public enum TokenLimits {
    /// Largest compact token accepted, in bytes. Real tokens are a few hundred bytes; the bound caps
    /// the work an unauthenticated request can cause before the signature check.
    public static let maximumTokenByteCount = 8 * 1024

    /// Most actors in a delegation chain. Deeper chains are refused when signing and verifying, so
    /// one token cannot carry an unbounded nested `act` claim.
    public static let maximumActorChainDepth = 8

    /// Deepest JSON nesting accepted in a protected header (a flat object).
    public static let maximumHeaderJSONDepth = 2

    /// Deepest JSON nesting accepted in a claims set: the object, the `act` chain, and one more
    /// level so that a chain one deeper than allowed still parses and is reported as too deep.
    public static let maximumClaimsJSONDepth = maximumActorChainDepth + 2

    /// Clock skew tolerated between nodes and enforcers when checking `exp`, `iat` and `nbf`.
    public static let clockLeewaySeconds: Int64 = 30

    /// Longest lifetime (`exp - iat`) of a token. Bounds how long a retired key must still verify.
    public static let maximumTokenLifetimeSeconds: Int64 = 24 * 60 * 60

    /// Longest string claim (identifiers, scopes, issuer, audience), in UTF-8 bytes.
    public static let maximumClaimStringByteCount = 1024

    /// Most keys in a key ring or JWKS document: a few per node across rotations.
    public static let maximumKeyCount = 64

    /// Largest JWKS document accepted, in bytes.
    public static let maximumKeySetByteCount = 64 * 1024
}
