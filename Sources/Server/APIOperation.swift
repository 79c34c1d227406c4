import Governance
import HTTP
import JSON

// MARK: - Operation

/// What the router made of one request: an answer it could give alone, a write or read for the
/// replica thread, or a route the runtime serves with data this layer does not hold.
public enum APIOperation: Sendable {
    /// A complete answer (errors, `/healthz`, `/openapi.json`): send it as is.
    case respond(HTTPResponse)
    /// A replicated write: authenticate, prepare, propose, wait for apply, render.
    case write(WriteOperation)
    /// A read of the applied state at the requested consistency.
    case read(ReadOperation)
    /// `POST /oauth/token` (form already parsed strictly).
    case oauthToken(OAuthRequest)
    /// `POST /oauth/introspect` (RFC 7662).
    case introspect(OAuthRequest)
    /// `POST /oauth/revoke` (RFC 7009).
    case revoke(OAuthRequest)
    /// `GET /.well-known/jwks.json`.
    case jwks
    /// `GET /.well-known/oauth-authorization-server` (RFC 8414).
    case authorizationServerMetadata
    /// `GET /v1/cluster`: render with `APIRendering.cluster`.
    case clusterInfo(RuntimeRequest)
    /// `POST /v1/cluster/members {id, address}`.
    case addMember(RuntimeRequest, memberID: String, address: String)
    /// `DELETE /v1/cluster/members/{id}`.
    case removeMember(RuntimeRequest, memberID: String)
    /// `POST /v1/cluster/leadership {to}`.
    case transferLeadership(RuntimeRequest, to: String)
    /// `GET /readyz`.
    case readyz
    /// `GET /metrics`: refresh the runtime gauges, then send `metrics.response()`.
    case metrics
    /// `GET /v1/feed` (SSE or long poll).
    case feed(FeedRequest)
    /// `POST /v1/enforcers/{id}/ack {revision}`.
    case enforcerAck(RuntimeRequest, enforcerID: String, revision: UInt64)
    /// `GET /v1/enforcers`: render with `APIRendering.enforcers`.
    case enforcers(RuntimeRequest)
}

// MARK: - Credentials and consistency

/// A bearer API key split into its parts (`wdn_<keyID>_<secret>`); the secret is not yet checked.
public struct APICredentials: Sendable, Hashable {
    /// The key id (looked up in `GovernanceState.apiKeys`).
    public var keyID: String
    /// The secret part as sent (its SHA-256 is compared with the stored hash).
    public var secret: String

    /// Credentials from their parts.
    public init(keyID: String, secret: String) {
        self.keyID = keyID
        self.secret = secret
    }
}

/// How fresh a read must be (API.md "Revisions").
public enum ReadConsistency: Sendable, Hashable {
    /// ReadIndex: reflects every write acknowledged before the read began (the default).
    case linearizable
    /// Whatever this node has applied.
    case serializable
    /// Wait until this node has applied at least this revision.
    case atLeast(UInt64)
}

/// The authenticated identity behind a request.
public struct AuthenticatedCaller: Sendable, Hashable {
    /// The API key id.
    public var keyID: String
    /// Its role.
    public var role: APIKeyRole

    /// A caller from its key id and role.
    public init(keyID: String, role: APIKeyRole) {
        self.keyID = keyID
        self.role = role
    }

    /// The actor recorded in the audit log for this caller's writes.
    public var actor: Actor { .apiKey(id: keyID, role: role) }
}

/// Secrets the runtime holds and never logs; the log only ever sees digests made with them.
public struct ServerSecrets: Sendable {
    /// Key of `HMACSHA256` over agent client secrets (`Agent.secretHash`).
    public var clientSecretKey: [UInt8]

    /// Secrets from their parts.
    public init(clientSecretKey: [UInt8]) {
        self.clientSecretKey = clientSecretKey
    }
}

// MARK: - Runtime-owned requests

/// A runtime-owned route's access requirements, already parsed; authenticate with
/// `Authentication.authorize(credentials:requiredRoles:state:)` on the replica thread.
public struct RuntimeRequest: Sendable {
    /// The bearer key (nil only on public routes).
    public var credentials: APICredentials?
    /// Roles allowed (empty: public).
    public var requiredRoles: Set<APIKeyRole>
    /// The requested read consistency.
    public var consistency: ReadConsistency

    /// A runtime request from its parts.
    public init(credentials: APICredentials?, requiredRoles: Set<APIKeyRole>, consistency: ReadConsistency = .linearizable) {
        self.credentials = credentials
        self.requiredRoles = requiredRoles
        self.consistency = consistency
    }
}

/// An OAuth endpoint's form (strictly parsed, no duplicates) and its `Authorization` header.
public struct OAuthRequest: Sendable, Hashable {
    /// The form parameters.
    public var form: [String: String]
    /// The raw `Authorization` header (HTTP Basic client authentication), if sent.
    public var authorization: String?

    /// An OAuth request from its parts.
    public init(form: [String: String], authorization: String?) {
        self.form = form
        self.authorization = authorization
    }
}

/// `GET /v1/feed` parameters.
public struct FeedRequest: Sendable, Hashable {
    /// The bearer key.
    public var credentials: APICredentials
    /// Resume after this revision (`since`, else `Last-Event-ID`); nil: start with a snapshot.
    public var since: UInt64?
    /// Long-poll seconds (`wait`) when the client did not ask for SSE.
    public var waitSeconds: Int?
    /// Whether `Accept` asks for `text/event-stream`.
    public var serverSentEvents: Bool
    /// `only=revocations`.
    public var onlyRevocations: Bool
}
