// MARK: - Warden's kill switch, exactly as Governance applies it

/// The kill switch as Governance implements it, keyed by agent id: `register` creates an active
/// agent (rejected when it exists); `kill` marks it killed (rejected when unknown, accepted again
/// when already killed); `reinstate` makes a killed agent active (rejected when unknown or
/// already active); `check` allows iff the agent exists and is active. The chaos workload's
/// history is checked against it one agent at a time.
public struct WardenKillSwitchModel: SequentialModel {
    /// The operations, shared with the textbook `KillSwitchModel`.
    public typealias Input = KillSwitchModel<String>.Input
    /// The results, shared with the textbook `KillSwitchModel`.
    public typealias Output = KillSwitchModel<String>.Output

    /// No agent exists at first.
    public var initialState: [String: AgentStatus] { [:] }

    /// The textbook model with Governance's reinstate rule; the other rules are the same.
    private let rules = KillSwitchModel<String>(reinstateRule: .onlyWhenKilled)

    /// Creates the model.
    public init() {}

    /// Applies one operation; see the type's documentation for the rules.
    public func step(
        _ state: [String: AgentStatus],
        input: Input,
        output: Output?
    ) -> (accepted: Bool, state: [String: AgentStatus]) {
        rules.step(state, input: input, output: output)
    }

    /// One partition per agent.
    public func partition(_ operations: [HistoryOperation<Input, Output>]) -> [[HistoryOperation<Input, Output>]] {
        partition(operations, byKey: \.agent)
    }
}
