// MARK: - Register

/// A single read/write register, the textbook linearizability model.
public struct RegisterModel<Value: Hashable>: SequentialModel {
    /// A register operation.
    public enum Input: Hashable {
        /// Read the current value.
        case read
        /// Overwrite the value.
        case write(Value)
    }

    /// A register result.
    public enum Output: Hashable {
        /// The value a read returned; `nil` when nothing was written yet.
        case value(Value?)
        /// A write was applied.
        case written
    }

    /// The register starts empty.
    public var initialState: Value? { nil }

    /// Creates the model.
    public init() {}

    /// Reads must return the current value; writes replace it.
    public func step(_ state: Value?, input: Input, output: Output?) -> (accepted: Bool, state: Value?) {
        switch input {
        case .read:
            return (output == nil || output == .value(state), state)
        case .write(let value):
            return (output == nil || output == .written, value)
        }
    }
}

// MARK: - Key-value store

/// A map of independent registers, checked one key at a time (P-compositionality).
public struct KeyValueModel<Key: Hashable, Value: Hashable>: SequentialModel {
    /// A key-value operation.
    public enum Input: Hashable {
        /// Read the value under a key.
        case get(Key)
        /// Overwrite the value under a key.
        case put(Key, Value)

        /// The key the operation touches.
        public var key: Key {
            switch self {
            case .get(let key), .put(let key, _): return key
            }
        }
    }

    /// A key-value result.
    public enum Output: Hashable {
        /// The value a get returned; `nil` when the key was never written.
        case value(Value?)
        /// A put was applied.
        case stored
    }

    /// The store starts empty.
    public var initialState: [Key: Value] { [:] }

    /// Creates the model.
    public init() {}

    /// Gets must return the key's current value; puts replace it.
    public func step(_ state: [Key: Value], input: Input, output: Output?) -> (accepted: Bool, state: [Key: Value]) {
        switch input {
        case .get(let key):
            return (output == nil || output == .value(state[key]), state)
        case .put(let key, let value):
            var nextState = state
            nextState[key] = value
            return (output == nil || output == .stored, nextState)
        }
    }

    /// One partition per key: keys are independent registers.
    public func partition(_ operations: [HistoryOperation<Input, Output>]) -> [[HistoryOperation<Input, Output>]] {
        partition(operations, byKey: \.key)
    }
}

// MARK: - Kill switch

/// Where an agent stands in the kill-switch model.
public enum AgentStatus: Hashable, Sendable {
    /// Registered and allowed to act.
    case active
    /// Killed: every check must deny it until it is reinstated.
    case killed
}

/// Warden's kill switch as a sequential model, keyed by agent: registering makes an agent
/// active, `kill` and `reinstate` set its status, and `check` allows it iff it is active.
/// Checking this model per agent is what proves "no check allows an agent after its kill was
/// acknowledged" under real-time order.
public struct KillSwitchModel<Agent: Hashable>: SequentialModel {
    /// A kill-switch operation on one agent.
    public enum Input: Hashable {
        /// Register the agent (active); rejected when it already exists.
        case register(Agent)
        /// Mark the agent killed; rejected when it does not exist.
        case kill(Agent)
        /// Mark the agent active again; rejected when it does not exist.
        case reinstate(Agent)
        /// Ask whether the agent may act.
        case check(Agent)

        /// The agent the operation is about.
        public var agent: Agent {
            switch self {
            case .register(let agent), .kill(let agent), .reinstate(let agent), .check(let agent):
                return agent
            }
        }
    }

    /// A kill-switch result.
    public enum Output: Hashable {
        /// The write was applied.
        case done
        /// The write was refused because of the agent's state (and changed nothing).
        case rejected
        /// A check's decision.
        case allowed(Bool)
    }

    /// When `reinstate` applies.
    public enum ReinstateRule: Hashable, Sendable {
        /// To any registered agent (the textbook register).
        case whenRegistered
        /// Only to a killed agent; reinstating an active one is rejected (Governance's rule).
        case onlyWhenKilled
    }

    /// When `reinstate` applies.
    public let reinstateRule: ReinstateRule

    /// No agent is registered at first; an absent agent is unregistered.
    public var initialState: [Agent: AgentStatus] { [:] }

    /// Creates the model.
    public init(reinstateRule: ReinstateRule = .whenRegistered) {
        self.reinstateRule = reinstateRule
    }

    /// Applies one operation; see `Input` for the rules.
    public func step(
        _ state: [Agent: AgentStatus],
        input: Input,
        output: Output?
    ) -> (accepted: Bool, state: [Agent: AgentStatus]) {
        let status = state[input.agent]
        let expected: Output
        var nextState = state
        switch input {
        case .register(let agent):
            expected = status == nil ? .done : .rejected
            if status == nil { nextState[agent] = .active }
        case .kill(let agent):
            expected = status == nil ? .rejected : .done
            if status != nil { nextState[agent] = .killed }
        case .reinstate(let agent):
            let applies = reinstateRule == .onlyWhenKilled ? status == .killed : status != nil
            expected = applies ? .done : .rejected
            if applies { nextState[agent] = .active }
        case .check:
            expected = .allowed(status == .active)
        }
        return (output == nil || output == expected, nextState)
    }

    /// One partition per agent: agents do not interact in this model.
    public func partition(_ operations: [HistoryOperation<Input, Output>]) -> [[HistoryOperation<Input, Output>]] {
        partition(operations, byKey: \.agent)
    }
}

// MARK: - Benchmark histories

extension KeyValueModel where Key == Int, Value == Int {
    /// Clients issuing operations concurrently in `benchmarkHistory`; sixteen overlapping
    /// clients is more contention per key than Warden's workload puts on one agent.
    public static var benchmarkClientCount: Int { 16 }

    /// Builds a linearizable history of `operations` gets and puts over `keys` keys from
    /// `seed`: each client runs operations back to back with random latencies, each operation
    /// takes effect at a random instant inside its interval, and outputs are computed in the
    /// order of those instants. About one put in fifty is left ambiguous. For measuring the
    /// checker and for large "must pass" tests.
    public static func benchmarkHistory(seed: UInt64, operations: Int, keys: Int) -> [HistoryOperation<Input, Output>] {
        precondition(operations >= 0 && keys > 0, "a benchmark history needs a key and a non-negative size")
        var random = SeededRandom(seed: seed)
        typealias Planned = (client: Int, input: Input, invokedAt: UInt64, completedAt: UInt64, effectAt: UInt64, ambiguous: Bool)
        var planned: [Planned] = []
        var clientReadyAt = Array(repeating: UInt64(0), count: benchmarkClientCount)
        for index in 0..<operations {
            let client = index % benchmarkClientCount
            let invokedAt = clientReadyAt[client] + random.uniform(in: 0...UInt64(2_000))
            let completedAt = invokedAt + random.uniform(in: 100...UInt64(5_000))
            clientReadyAt[client] = completedAt + 1
            let key = random.uniform(in: 0..<keys)
            let input: Input = random.bernoulli(0.5) ? .get(key) : .put(key, index)
            let ambiguous = random.bernoulli(0.02) && { if case .put = input { return true }; return false }()
            let effectAt = random.uniform(in: invokedAt...completedAt)
            planned.append((client, input, invokedAt, completedAt, effectAt, ambiguous))
        }
        var store: [Int: Int] = [:]
        var outputs = Array(repeating: Output.stored, count: planned.count)
        let effectOrder = planned.indices.sorted { (planned[$0].effectAt, $0) < (planned[$1].effectAt, $1) }
        for index in effectOrder {
            switch planned[index].input {
            case .get(let key): outputs[index] = .value(store[key])
            case .put(let key, let value): store[key] = value
            }
        }
        let invocationOrder = planned.indices.sorted { (planned[$0].invokedAt, $0) < (planned[$1].invokedAt, $1) }
        return invocationOrder.enumerated().map { id, index in
            let item = planned[index]
            return HistoryOperation(
                id: id, client: item.client, input: item.input, invokedAt: item.invokedAt,
                outcome: item.ambiguous ? .ambiguous : .ok(outputs[index]), completedAt: item.completedAt
            )
        }
    }
}
