import JSON

// MARK: - token

/// `warden token …`: OAuth 2.0 grants at `/oauth/token`, introspection and revocation.
enum AdminTokenCommands {
    /// RFC 8693's grant type.
    static let tokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"
    /// RFC 8693's token type for an OAuth access token.
    static let accessTokenType = "urn:ietf:params:oauth:token-type:access_token"

    /// The text of `warden token --help`.
    static let usage = """
        usage: warden token --client-id AGENT --client-secret SECRET [--scope S ...] [--on-behalf-of user:ID]
               warden token exchange --subject-token TOKEN --client-id AGENT --client-secret SECRET
                                     [--audience AGENT] [--scope S ...]
               warden token introspect TOKEN
               warden token revoke TOKEN
        the first two print only the access token on standard output (TOKEN=$(warden token …) works);
        scope and lifetime go to standard error. introspect and revoke send the API key.
        """

    /// `warden token …`: grants, introspection, revocation.
    static func token(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        let action = invocation.arguments.positionals.first
        switch action {
        case nil: try clientCredentials(&invocation)
        case "exchange": try exchange(&invocation)
        case "introspect", "revoke":
            let arguments = invocation.arguments
            let token = try arguments.positional(1, "token")
            try arguments.finish(positionalCount: 2)
            let response = try invocation.client.sendForm("/oauth/" + (action ?? ""), [("token", token)], withKey: true)
            invocation.show(response) { body in
                if action == "revoke" {
                    print("revoked")
                } else {
                    let active = body["active"]?.boolValue == true
                    var pairs = [("active", active ? "true" : "false")]
                    for name in ["sub", "client_id", "scope", "exp", "jti"] where body[name] != nil {
                        pairs.append((name, AdminOutput.text(body[name])))
                    }
                    AdminOutput.fields(pairs)
                }
            }
        default: throw AdminCommand.unknownAction(action, in: "token")
        }
    }

    /// `warden token`: the client_credentials grant.
    private static func clientCredentials(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        let fields: [(String, String?)] = [
            ("grant_type", "client_credentials"), ("client_id", try arguments.required("client-id")),
            ("client_secret", try arguments.required("client-secret")), ("scope", joinedScopes(&arguments)),
            ("on_behalf_of", arguments.value("on-behalf-of")), ("audience", arguments.value("audience")),
        ]
        try arguments.finish(positionalCount: 0)
        try issue(invocation, fields)
    }

    /// `warden token exchange`: the RFC 8693 token-exchange grant, the callee authenticating.
    private static func exchange(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        let fields: [(String, String?)] = [
            ("grant_type", tokenExchangeGrant), ("subject_token", try arguments.required("subject-token")),
            ("subject_token_type", accessTokenType), ("client_id", try arguments.required("client-id")),
            ("client_secret", try arguments.required("client-secret")), ("audience", arguments.value("audience")),
            ("scope", joinedScopes(&arguments)),
        ]
        try arguments.finish(positionalCount: 1)
        try issue(invocation, fields)
    }

    /// Posts the grant and prints the token alone on standard output.
    private static func issue(_ invocation: AdminInvocation, _ fields: [(String, String?)]) throws(AdminFailure) {
        let response = try invocation.client.sendForm("/oauth/token", fields, withKey: false)
        invocation.show(response) { body in
            print(AdminOutput.text(body["access_token"]))
            FileHandleOutput.standardError(
                "scope: \(AdminOutput.text(body["scope"]))  expires_in: \(AdminOutput.text(body["expires_in"]))s")
        }
    }

    /// `--scope` values joined with spaces as OAuth wants them; nil when none were given.
    private static func joinedScopes(_ arguments: inout AdminArguments) -> String? {
        let scopes = arguments.list("scope")
        return scopes.isEmpty ? nil : scopes.joined(separator: " ")
    }
}
