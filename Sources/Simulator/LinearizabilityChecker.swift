// MARK: - Results

/// What a linearizability check concluded.
public enum LinearizabilityResult<Input, Output> {
    /// Some sequential order of the operations respects real time and the model.
    case linearizable
    /// No such order exists; the witness shows how far the search got and what it could not place.
    case notLinearizable(LinearizabilityWitness<Input, Output>)
    /// The step budget ran out before an answer: this is not a pass.
    case unknown(LinearizabilityBudgetExhausted)

    /// Whether the check proved the history linearizable (`unknown` is not).
    public var isLinearizable: Bool {
        if case .linearizable = self { return true }
        return false
    }

    /// Whether the check proved the history not linearizable.
    public var isViolation: Bool {
        if case .notLinearizable = self { return true }
        return false
    }

    /// Whether the check gave up because its budget ran out.
    public var isUnknown: Bool {
        if case .unknown = self { return true }
        return false
    }
}

/// Where a bounded check gave up.
public struct LinearizabilityBudgetExhausted: CustomStringConvertible {
    /// The index of the partition (for example, the key) whose search ran out.
    public let partitionIndex: Int
    /// How many operations that partition held.
    public let operationCount: Int
    /// The budget that was spent.
    public let stepBudget: Int

    /// A one-line explanation for a report.
    public var description: String {
        "unknown: partition \(partitionIndex) (\(operationCount) operations) exhausted its budget of \(stepBudget) search steps"
    }
}

/// Why a history is not linearizable, in terms a human can follow.
public struct LinearizabilityWitness<Input, Output>: CustomStringConvertible {
    /// The index of the partition (for example, the key) that is not linearizable.
    public let partitionIndex: Int
    /// The longest order the search found that respects real time and the model.
    public let longestLinearization: [HistoryOperation<Input, Output>]
    /// The acknowledged operation whose response the search could not reach after that order:
    /// it returned before every remaining order could explain its result.
    public let blockingOperation: HistoryOperation<Input, Output>?
    /// The definite (acknowledged) operations of the partition left out of that order.
    public let unplacedOperations: [HistoryOperation<Input, Output>]
    /// The rendering of every operation above, made with the model's `describe`.
    public let description: String
}

// MARK: - Checker

/// Decides whether a history of client operations is linearizable with respect to a
/// `SequentialModel`, using the Wing–Gong search with Lowe's memoisation of
/// (linearized-set, state) pairs, as in Porcupine, on each partition the model defines.
///
/// Real time: operation A must precede B when A completed strictly before B was invoked.
/// Failed operations are dropped. Ambiguous and pending operations never return (their return
/// time is +∞): the search may linearize them anywhere after their invocation, or leave them
/// out. The search is bounded by `stepBudgetPerPartition`; running out yields `.unknown`.
public struct LinearizabilityChecker<Model: SequentialModel> {
    /// The default search budget per partition. One step is one model step or one backtrack,
    /// about a microsecond in a release build, so ten million is about ten seconds; a partition
    /// needing more is pathological for our histories (dozens of concurrent clients on one
    /// key), so we report `unknown` instead of searching on.
    public static var defaultStepBudgetPerPartition: Int { 10_000_000 }

    /// The sequential specification.
    public let model: Model
    /// The most search steps one partition may take before the check reports `unknown`.
    public let stepBudgetPerPartition: Int

    /// Creates a checker for `model` with a search budget per partition.
    public init(model: Model, stepBudgetPerPartition: Int = Self.defaultStepBudgetPerPartition) {
        precondition(stepBudgetPerPartition > 0, "a check needs a positive step budget")
        self.model = model
        self.stepBudgetPerPartition = stepBudgetPerPartition
    }

    /// Checks every operation recorded in `history`.
    public func check(_ history: History<Model.Input, Model.Output>) -> LinearizabilityResult<Model.Input, Model.Output> {
        check(history.operations)
    }

    /// Checks `operations`, partition by partition. A violation in any partition wins over a
    /// partition that ran out of budget, which in turn wins over success.
    public func check(
        _ operations: [HistoryOperation<Model.Input, Model.Output>]
    ) -> LinearizabilityResult<Model.Input, Model.Output> {
        var firstExhaustion: LinearizabilityBudgetExhausted?
        let relevant = operations.filter { operation in
            if case .failed = operation.outcome { return false }
            return true
        }
        for (index, partition) in model.partition(relevant).enumerated() {
            var search = LinearizationSearch(model: model, operations: partition, stepBudget: stepBudgetPerPartition)
            switch search.run() {
            case .linearizable:
                continue
            case .exhausted:
                if firstExhaustion == nil {
                    firstExhaustion = LinearizabilityBudgetExhausted(
                        partitionIndex: index, operationCount: partition.count, stepBudget: stepBudgetPerPartition
                    )
                }
            case .violation(let longest, let blocking):
                return .notLinearizable(witness(partitionIndex: index, partition: partition, longest: longest, blocking: blocking))
            }
        }
        if let firstExhaustion {
            return .unknown(firstExhaustion)
        }
        return .linearizable
    }

    private func witness(
        partitionIndex: Int,
        partition: [HistoryOperation<Model.Input, Model.Output>],
        longest: [Int],
        blocking: Int?
    ) -> LinearizabilityWitness<Model.Input, Model.Output> {
        let longestOperations = longest.map { partition[$0] }
        let placed = Set(longest)
        let unplaced = partition.indices
            .filter { !placed.contains($0) && !partition[$0].isUncertain }
            .map { partition[$0] }
        let blockingOperation = blocking.map { partition[$0] }
        var lines = ["not linearizable: partition \(partitionIndex) (\(partition.count) operations)"]
        lines.append("  longest order respecting real time and the model (\(longestOperations.count) operations):")
        for (position, operation) in longestOperations.enumerated() {
            lines.append("    \(position + 1). \(render(operation))")
        }
        if let blockingOperation {
            lines.append("  then no remaining order explains: \(render(blockingOperation))")
        }
        lines.append("  acknowledged operations left unplaced (\(unplaced.count)):")
        for operation in unplaced {
            lines.append("    \(render(operation))")
        }
        return LinearizabilityWitness(
            partitionIndex: partitionIndex,
            longestLinearization: longestOperations,
            blockingOperation: blockingOperation,
            unplacedOperations: unplaced,
            description: lines.joined(separator: "\n")
        )
    }

    private func render(_ operation: HistoryOperation<Model.Input, Model.Output>) -> String {
        // Uncertain operations may take effect at any time after their invocation.
        let end = operation.isUncertain ? "∞" : operation.completedAt.map(String.init) ?? "∞"
        return "#\(operation.id) client \(operation.client) [\(operation.invokedAt)..\(end)] \(model.describe(operation))"
    }
}

// MARK: - The search on one partition

/// A set of operation indices, hashable so it can key the memo.
private struct OperationBitset: Hashable {
    private(set) var words: [UInt64]

    init(count: Int) {
        words = Array(repeating: 0, count: (count + 63) / 64)
    }

    mutating func insert(_ index: Int) {
        words[index / 64] |= 1 << UInt64(index % 64)
    }

    mutating func remove(_ index: Int) {
        words[index / 64] &= ~(1 << UInt64(index % 64))
    }
}

/// One memoised search configuration: these operations linearized, leaving this state.
private struct SearchConfiguration<State: Hashable>: Hashable {
    let linearized: OperationBitset
    let state: State
}

/// The outcome of searching one partition.
private enum SearchOutcome {
    case linearizable
    case exhausted
    case violation(longest: [Int], blocking: Int?)
}

/// Wing–Gong–Lowe search over a doubly linked list of call and return entries held in arrays.
/// Calls and returns are sorted by time, calls first on ties (equal times overlap). Uncertain
/// operations have no return entry: nothing ever forces them, so they may be left out.
private struct LinearizationSearch<Model: SequentialModel> {
    let model: Model
    let operations: [HistoryOperation<Model.Input, Model.Output>]
    let stepBudget: Int
    private var entryOperation: [Int] = []
    private var entryIsCall: [Bool] = []
    private var returnEntryOfOperation: [Int?]
    private var next: [Int] = []
    private var previous: [Int] = []
    private let head: Int
    private let definiteCount: Int
    private static var end: Int { -1 }

    init(model: Model, operations: [HistoryOperation<Model.Input, Model.Output>], stepBudget: Int) {
        self.model = model
        self.operations = operations
        self.stepBudget = stepBudget
        returnEntryOfOperation = Array(repeating: nil, count: operations.count)
        definiteCount = operations.filter { !$0.isUncertain }.count
        var timed: [(time: VirtualNanoseconds, isReturn: Bool, operation: Int)] = []
        for (index, operation) in operations.enumerated() {
            timed.append((operation.invokedAt, false, index))
            if !operation.isUncertain, let completedAt = operation.completedAt {
                timed.append((completedAt, true, index))
            }
        }
        timed.sort { left, right in
            (left.time, left.isReturn ? 1 : 0, left.operation) < (right.time, right.isReturn ? 1 : 0, right.operation)
        }
        for (entry, item) in timed.enumerated() {
            entryOperation.append(item.operation)
            entryIsCall.append(!item.isReturn)
            if item.isReturn { returnEntryOfOperation[item.operation] = entry }
        }
        let count = timed.count
        head = count
        next = (0..<count).map { $0 + 1 < count ? $0 + 1 : Self.end } + [count > 0 ? 0 : Self.end]
        previous = (0..<count).map { $0 == 0 ? count : $0 - 1 } + [Self.end]
    }

    mutating func run() -> SearchOutcome {
        if definiteCount == 0 { return .linearizable }
        var state = model.initialState
        var linearized = OperationBitset(count: operations.count)
        var memo: Set<SearchConfiguration<Model.State>> = []
        var placedStack: [(entry: Int, stateBefore: Model.State)] = []
        var placedDefinite = 0
        var longest: [Int] = []
        var blocking: Int?
        var entry = next[head]
        var steps = 0
        while true {
            steps += 1
            if steps > stepBudget { return .exhausted }
            precondition(entry != Self.end, "the search walked past the last return entry")
            let operationIndex = entryOperation[entry]
            if entryIsCall[entry] {
                let operation = operations[operationIndex]
                let (accepted, nextState) = model.step(state, input: operation.input, output: operation.output)
                var extended = linearized
                extended.insert(operationIndex)
                if accepted && memo.insert(SearchConfiguration(linearized: extended, state: nextState)).inserted {
                    placedStack.append((entry, state))
                    state = nextState
                    linearized = extended
                    if !operation.isUncertain { placedDefinite += 1 }
                    if placedDefinite == definiteCount { return .linearizable }
                    lift(entry)
                    if placedStack.count > longest.count {
                        longest = placedStack.map { entryOperation[$0.entry] }
                        blocking = nil
                    }
                    entry = next[head]
                } else {
                    entry = next[entry]
                }
            } else {
                if blocking == nil && placedStack.count == longest.count { blocking = operationIndex }
                guard let placed = placedStack.popLast() else {
                    return .violation(longest: longest, blocking: blocking)
                }
                let placedOperation = entryOperation[placed.entry]
                state = placed.stateBefore
                linearized.remove(placedOperation)
                if !operations[placedOperation].isUncertain { placedDefinite -= 1 }
                unlift(placed.entry)
                entry = next[placed.entry]
            }
        }
    }

    /// Removes a call entry and its return entry from the list (they stay linked to their
    /// neighbours, so `unlift` in reverse order restores them: Knuth's dancing links).
    private mutating func lift(_ callEntry: Int) {
        unlink(callEntry)
        if let returnEntry = returnEntryOfOperation[entryOperation[callEntry]] {
            unlink(returnEntry)
        }
    }

    private mutating func unlift(_ callEntry: Int) {
        if let returnEntry = returnEntryOfOperation[entryOperation[callEntry]] {
            relink(returnEntry)
        }
        relink(callEntry)
    }

    private mutating func unlink(_ entry: Int) {
        next[previous[entry]] = next[entry]
        if next[entry] != Self.end { previous[next[entry]] = previous[entry] }
    }

    private mutating func relink(_ entry: Int) {
        next[previous[entry]] = entry
        if next[entry] != Self.end { previous[next[entry]] = entry }
    }
}
