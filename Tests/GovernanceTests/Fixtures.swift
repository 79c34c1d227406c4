import Authorization
@testable import Governance

// MARK: - A state with a revision counter

/// Applies commands with consecutive revisions and a controllable leader clock.
struct Harness {
    var state = GovernanceState()
    var revision: UInt64 = 0
    var nowMilliseconds: Int64 = 1_800_000_000_000
    var actor: Actor = .apiKey(id: "admin-key", role: .admin)

    @discardableResult
    mutating func apply(_ command: Command, idempotencyKey: String? = nil, actor: Actor? = nil) -> ApplyOutcome {
        revision += 1
        let payload = LogEntryPayload(
            timestampMilliseconds: nowMilliseconds, idempotencyKey: idempotencyKey, actor: actor ?? self.actor, command: command)
        return state.apply(payload, revision: revision)
    }

    /// Applies and returns the result, for tests that only look at it.
    @discardableResult
    mutating func result(_ command: Command, idempotencyKey: String? = nil) -> CommandResult {
        apply(command, idempotencyKey: idempotencyKey).result
    }

    mutating func advance(milliseconds: Int64) { nowMilliseconds += milliseconds }

    mutating func register(_ id: String, scopes: [String] = ["invoice:*"], owner: String = "anne",
                           kind: AgentKind = .agent, attributes: [String: ConditionValue] = [:]) {
        let result = result(.registerAgent(AgentRegistration(
            id: id, name: "Agent \(id)", owner: owner, kind: kind, scopes: scopes, attributes: attributes,
            secretHash: [UInt8](repeating: 7, count: 32))))
        precondition(!result.isRejection, "fixture registration failed: \(result)")
    }

    mutating func connect(_ caller: String, _ callee: String, scopes: [String] = ["invoice:*"], ttl: Int64 = 300,
                          expiresAt: Int64? = nil) {
        let result = result(.createConnection(Connection(
            id: "\(caller)-\(callee)", caller: caller, callee: callee, scopes: scopes, maxTokenTTLSeconds: ttl,
            expiresAtMilliseconds: expiresAt)))
        precondition(!result.isRejection, "fixture connection failed: \(result)")
    }

    /// Records a first token for `agent` and returns it as presented.
    mutating func issue(_ jti: String, chain: [String], subject: String = "user:anne", scopes: [String] = ["invoice:*"],
                        lifetimeMilliseconds: Int64 = 600_000) -> PresentedToken {
        let result = result(.tokenIssued(IssuedToken(
            jti: jti, subject: subject, chain: chain, scopes: scopes,
            expiresAtMilliseconds: nowMilliseconds + lifetimeMilliseconds)))
        guard case .tokenIssued(let token) = result else { preconditionFailure("fixture issuance failed: \(result)") }
        return token.presented
    }
}

/// The rejection code of a result, nil for a success.
func rejectionCode(_ result: CommandResult) -> String? {
    if case .rejected(let rejection) = result { return rejection.code }
    return nil
}

/// The field of an `invalid_argument` rejection.
func rejectedField(_ result: CommandResult) -> String? {
    if case .rejected(.invalidArgument(let field, _)) = result { return field }
    return nil
}

// MARK: - Deterministic randomness

/// SplitMix64: a tiny fixed-seed generator for property tests (no system randomness).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
