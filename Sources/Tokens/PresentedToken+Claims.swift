import Governance

// MARK: - Verified token → decision input

/// Milliseconds in a second, for the JWT's second-resolution times.
let millisecondsPerSecond: Int64 = 1_000

extension PresentedToken {
    /// The token as the decision function sees it: chain (originating actor first), scopes,
    /// subject, `warden_rev` as the issue revision, `exp`/`iat` in milliseconds. A token written
    /// without `act` is its client's own token: its chain is the client alone.
    public init(verified: VerifiedToken) {
        self.init(claims: verified.claims)
    }

    /// The token for verified `claims` (see `init(verified:)`).
    public init(claims: AccessTokenClaims) {
        self.init(
            jti: claims.jwtID, subject: claims.subject,
            chain: claims.actorChain.isEmpty ? [claims.clientID] : claims.actorChain,
            scopes: claims.scopes, issuedAtRevision: claims.wardenRevision,
            expiresAtMilliseconds: claims.expiresAt.multipliedReportingOverflow(by: millisecondsPerSecond).overflow
                ? Int64.max : claims.expiresAt * millisecondsPerSecond,
            issuedAtMilliseconds: claims.issuedAt.multipliedReportingOverflow(by: millisecondsPerSecond).overflow
                ? Int64.max : claims.issuedAt * millisecondsPerSecond)
    }
}
