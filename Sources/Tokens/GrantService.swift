import Crypto
import Governance
import JSON

// MARK: - Prepared grant and response

/// A grant decided against the state and waiting for its `Command.tokenIssued` to commit: the
/// server proposes `command`, waits for it to apply, then calls `GrantService.finish`.
public struct PreparedGrant: Sendable, Hashable {
    /// The command to propose: records jti, subject, chain, scopes and expiry before any token exists.
    public let command: Command
    /// The record as proposed (the apply sets its revision and issue time).
    public let proposedToken: IssuedToken
    /// `iss` of the token to sign.
    public let issuer: String
    /// `aud` of the token to sign.
    public let audience: String
    /// `client_id` of the token to sign: the authenticated agent.
    public let clientID: String
    /// Whether this is a token exchange (the response then names `issued_token_type`).
    public let isExchange: Bool
    /// The applied revision the grant was decided at.
    public let decidedAtRevision: UInt64
}

/// The successful token response (RFC 6749 §5.1, RFC 8693 §2.2.1).
public struct TokenResponse: Sendable, Hashable {
    /// The signed JWT.
    public var accessToken: String
    /// Always `Bearer`.
    public var tokenType: String
    /// Seconds until `exp`, counted from `iat`.
    public var expiresIn: Int64
    /// The granted scopes, space-separated.
    public var scope: String
    /// RFC 8693: the type of the issued token, for token exchange only.
    public var issuedTokenType: String?

    /// The JSON body.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = [
            "access_token": .string(accessToken), "token_type": .string(tokenType),
            "expires_in": .integer(expiresIn), "scope": .string(scope),
        ]
        if let issuedTokenType { members["issued_token_type"] = .string(issuedTokenType) }
        return .object(members)
    }
}

// MARK: - Service

/// The grant logic of `/oauth/token`, in two phases because issuing is a replicated write:
/// `prepare` (pure: parse, authenticate, consult Governance policy) and `finish` (sign once
/// the `tokenIssued` command committed and passed apply's re-validation).
public enum GrantService {
    /// Most scopes one request may name.
    public static let maximumRequestedScopes = GovernanceLimits.maximumScopes
    /// Longest identifier (client id, audience, `on_behalf_of`, jti), as Governance bounds ids.
    public static let maximumIdentifierBytes = GovernanceLimits.maximumIdentifierBytes
    /// The only token type Warden returns.
    public static let bearer = "Bearer"
    /// A hash no secret matches, compared for unknown clients so they take as long as known ones.
    static let unknownClientHash = [UInt8](repeating: 0, count: SHA256.digestByteCount)

    /// Decides a token request against `state` at `nowMilliseconds`. `newJTI` is the id the token
    /// will carry (the server draws it from the CSPRNG); `clientSecretKey` is the cluster's key
    /// for client secret hashes; `verifier` supplies the key ring and issuer for subject and
    /// actor tokens (their audience is not checked: the authorization server accepts its own
    /// tokens for any resource server).
    public static func prepare(
        request: TokenRequest, state: GovernanceState, verifier: TokenVerifier, clientSecretKey: [UInt8],
        nowMilliseconds: Int64, issuer: String, newJTI: String
    ) -> Result<PreparedGrant, OAuthError> {
        precondition(isIdentifier(newJTI), "the server must draw a well-formed jti")
        guard let grantType = request[TokenRequest.Parameter.grantType] else {
            return .failure(OAuthError(.invalidRequest, "grant_type is required"))
        }
        let credentials: PresentedClientCredentials?
        switch request.clientCredentials() {
        case .success(let presented): credentials = presented
        case .failure(let error): return .failure(error)
        }
        let context = GrantContext(
            request: request, state: state, verifier: verifier, clientSecretKey: clientSecretKey,
            nowMilliseconds: nowMilliseconds, issuer: issuer, jti: newJTI, credentials: credentials)
        switch grantType {
        case TokenRequest.GrantType.clientCredentials: return context.clientCredentialsGrant()
        case TokenRequest.GrantType.tokenExchange: return context.tokenExchangeGrant()
        default:
            return .failure(OAuthError(
                .unsupportedGrantType, "grant_type must be client_credentials or urn:ietf:params:oauth:grant-type:token-exchange"))
        }
    }

    /// Signs the token once `prepared.command` has applied. `appliedResult` is the apply's
    /// result for that entry: a rejection (an agent killed, a connection deleted, a user cut in
    /// between) becomes `access_denied` with apply's reason and no token. `iat` and `warden_rev`
    /// are the issuing entry's own, so a token minted right after a reinstatement is valid.
    public static func finish(
        _ prepared: PreparedGrant, signer: TokenSigner, appliedResult: CommandResult
    ) -> Result<TokenResponse, OAuthError> {
        let recorded: IssuedToken
        switch appliedResult {
        case .tokenIssued(let token):
            precondition(token.jti == prepared.proposedToken.jti, "finish called with another token's result")
            recorded = token
        case .rejected(let rejection):
            return .failure(OAuthError(.accessDenied, "refused when recorded: \(rejection.message)"))
        default:
            preconditionFailure("finish called with the result of another command")
        }
        let issuedAt = recorded.issuedAtMilliseconds / millisecondsPerSecond
        let expiresAt = recorded.expiresAtMilliseconds / millisecondsPerSecond
        guard expiresAt > issuedAt else {
            return .failure(OAuthError(.invalidGrant, "the grant's remaining lifetime is under one second"))
        }
        let claims = AccessTokenClaims(
            issuer: prepared.issuer, subject: recorded.subject, audience: prepared.audience, expiresAt: expiresAt,
            issuedAt: issuedAt, jwtID: recorded.jti, scopes: recorded.scopes, clientID: prepared.clientID,
            actorChain: recorded.chain, wardenRevision: recorded.issuedRevision)
        let token: String
        do {
            token = try signer.sign(claims)
        } catch {
            return .failure(OAuthError(.invalidRequest, "the token cannot be signed: \(error)"))
        }
        return .success(TokenResponse(
            accessToken: token, tokenType: bearer, expiresIn: expiresAt - issuedAt, scope: claims.scopeClaim,
            issuedTokenType: prepared.isExchange ? TokenRequest.TokenType.accessToken : nil))
    }

    /// `[A-Za-z0-9._:@-]{1,128}`, the id form of API.md.
    static func isIdentifier(_ value: String) -> Bool {
        let bytes = value.utf8
        return !bytes.isEmpty && bytes.count <= maximumIdentifierBytes && bytes.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || Array("._:@-".utf8).contains(byte)
        }
    }
}
