import Governance
import HTTP

// MARK: - Read

/// A read of the applied state. The runtime authorizes the caller, waits for `consistency`
/// (ReadIndex, nothing, or `appliedRevision >= R`) and calls `evaluate` on the replica thread.
public struct ReadOperation: Sendable {
    /// The route's name (metrics label), e.g. `GET /v1/agents`.
    public var routeName: String
    /// Roles allowed to read this.
    public var requiredRoles: Set<APIKeyRole>
    /// The bearer key.
    public var credentials: APICredentials
    /// How fresh the answer must be.
    public var consistency: ReadConsistency
    /// Renders the answer from the state.
    public var evaluate: @Sendable (ReadContext) -> ReadResult

    /// A read from its parts.
    public init(
        routeName: String, requiredRoles: Set<APIKeyRole>, credentials: APICredentials, consistency: ReadConsistency,
        evaluate: @escaping @Sendable (ReadContext) -> ReadResult
    ) {
        self.routeName = routeName
        self.requiredRoles = requiredRoles
        self.credentials = credentials
        self.consistency = consistency
        self.evaluate = evaluate
    }
}

/// What `evaluate` may read.
public struct ReadContext: Sendable {
    /// The applied state (its `appliedRevision` is the response's revision).
    public var state: GovernanceState
    /// The authenticated caller.
    public var caller: AuthenticatedCaller
    /// Wall-clock time for decisions (milliseconds since 1970).
    public var nowMilliseconds: Int64
    /// Random bytes for decision ids.
    public var randomBytes: @Sendable (Int) -> [UInt8]
    /// The durable audit log (records live on disk, not in the state).
    public var audit: any AuditReader
    /// Verifies a Warden access token (signature, issuer, expiry against the JWKS in `state`),
    /// giving the token as the decision sees it or why it is refused.
    public var verifyToken: @Sendable (String) -> Result<PresentedToken, TokenRefusal>

    /// A context from its parts.
    public init(
        state: GovernanceState, caller: AuthenticatedCaller, nowMilliseconds: Int64,
        randomBytes: @escaping @Sendable (Int) -> [UInt8], audit: any AuditReader,
        verifyToken: @escaping @Sendable (String) -> Result<PresentedToken, TokenRefusal>
    ) {
        self.state = state
        self.caller = caller
        self.nowMilliseconds = nowMilliseconds
        self.randomBytes = randomBytes
        self.audit = audit
        self.verifyToken = verifyToken
    }
}

/// A read's answer, plus the decisions it made (for the node to ship as its own decision batch).
public struct ReadResult: Sendable {
    /// The HTTP answer.
    public var response: HTTPResponse
    /// Decision records of `/v1/check` calls (empty for other reads).
    public var decisions: [DecisionRecord]

    /// A result from its parts.
    public init(response: HTTPResponse, decisions: [DecisionRecord] = []) {
        self.response = response
        self.decisions = decisions
    }
}

// MARK: - Audit storage

/// The durable audit log as the runtime stores it; reads run on the replica thread.
public protocol AuditReader: Sendable {
    /// Records with `seq > after`, oldest first, filtered by subject agent (`agent:<id>`) and type, at most `limit`.
    func records(after: UInt64, agent: String?, type: String?, limit: Int) -> [AuditRecord]
    /// Rechecks the whole chain from genesis.
    func verify() -> AuditVerification
}

/// Why a presented token could not be verified (bad signature, unknown key, malformed).
public struct TokenRefusal: Error, Sendable, Hashable {
    /// The explanation, returned in the decision's `token_invalid` reason.
    public var message: String

    /// A refusal with its explanation.
    public init(message: String) { self.message = message }
}
