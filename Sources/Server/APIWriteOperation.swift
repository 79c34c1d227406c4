import Governance
import HTTP
import JSON

// MARK: - Write

/// A replicated write, ready for the replica thread. The runtime: authorizes the caller
/// (`Authentication.authorize`), calls `makeCommand` against the current applied state, proposes
/// `LogEntryPayload(timestamp, idempotencyKey, prepared.actor, prepared.command)`, waits for the
/// outcome and sends `prepared.render(completion)`.
public struct WriteOperation: Sendable {
    /// The route's name (metrics label), e.g. `POST /v1/agents`.
    public var routeName: String
    /// Roles allowed to make this write.
    public var requiredRoles: Set<APIKeyRole>
    /// The bearer key.
    public var credentials: APICredentials
    /// The `Idempotency-Key` header, already checked to be an id.
    public var idempotencyKey: String?
    /// Kill only: wait until every connected enforcer acknowledged before answering.
    public var waitForEnforcers: Bool
    /// Builds the command (or a 4xx problem) against the applied state; runs on the replica thread.
    public var makeCommand: @Sendable (WriteContext) -> Result<PreparedWrite, APIRefusal>

    /// A write from its parts.
    public init(
        routeName: String, requiredRoles: Set<APIKeyRole>, credentials: APICredentials, idempotencyKey: String?,
        waitForEnforcers: Bool = false,
        makeCommand: @escaping @Sendable (WriteContext) -> Result<PreparedWrite, APIRefusal>
    ) {
        self.routeName = routeName
        self.requiredRoles = requiredRoles
        self.credentials = credentials
        self.idempotencyKey = idempotencyKey
        self.waitForEnforcers = waitForEnforcers
        self.makeCommand = makeCommand
    }
}

/// What `makeCommand` may read: the state, who asks, the node's secrets and its randomness.
public struct WriteContext: Sendable {
    /// The current applied state.
    public var state: GovernanceState
    /// The authenticated caller.
    public var caller: AuthenticatedCaller
    /// Secrets for hashing generated credentials.
    public var secrets: ServerSecrets
    /// A source of cryptographically random bytes (`SecureRandom.bytes` in production, seeded in tests).
    public var randomBytes: @Sendable (Int) -> [UInt8]

    /// A context from its parts.
    public init(
        state: GovernanceState, caller: AuthenticatedCaller, secrets: ServerSecrets,
        randomBytes: @escaping @Sendable (Int) -> [UInt8]
    ) {
        self.state = state
        self.caller = caller
        self.secrets = secrets
        self.randomBytes = randomBytes
    }
}

/// A command ready to propose, with what its response needs besides the applied result
/// (a generated secret, shown once, never logged).
public struct PreparedWrite: Sendable {
    /// Who the audit log records as proposing it.
    public var actor: Actor
    /// The command to propose.
    public var command: Command
    /// Turns the outcome into the HTTP answer.
    public var render: @Sendable (WriteCompletion) -> HTTPResponse

    /// A prepared write from its parts.
    public init(actor: Actor, command: Command, render: @escaping @Sendable (WriteCompletion) -> HTTPResponse) {
        self.actor = actor
        self.command = command
        self.render = render
    }
}

// MARK: - Completion

/// Enforcer acknowledgements of a kill, for its response.
public struct EnforcerAcknowledgement: Sendable, Hashable {
    /// Enforcers that applied the kill's revision.
    public var acknowledged: Int
    /// Enforcers known to the node.
    public var total: Int
    /// When every enforcer lease has run out (milliseconds since 1970): the kill is in force everywhere by then.
    public var fencedByMilliseconds: Int64

    /// An acknowledgement summary from its parts.
    public init(acknowledged: Int, total: Int, fencedByMilliseconds: Int64) {
        self.acknowledged = acknowledged
        self.total = total
        self.fencedByMilliseconds = fencedByMilliseconds
    }
}

/// An entry that applied, as the response needs it.
public struct AppliedWrite: Sendable {
    /// The entry's revision.
    public var revision: UInt64
    /// The typed result (a rejection renders as a 4xx problem).
    public var result: CommandResult
    /// `ApplyOutcome.replayed`: the idempotency key was seen before and `result` is the first one;
    /// secrets generated for this retry were never stored, so they are not shown.
    public var replayed: Bool
    /// Kill only: enforcer acknowledgements of the kill's revision.
    public var enforcers: EnforcerAcknowledgement?

    /// An applied write from its parts.
    public init(revision: UInt64, result: CommandResult, replayed: Bool = false, enforcers: EnforcerAcknowledgement? = nil) {
        self.revision = revision
        self.result = result
        self.replayed = replayed
        self.enforcers = enforcers
    }
}

/// How a proposed write ended.
public enum WriteCompletion: Sendable {
    /// The entry applied (its result may be a rejection, rendered as a 4xx problem).
    case applied(AppliedWrite)
    /// The write was definitely not applied (no leader, proposal dropped before append): 503, retry.
    case unavailable(detail: String, retryAfterSeconds: Int)
    /// The write may or may not have applied (leader lost after append, timeout): 504.
    case ambiguous(detail: String)
}
