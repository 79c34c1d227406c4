import Testing
@testable import Simulator

/// An independent, exhaustive reference: it tries every ordering of the operations that
/// respects real time (A before B when A completed strictly before B was invoked; ambiguous
/// and pending operations never complete), places each ambiguous operation or leaves it out,
/// and replays each ordering against the test's own copy of the sequential semantics. It
/// shares no code with the checker or the models, so the two can disagree.
enum BruteForceReference {
    /// The reference's state: small integers by key (a register value, or an agent's status).
    typealias State = [Int: Int]

    /// An operation in the reference's own vocabulary.
    struct Operation {
        let invokedAt: UInt64
        let completedAt: UInt64?
        let isUncertain: Bool
        /// The state after the operation, or `nil` when its observed result is impossible in
        /// `state` (uncertain operations observed nothing and always apply).
        let apply: (State) -> State?
    }

    static func isLinearizable(_ operations: [Operation]) -> Bool {
        var placed = Array(repeating: false, count: operations.count)
        return extend(operations, placed: &placed, state: [:])
    }

    private static func extend(_ operations: [Operation], placed: inout [Bool], state: State) -> Bool {
        let allDefinitePlaced = operations.indices.allSatisfy { placed[$0] || operations[$0].isUncertain }
        if allDefinitePlaced { return true }
        for candidate in operations.indices where !placed[candidate] {
            let operation = operations[candidate]
            let mustWait = operations.indices.contains { other in
                guard !placed[other], other != candidate, let otherEnd = operations[other].completedAt,
                      !operations[other].isUncertain else { return false }
                return otherEnd < operation.invokedAt
            }
            guard !mustWait, let nextState = operation.apply(state) else { continue }
            placed[candidate] = true
            if extend(operations, placed: &placed, state: nextState) { return true }
            placed[candidate] = false
        }
        return false
    }

    /// Register semantics: a write stores its value; a read must observe the stored one.
    static func register(key: Int, written: Int?, observed: Int?, isUncertain: Bool) -> (State) -> State? {
        { state in
            var next = state
            if let written {
                next[key] = written
            } else if !isUncertain && observed != state[key] {
                return nil
            }
            return next
        }
    }

    /// Kill-switch semantics with statuses 1 (active) and 2 (killed), absent meaning unknown:
    /// `action` 0 registers, 1 kills, 2 reinstates, 3 checks; `observed` is 1 for done or
    /// allowed, 0 for rejected or denied.
    static func killSwitch(agent: Int, action: Int, observed: Int, isUncertain: Bool) -> (State) -> State? {
        { state in
            var next = state
            let status = state[agent]
            let result: Int
            switch action {
            case 0:
                result = status == nil ? 1 : 0
                if status == nil { next[agent] = 1 }
            case 1, 2:
                result = status == nil ? 0 : 1
                if status != nil { next[agent] = action == 1 ? 2 : 1 }
            default:
                result = status == 1 ? 1 : 0
            }
            return isUncertain || result == observed ? next : nil
        }
    }
}

@Suite("LinearizabilityChecker against a brute-force reference")
struct LinearizabilityDifferentialTests {
    /// Histories per differential test: enough to hit every branch (overlaps, ties, ambiguous
    /// and failed operations) many times over while staying well under a second in debug builds.
    static let historiesPerTest = 3_000
    /// The largest history generated; 7 operations keep the reference's 7! orderings cheap.
    static let maximumOperations = 7

    struct GeneratedOperation {
        let client: Int
        let key: Int
        let written: Int?
        let observed: Int?
        let invokedAt: UInt64
        let completedAt: UInt64?
        let kind: Int
    }

    /// Random small histories: times in a narrow window so operations overlap and tie often,
    /// values from a tiny domain so reads hit and miss, and outcomes ok/failed/ambiguous/pending.
    static func randomHistory(_ random: inout SeededRandom, keys: Int) -> [GeneratedOperation] {
        let count = random.uniform(in: 0...maximumOperations)
        var operations: [GeneratedOperation] = []
        var clientFreeAt: [UInt64] = Array(repeating: 0, count: count)
        for _ in 0..<count {
            let client = random.uniform(in: 0..<count)
            let invokedAt = clientFreeAt[client] + random.uniform(in: UInt64(0)...6)
            let completedAt = invokedAt + random.uniform(in: UInt64(0)...8)
            let kind = random.uniform(in: 0...9)
            clientFreeAt[client] = kind == 9 ? UInt64.max / 2 : completedAt + 1
            let isWrite = random.bernoulli(0.5)
            let observedRoll = random.uniform(in: 0...3)
            operations.append(GeneratedOperation(
                client: client,
                key: random.uniform(in: 0..<keys),
                written: isWrite ? random.uniform(in: 1...3) : nil,
                observed: observedRoll == 0 ? nil : observedRoll,
                invokedAt: invokedAt,
                completedAt: kind == 9 ? nil : completedAt,
                kind: kind
            ))
        }
        return operations.filter { $0.invokedAt < UInt64.max / 4 }.sorted { $0.invokedAt < $1.invokedAt }
    }

    static func outcome<Output>(_ operation: GeneratedOperation, ok output: Output) -> OperationOutcome<Output> {
        switch operation.kind {
        case 0...5: return .ok(output)
        case 6: return .failed
        case 7, 8: return .ambiguous
        default: return .pending
        }
    }

    static func reference(_ operations: [GeneratedOperation]) -> Bool {
        BruteForceReference.isLinearizable(operations.compactMap { operation in
            if operation.kind == 6 { return nil }
            let isUncertain = operation.kind >= 7
            return BruteForceReference.Operation(
                invokedAt: operation.invokedAt,
                completedAt: operation.completedAt,
                isUncertain: isUncertain,
                apply: BruteForceReference.register(
                    key: operation.key, written: operation.written, observed: operation.observed, isUncertain: isUncertain
                )
            )
        })
    }

    @Test("the checker agrees with brute force on thousands of small register histories")
    func registerHistoriesAgree() {
        var random = SeededRandom(seed: 0x5EED_0001)
        let checker = LinearizabilityChecker(model: RegisterModel<Int>())
        var verdicts = (linearizable: 0, violation: 0)
        for _ in 0..<Self.historiesPerTest {
            let generated = Self.randomHistory(&random, keys: 1)
            let operations = generated.enumerated().map { id, operation in
                HistoryOperation<RegisterModel<Int>.Input, RegisterModel<Int>.Output>(
                    id: id, client: operation.client,
                    input: operation.written.map { .write($0) } ?? .read,
                    invokedAt: operation.invokedAt,
                    outcome: Self.outcome(operation, ok: operation.written == nil ? .value(operation.observed) : .written),
                    completedAt: operation.completedAt
                )
            }
            let expected = Self.reference(generated)
            let result = checker.check(operations)
            #expect(!result.isUnknown)
            #expect(result.isLinearizable == expected, "disagreement on \(operations)")
            if expected { verdicts.linearizable += 1 } else { verdicts.violation += 1 }
        }
        // The generator must exercise both verdicts substantially, or the agreement means little.
        #expect(verdicts.linearizable > Self.historiesPerTest / 10)
        #expect(verdicts.violation > Self.historiesPerTest / 10)
    }

    @Test("the per-key checker agrees with brute force over whole key-value histories")
    func keyValueHistoriesAgree() {
        var random = SeededRandom(seed: 0x5EED_0002)
        let checker = LinearizabilityChecker(model: KeyValueModel<Int, Int>())
        var verdicts = (linearizable: 0, violation: 0)
        for _ in 0..<Self.historiesPerTest {
            let generated = Self.randomHistory(&random, keys: 2)
            let operations = generated.enumerated().map { id, operation in
                HistoryOperation<KeyValueModel<Int, Int>.Input, KeyValueModel<Int, Int>.Output>(
                    id: id, client: operation.client,
                    input: operation.written.map { .put(operation.key, $0) } ?? .get(operation.key),
                    invokedAt: operation.invokedAt,
                    outcome: Self.outcome(operation, ok: operation.written == nil ? .value(operation.observed) : .stored),
                    completedAt: operation.completedAt
                )
            }
            let expected = Self.reference(generated)
            let result = checker.check(operations)
            #expect(!result.isUnknown)
            #expect(result.isLinearizable == expected, "disagreement on \(operations)")
            if expected { verdicts.linearizable += 1 } else { verdicts.violation += 1 }
        }
        #expect(verdicts.linearizable > Self.historiesPerTest / 10)
        #expect(verdicts.violation > Self.historiesPerTest / 10)
    }

    @Test("the kill-switch checker agrees with brute force on thousands of small histories")
    func killSwitchHistoriesAgree() {
        var random = SeededRandom(seed: 0x5EED_0003)
        let checker = LinearizabilityChecker(model: KillSwitchModel<Int>())
        var verdicts = (linearizable: 0, violation: 0)
        for _ in 0..<Self.historiesPerTest {
            let generated = Self.randomHistory(&random, keys: 2)
            // Reuse the generator's draws: `observed` picks the action, `written` the result.
            let actions = generated.map { ($0.observed ?? 0) % 4 }
            let results = generated.map { ($0.written ?? 0) % 2 }
            let operations = generated.indices.map { id in
                let operation = generated[id]
                let input: KillSwitchModel<Int>.Input
                switch actions[id] {
                case 0: input = .register(operation.key)
                case 1: input = .kill(operation.key)
                case 2: input = .reinstate(operation.key)
                default: input = .check(operation.key)
                }
                let output: KillSwitchModel<Int>.Output = actions[id] == 3
                    ? .allowed(results[id] == 1) : (results[id] == 1 ? .done : .rejected)
                return HistoryOperation(
                    id: id, client: operation.client, input: input, invokedAt: operation.invokedAt,
                    outcome: Self.outcome(operation, ok: output), completedAt: operation.completedAt
                )
            }
            let expected = BruteForceReference.isLinearizable(generated.indices.compactMap { id in
                let operation = generated[id]
                if operation.kind == 6 { return nil }
                let isUncertain = operation.kind >= 7
                return BruteForceReference.Operation(
                    invokedAt: operation.invokedAt, completedAt: operation.completedAt, isUncertain: isUncertain,
                    apply: BruteForceReference.killSwitch(
                        agent: operation.key, action: actions[id], observed: results[id], isUncertain: isUncertain
                    )
                )
            })
            let result = checker.check(operations)
            #expect(!result.isUnknown)
            #expect(result.isLinearizable == expected, "disagreement on \(operations)")
            if expected { verdicts.linearizable += 1 } else { verdicts.violation += 1 }
        }
        #expect(verdicts.linearizable > Self.historiesPerTest / 10)
        #expect(verdicts.violation > Self.historiesPerTest / 10)
    }

    @Test("the brute-force reference itself rejects a stale read and accepts a concurrent one")
    func referenceSanity() {
        typealias Reference = BruteForceReference
        let write = Reference.Operation(
            invokedAt: 0, completedAt: 10, isUncertain: false,
            apply: Reference.register(key: 0, written: 1, observed: nil, isUncertain: false)
        )
        let readNothing = Reference.register(key: 0, written: nil, observed: nil, isUncertain: false)
        let staleRead = Reference.Operation(invokedAt: 20, completedAt: 30, isUncertain: false, apply: readNothing)
        let concurrentRead = Reference.Operation(invokedAt: 5, completedAt: 30, isUncertain: false, apply: readNothing)
        #expect(!BruteForceReference.isLinearizable([write, staleRead]))
        #expect(BruteForceReference.isLinearizable([write, concurrentRead]))
    }
}
