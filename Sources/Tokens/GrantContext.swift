import Governance

// MARK: - One request being decided

/// Everything `GrantService.prepare` decides with, so each grant's steps stay short.
struct GrantContext {
    let request: TokenRequest
    let state: GovernanceState
    let verifier: TokenVerifier
    let clientSecretKey: [UInt8]
    let nowMilliseconds: Int64
    let issuer: String
    let jti: String
    let credentials: PresentedClientCredentials?

    typealias Parameter = TokenRequest.Parameter

    // MARK: - client_credentials

    /// RFC 6749 §4.4: the agent authenticates and asks for scopes within its own, optionally
    /// acting for a user where Governance allows it.
    func clientCredentialsGrant() -> Result<PreparedGrant, OAuthError> {
        for name in [Parameter.subjectToken, Parameter.actorToken, Parameter.subjectTokenType, Parameter.actorTokenType]
        where request[name] != nil {
            return .failure(OAuthError(.invalidRequest, "\(name) is a token-exchange parameter, not a client_credentials one"))
        }
        guard let credentials else {
            return .failure(OAuthError(.invalidClient, "client authentication is required (HTTP Basic or client_id/client_secret)"))
        }
        let clientID: String, scopes: [String]?
        switch authenticate(credentials) {
        case .success(let id): clientID = id
        case .failure(let error): return .failure(error)
        }
        switch requestedScopes() {
        case .success(let requested): scopes = requested
        case .failure(let error): return .failure(error)
        }
        let onBehalfOf = request[Parameter.onBehalfOf]
        if let onBehalfOf, !GrantService.isIdentifier(onBehalfOf) {
            return .failure(OAuthError(.invalidRequest, "on_behalf_of must be an id such as user:anne"))
        }
        let audience = request[Parameter.audience] ?? clientID
        guard GrantService.isIdentifier(audience) else {
            return .failure(OAuthError(.invalidTarget, "audience must match [A-Za-z0-9._:@-]{1,128}"))
        }
        let decision = state.authorizeClientCredentials(
            agent: clientID, requestedScopes: scopes, onBehalfOf: onBehalfOf, nowMilliseconds: nowMilliseconds)
        return prepared(decision, clientID: clientID, audience: audience, isExchange: false)
    }

    // MARK: - Token exchange

    /// RFC 8693: the actor (the callee) authenticates and presents the caller's token; Governance's
    /// delegation rules decide. The new token keeps the original subject and extends the chain.
    func tokenExchangeGrant() -> Result<PreparedGrant, OAuthError> {
        if request[Parameter.onBehalfOf] != nil {
            return .failure(OAuthError(.invalidRequest, "on_behalf_of is not allowed in token exchange: the subject token's subject is kept"))
        }
        if request[Parameter.resource] != nil {
            return .failure(OAuthError(.invalidTarget, "resource is not supported: name the callee with audience"))
        }
        if let requested = request[Parameter.requestedTokenType], !TokenRequest.TokenType.isAccepted(requested) {
            return .failure(OAuthError(.invalidRequest, "requested_token_type must be an access token type"))
        }
        let callerToken: PresentedToken, actor: String, scopes: [String]?
        switch presentedToken(Parameter.subjectToken, typeParameter: Parameter.subjectTokenType, required: true) {
        case .success(let token?): callerToken = token
        case .success(nil): preconditionFailure("a required token is present")
        case .failure(let error): return .failure(error)
        }
        switch authenticatedActor() {
        case .success(let id): actor = id
        case .failure(let error): return .failure(error)
        }
        if let audience = request[Parameter.audience], audience != actor, audience != TokenLiveness.agentPrefix + actor {
            return .failure(OAuthError(
                .invalidTarget, "audience must name the authenticated actor: the callee requests its own delegated token"))
        }
        switch requestedScopes() {
        case .success(let requested): scopes = requested
        case .failure(let error): return .failure(error)
        }
        let decision = state.authorizeDelegation(
            callerToken: callerToken, actor: actor, requestedScopes: scopes, nowMilliseconds: nowMilliseconds)
        return prepared(decision, clientID: actor, audience: actor, isExchange: true)
    }

    /// The actor: the authenticated client, or the agent of a valid `actor_token` (its own
    /// first token); when both are given they must name the same agent.
    private func authenticatedActor() -> Result<String, OAuthError> {
        var clientID: String?
        if let credentials {
            switch authenticate(credentials) {
            case .success(let id): clientID = id
            case .failure(let error): return .failure(error)
            }
        }
        let actorToken: PresentedToken?
        switch presentedToken(Parameter.actorToken, typeParameter: Parameter.actorTokenType, required: false) {
        case .success(let token): actorToken = token
        case .failure(let error): return .failure(error)
        }
        if let actorToken {
            guard actorToken.chain.count == 1 else {
                return .failure(OAuthError(.invalidGrant, "actor_token must be the actor's own token, not a delegated one"))
            }
            if let clientID, clientID != actorToken.chain[0] {
                return .failure(OAuthError(.invalidRequest, "actor_token and the client credentials name different agents"))
            }
            return .success(actorToken.chain[0])
        }
        guard let clientID else {
            return .failure(OAuthError(.invalidClient, "the actor must authenticate: client credentials or actor_token"))
        }
        return .success(clientID)
    }

    // MARK: - Steps

    /// The agent id when the secret matches its stored hash. Unknown client and wrong secret
    /// take the same path and get the same answer.
    func authenticate(_ credentials: PresentedClientCredentials) -> Result<String, OAuthError> {
        let agent = GrantService.isIdentifier(credentials.clientID) ? state.agents[credentials.clientID] : nil
        let storedHash = agent?.secretHash ?? GrantService.unknownClientHash
        let matches = ClientSecret.matches(credentials.secret, storedHash: storedHash, key: clientSecretKey)
        guard matches, let agent else {
            return .failure(OAuthError(.invalidClient, "client authentication failed"))
        }
        return .success(agent.id)
    }

    /// The `scope` parameter split on spaces; nil when absent (Governance's default applies).
    func requestedScopes() -> Result<[String]?, OAuthError> {
        guard let text = request[Parameter.scope] else { return .success(nil) }
        let scopes = text.split(separator: " ").map(String.init)
        guard scopes.count <= GrantService.maximumRequestedScopes else {
            return .failure(OAuthError(.invalidScope, "at most \(GrantService.maximumRequestedScopes) scopes may be requested"))
        }
        if scopes.isEmpty { return .success(nil) }
        if scopes.contains(where: { !Scope.isValid($0) }) {
            return .failure(OAuthError(.invalidScope, "every scope must be <type>:<relation> or <type>:*"))
        }
        return .success(scopes)
    }

    /// A subject or actor token: type named and accepted, signature valid, and alive in `state`.
    private func presentedToken(
        _ name: String, typeParameter: String, required: Bool
    ) -> Result<PresentedToken?, OAuthError> {
        guard let token = request[name] else {
            return required ? .failure(OAuthError(.invalidRequest, "\(name) is required")) : .success(nil)
        }
        guard let type = request[typeParameter] else {
            return .failure(OAuthError(.invalidRequest, "\(typeParameter) is required with \(name)"))
        }
        guard TokenRequest.TokenType.isAccepted(type) else {
            return .failure(OAuthError(
                .invalidRequest, "\(typeParameter) must be urn:ietf:params:oauth:token-type:access_token or …:jwt"))
        }
        let verified: VerifiedToken
        do {
            verified = try TokenLiveness.verify(token, verifier: verifier, state: state, nowMilliseconds: nowMilliseconds)
        } catch {
            return .failure(OAuthError(.invalidGrant, "\(name) is not valid: \(error)"))
        }
        let presented = PresentedToken(verified: verified)
        if let problem = TokenLiveness.problem(presented, state: state, nowMilliseconds: nowMilliseconds) {
            return .failure(OAuthError(.invalidGrant, "\(name) is not valid: \(problem)"))
        }
        return .success(presented)
    }

    /// The command and claims for a granted decision; the expiry is cut to whole seconds (JWT
    /// times are seconds), never lengthened.
    private func prepared(
        _ decision: Result<DelegationGrant, DelegationRefusal>, clientID: String, audience: String, isExchange: Bool
    ) -> Result<PreparedGrant, OAuthError> {
        let grant: DelegationGrant
        switch decision {
        case .success(let granted): grant = granted
        case .failure(let refusal): return .failure(OAuthError(refusal))
        }
        let expiresAt = grant.expiresAtMilliseconds / millisecondsPerSecond * millisecondsPerSecond
        guard expiresAt > nowMilliseconds else {
            return .failure(OAuthError(.invalidGrant, "the grant's remaining lifetime is under one second"))
        }
        let token = IssuedToken(
            jti: jti, subject: grant.subject, chain: grant.chain, scopes: grant.scopes, expiresAtMilliseconds: expiresAt)
        return .success(PreparedGrant(
            command: .tokenIssued(token), proposedToken: token, issuer: issuer, audience: audience, clientID: clientID,
            isExchange: isExchange, decidedAtRevision: state.appliedRevision))
    }
}
