import Crypto
import HTTP

// MARK: - Request

/// A request to the token endpoint as the HTTP layer hands it over: the decoded form parameters
/// and the raw `Authorization` header. Every rule is checked by `GrantService.prepare`, so one
/// place answers every malformed request.
public struct TokenRequest: Sendable, Hashable {
    /// Form parameters, already percent-decoded (a repeated parameter is the HTTP layer's 400).
    public var parameters: [String: String]
    /// The `Authorization` header, if any (`Basic base64(id:secret)` authenticates the client).
    public var authorizationHeader: String?

    /// A request from its parts.
    public init(parameters: [String: String], authorizationHeader: String? = nil) {
        self.parameters = parameters
        self.authorizationHeader = authorizationHeader
    }

    /// The parameter `name`, nil when absent or empty (RFC 6749 §3.1: empty means omitted).
    public subscript(name: String) -> String? {
        guard let value = parameters[name], !value.isEmpty else { return nil }
        return value
    }

    // MARK: - Parameter names and values

    /// The parameter names Warden reads.
    public enum Parameter {
        /// The grant type.
        public static let grantType = "grant_type"
        /// Space-separated scopes.
        public static let scope = "scope"
        /// The user a first token acts for.
        public static let onBehalfOf = "on_behalf_of"
        /// RFC 8693 subject token.
        public static let subjectToken = "subject_token"
        /// RFC 8693 subject token type.
        public static let subjectTokenType = "subject_token_type"
        /// RFC 8693 actor token.
        public static let actorToken = "actor_token"
        /// RFC 8693 actor token type.
        public static let actorTokenType = "actor_token_type"
        /// RFC 8693 audience.
        public static let audience = "audience"
        /// RFC 8693 resource (not supported: Warden names callees by `audience`).
        public static let resource = "resource"
        /// RFC 8693 requested token type.
        public static let requestedTokenType = "requested_token_type"
        /// Client id in the body (`client_secret_post`).
        public static let clientID = "client_id"
        /// Client secret in the body (`client_secret_post`).
        public static let clientSecret = "client_secret"
    }

    /// The grant types Warden issues.
    public enum GrantType {
        /// RFC 6749 §4.4.
        public static let clientCredentials = "client_credentials"
        /// RFC 8693.
        public static let tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
    }

    /// The token type identifiers (RFC 8693 §3) accepted for subject and actor tokens.
    public enum TokenType {
        /// An OAuth access token.
        public static let accessToken = "urn:ietf:params:oauth:token-type:access_token"
        /// A JWT.
        public static let jwt = "urn:ietf:params:oauth:token-type:jwt"
        /// Whether `type` names a kind of token Warden issues.
        public static func isAccepted(_ type: String) -> Bool { type == accessToken || type == jwt }
    }
}

// MARK: - Client credentials

/// An agent's id and secret as presented, by HTTP Basic or in the form.
public struct PresentedClientCredentials: Sendable, Hashable {
    /// The client id (the agent id).
    public var clientID: String
    /// The secret, never logged nor echoed.
    public var secret: String
}

extension TokenRequest {
    /// Longest `Authorization` header read; real ones are under 300 bytes.
    public static let maximumAuthorizationHeaderBytes = 4 * 1024

    /// The client credentials, nil when none were presented. Refuses both methods at once
    /// (RFC 6749 §2.3: a client uses one), a malformed Basic header, and half a pair.
    public func clientCredentials() -> Result<PresentedClientCredentials?, OAuthError> {
        let formID = self[Parameter.clientID], formSecret = self[Parameter.clientSecret]
        var basic: PresentedClientCredentials?
        if let header = authorizationHeader {
            switch Self.basicCredentials(header) {
            case .success(let credentials): basic = credentials
            case .failure(let error): return .failure(error)
            }
        }
        if basic != nil, formID != nil || formSecret != nil {
            return .failure(OAuthError(
                .invalidRequest, "client credentials were sent both by HTTP Basic and in the form: use one method"))
        }
        if let basic { return .success(basic) }
        switch (formID, formSecret) {
        case (nil, nil): return .success(nil)
        case (let id?, let secret?): return .success(PresentedClientCredentials(clientID: id, secret: secret))
        default: return .failure(OAuthError(.invalidClient, "client authentication needs both client_id and client_secret"))
        }
    }

    /// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1, RFC 7617).
    static func basicCredentials(_ header: String) -> Result<PresentedClientCredentials?, OAuthError> {
        let malformed = OAuthError(.invalidClient, "the Authorization header is not valid HTTP Basic client authentication")
        guard header.utf8.count <= maximumAuthorizationHeaderBytes else { return .failure(malformed) }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = decodeStandardBase64(String(parts[1])),
            let colon = decoded.firstIndex(of: UInt8(ascii: ":")),
            let id = FormURLEncoding.decode(decoded[..<colon]),
            let secret = FormURLEncoding.decode(decoded[(colon + 1)...]),
            !id.isEmpty, !secret.isEmpty
        else { return .failure(malformed) }
        return .success(PresentedClientCredentials(clientID: id, secret: secret))
    }

    /// Standard base64 (with `+`, `/` and optional `=` padding) via the base64url decoder.
    static func decodeStandardBase64(_ text: String) -> [UInt8]? {
        var bytes = Array(text.utf8)
        while bytes.last == UInt8(ascii: "=") { bytes.removeLast() }
        for index in bytes.indices {
            if bytes[index] == UInt8(ascii: "+") {
                bytes[index] = UInt8(ascii: "-")
            } else if bytes[index] == UInt8(ascii: "/") {
                bytes[index] = UInt8(ascii: "_")
            } else if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "_") {
                return nil
            }
        }
        return Base64URL.decode(bytes)
    }
}
