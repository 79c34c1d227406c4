// MARK: - Bounds

/// Every bound the state machine enforces, named once with the reason for its value.
///
/// A command that exceeds one is a recorded `invalid_argument` rejection; a payload whose
/// encoding exceeds one fails to decode. Nothing in the module grows without a bound.
public enum GovernanceLimits {
    /// Longest id (agents, users, connections, keys, jti): API.md's `[A-Za-z0-9._:@-]{1,128}`.
    public static let maximumIdentifierBytes = 128
    /// Longest display name or reason text: enough for a sentence, small enough for the feed.
    public static let maximumTextBytes = 1_024
    /// Scopes an agent or connection may hold: far above real use, bounds the scope checks.
    public static let maximumScopes = 64
    /// Longest scope, `<type>:<relation>` with both parts at most an id long.
    public static let maximumScopeBytes = 2 * maximumIdentifierBytes + 1
    /// Attribute entries on an agent or a user.
    public static let maximumAttributes = 64
    /// Encoded size of one attribute map: attributes ride in every decision and feed event.
    public static let maximumAttributesBytes = 16 * 1_024
    /// Nesting of lists and maps inside a condition value (decoder recursion bound).
    public static let maximumValueNesting = 8
    /// Elements in one list or map inside a condition value.
    public static let maximumValueElements = 1_024
    /// Longest string inside a condition value.
    public static let maximumValueStringBytes = 4 * 1_024
    /// Tuples written plus deleted in one atomic write (OpenFGA's limit is 100).
    public static let maximumTuplesPerWrite = 100
    /// Longest tuple field (`user`, `object` are `type:id` plus an optional `#relation`).
    public static let maximumTupleFieldBytes = 3 * maximumIdentifierBytes
    /// Entries in a decision request's context.
    public static let maximumContextEntries = 64
    /// Encoded size of a decision request's context.
    public static let maximumContextBytes = 16 * 1_024
    /// Agents in one delegation chain (hops), the bound.
    public static let maximumChainLength = 8
    /// Canonical JSON of an authorization model.
    public static let maximumModelBytes = 1_024 * 1_024
    /// A hashed secret (HMAC-SHA-256 is 32 bytes; room for a longer MAC later).
    public static let maximumSecretHashBytes = 64
    /// A node's public signing key (Ed25519 is 32 bytes; room for other key types).
    public static let maximumPublicKeyBytes = 256
    /// Decision records in one enforcer batch.
    public static let maximumDecisionsPerBatch = 1_000
    /// Reasons in one decision record.
    public static let maximumReasonsPerDecision = 32
    /// Whole encoded log entry payload: a model plus its envelope.
    public static let maximumPayloadBytes = maximumModelBytes + 64 * 1_024
    /// Idempotency keys remembered; the oldest is evicted beyond this.
    public static let idempotencyCapacity = 100_000
    /// How long an idempotency key is remembered, measured with entry timestamps (24 h, as Stripe).
    public static let idempotencyRetentionMilliseconds: Int64 = 24 * 3_600 * 1_000
    /// Applied entries between sweeps of expired token records (amortises the sweep).
    public static let tokenSweepIntervalEntries = 4_096
    /// Largest risk signal severity (API.md: 0-100).
    public static let maximumSeverity = 100
    /// Longest token lifetime any setting or connection may allow (one day).
    public static let maximumTokenTTLSeconds: Int64 = 86_400
    /// Longest enforcer lease a setting may allow (one minute).
    public static let maximumEnforcerLeaseMilliseconds: Int64 = 60_000
    /// Largest risk threshold or hourly decay a setting may hold.
    public static let maximumRiskSetting: Double = 1_000_000
}

// MARK: - Table sizes

extension GovernanceLimits {
    /// Registered agents and services (the sizing target is 1 M; headroom for churn).
    public static let maximumAgents = 4_000_000
    /// Users with attributes or a cut.
    public static let maximumUsers = 4_000_000
    /// Connections.
    public static let maximumConnections = 1_000_000
    /// Relationship tuples (the sizing target is 10 M).
    public static let maximumTuples = 40_000_000
    /// Live issued-token records and revoked-token records, each (expired ones are swept).
    public static let maximumLiveTokens = 4_000_000
    /// API keys.
    public static let maximumAPIKeys = 10_000
    /// Signing keys, current and retired.
    public static let maximumSigningKeys = 1_000
    /// Decision-batch sources (enforcers and nodes).
    public static let maximumDecisionSources = 100_000
}
