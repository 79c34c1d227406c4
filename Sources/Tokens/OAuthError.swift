import Governance
import JSON

// MARK: - Error codes

/// The error codes of the token, introspection and revocation endpoints (RFC 6749 §5.2,
/// RFC 8693 §2.2.2).
public enum OAuthErrorKind: String, Sendable, Hashable, CaseIterable {
    /// A parameter is missing, repeated, malformed or unsupported, or credentials come twice.
    case invalidRequest = "invalid_request"
    /// Client authentication failed: unknown client or wrong secret (never said which).
    case invalidClient = "invalid_client"
    /// The presented grant (a subject or actor token) is not valid, or the agent may not be granted.
    case invalidGrant = "invalid_grant"
    /// The authenticated client may not use this grant in this way.
    case unauthorizedClient = "unauthorized_client"
    /// The `grant_type` is not one Warden issues.
    case unsupportedGrantType = "unsupported_grant_type"
    /// A requested scope is malformed, not held, or no scope survives the intersection.
    case invalidScope = "invalid_scope"
    /// Policy refuses: no connection, a cycle, a chain too long, an inactive member, a cut subject.
    case accessDenied = "access_denied"
    /// The `audience` is not one this grant can be issued for (RFC 8693).
    case invalidTarget = "invalid_target"

    /// The kind for a Governance refusal code.
    public init(_ code: OAuthErrorCode) {
        switch code {
        case .invalidGrant: self = .invalidGrant
        case .invalidScope: self = .invalidScope
        case .accessDenied: self = .accessDenied
        }
    }
}

// MARK: - Error

/// A refused OAuth request: the code, a description naming the rule that refused, and how the
/// HTTP layer answers it. Descriptions never contain secrets or presented tokens.
public struct OAuthError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `error` member.
    public var kind: OAuthErrorKind
    /// The `error_description` member: the rule that refused, in words.
    public var description: String

    /// An error with its code and description.
    public init(_ kind: OAuthErrorKind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// An error from a Governance delegation refusal, keeping its description.
    public init(_ refusal: DelegationRefusal) {
        self.init(OAuthErrorKind(refusal.error), refusal.description)
    }

    /// The `error` code as written on the wire.
    public var code: String { kind.rawValue }

    /// 401 for `invalid_client` (RFC 6749 §5.2), 400 otherwise.
    public var httpStatus: Int { kind == .invalidClient ? 401 : 400 }

    /// The challenge to send in `WWW-Authenticate` with a 401, nil otherwise.
    public var authenticateChallenge: String? { kind == .invalidClient ? #"Basic realm="warden""# : nil }

    /// `{"error":…,"error_description":…}`.
    public var jsonValue: JSONValue {
        ["error": .string(code), "error_description": .string(description)]
    }

    /// The response body as canonical JSON bytes.
    public func jsonBytes() -> [UInt8] { JSONWriter().bytes(jsonValue) }
}
