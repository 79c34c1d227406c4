import Crypto
import Governance
import HTTP

// MARK: - Authentication

/// Bearer API keys (`wdn_<keyID>_<secret>`) checked against the applied state's hashed keys.
public enum Authentication {
    /// The key prefix that makes keys recognisable (secret scanners, logs).
    public static let keyPrefix = "wdn_"
    /// The longest `Authorization` header value considered (longer is refused, not parsed).
    public static let maximumHeaderBytes = 512

    /// The credentials in an `Authorization: Bearer wdn_<keyID>_<secret>` header, or nil when
    /// absent or not of that form.
    public static func parseBearer(_ header: String?) -> APICredentials? {
        guard let header, header.utf8.count <= maximumHeaderBytes else { return nil }
        let scheme = "bearer "
        guard header.utf8.count > scheme.utf8.count, header.prefix(scheme.count).lowercased() == scheme else { return nil }
        let token = header.dropFirst(scheme.count).drop { $0 == " " }
        guard token.hasPrefix(keyPrefix) else { return nil }
        let rest = token.dropFirst(keyPrefix.count)
        guard let separator = rest.firstIndex(of: "_") else { return nil }
        let keyID = String(rest[..<separator]), secret = String(rest[rest.index(after: separator)...])
        guard APIValidation.isIdentifier(keyID), !secret.isEmpty, !secret.contains(" ") else { return nil }
        return APICredentials(keyID: keyID, secret: secret)
    }

    /// The caller behind `credentials`, or a 401 problem. Compares digests in constant time.
    public static func authenticate(bearer credentials: APICredentials?, state: GovernanceState) -> Result<AuthenticatedCaller, APIRefusal> {
        guard let credentials else { return .failure(APIRefusal(unauthenticated("missing or malformed bearer API key", revision: state.appliedRevision))) }
        guard let key = state.apiKeys[credentials.keyID] else {
            return .failure(APIRefusal(unauthenticated("unknown or deleted API key", revision: state.appliedRevision)))
        }
        guard constantTimeEqual(APIKeys.hash(secret: credentials.secret), key.keyHash) else {
            return .failure(APIRefusal(unauthenticated("wrong API key secret", revision: state.appliedRevision)))
        }
        return .success(AuthenticatedCaller(keyID: key.id, role: key.role))
    }

    /// Authenticates, then checks the role: 401 for bad credentials, 403 for a role not in `requiredRoles`.
    public static func authorize(
        credentials: APICredentials?, requiredRoles: Set<APIKeyRole>, routeName: String, state: GovernanceState
    ) -> Result<AuthenticatedCaller, APIRefusal> {
        switch authenticate(bearer: credentials, state: state) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let caller):
            guard requiredRoles.contains(caller.role) else {
                return .failure(APIRefusal(Problem.forbidden(role: caller.role, route: routeName).response(revision: state.appliedRevision)))
            }
            return .success(caller)
        }
    }

    /// A 401 problem with the `WWW-Authenticate` challenge RFC 6750 asks for.
    public static func unauthenticated(_ detail: String, revision: UInt64? = nil) -> HTTPResponse {
        Problem.unauthenticated(detail).response(revision: revision, headers: [("WWW-Authenticate", "Bearer realm=\"warden\"")])
    }
}

// MARK: - Key generation

/// Creating operator API keys: the plaintext is returned once, the state keeps its SHA-256.
public enum APIKeys {
    /// Random bytes in a key id (hex, so ids never hold the `_` separator).
    public static let keyIDByteCount = 8
    /// Random bytes in a key secret: 256 bits make a plain (unsalted) hash sufficient.
    public static let secretByteCount = 32

    /// A new key: the `APIKey` to store (hash only) and the plaintext `wdn_<id>_<secret>`.
    public static func generate(
        name: String, role: APIKeyRole, randomBytes: (Int) -> [UInt8]
    ) -> (key: APIKey, plaintext: String) {
        let keyIDBytes = randomBytes(keyIDByteCount), secretBytes = randomBytes(secretByteCount)
        precondition(keyIDBytes.count == keyIDByteCount && secretBytes.count == secretByteCount, "short random read")
        let keyID = APIValidation.hex(keyIDBytes)
        let secret = Base64URL.encode(secretBytes)
        let key = APIKey(id: keyID, name: name, role: role, keyHash: hash(secret: secret))
        return (key, Authentication.keyPrefix + keyID + "_" + secret)
    }

    /// The stored digest of a key secret.
    public static func hash(secret: String) -> [UInt8] { SHA256.hash(Array(secret.utf8)) }
}
