import JSON

/// The RFC 8414 document served at `/.well-known/oauth-authorization-server`.
public enum AuthorizationServerMetadata {
    /// The token endpoint path (API.md).
    public static let tokenPath = "/oauth/token"
    /// The introspection endpoint path.
    public static let introspectionPath = "/oauth/introspect"
    /// The revocation endpoint path.
    public static let revocationPath = "/oauth/revoke"
    /// The JWKS path.
    public static let jwksPath = "/.well-known/jwks.json"
    /// The client authentication methods the token endpoint accepts.
    public static let authenticationMethods = ["client_secret_basic", "client_secret_post"]

    /// The metadata for `issuer`, with endpoints under `baseURL` (no trailing slash needed).
    /// No authorization endpoint: Warden issues tokens to agents, never through a browser, so
    /// `response_types_supported` is empty.
    public static func document(issuer: String, baseURL: String) -> JSONValue {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        let methods: JSONValue = .array(authenticationMethods.map { .string($0) })
        return [
            "issuer": .string(issuer),
            "token_endpoint": .string(base + tokenPath),
            "jwks_uri": .string(base + jwksPath),
            "introspection_endpoint": .string(base + introspectionPath),
            "revocation_endpoint": .string(base + revocationPath),
            "grant_types_supported": .array([
                .string(TokenRequest.GrantType.clientCredentials), .string(TokenRequest.GrantType.tokenExchange),
            ]),
            "response_types_supported": .array([]),
            "token_endpoint_auth_methods_supported": methods,
            "introspection_endpoint_auth_methods_supported": methods,
            "revocation_endpoint_auth_methods_supported": methods,
        ]
    }
}
