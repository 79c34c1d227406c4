import Testing
@testable import Simulator

/// An independent, exhaustive reference: it tries every ordering of the operations that
/// respects real time (A before B when A completed strictly before B was invoked; ambiguous
/// and pending operations never complete), places each ambiguous operation or leaves it out,
/// and replays each ordering against its own copy of the register semantics. It shares no code
/// with the checker or the models, so the two can disagree.
enum BruteForceReference {
    /// A register operation in the reference's own vocabulary, keyed so one history can hold
    /// several registers. `written == nil` is a read; `observed` is what a read returned.
    struct Operation {
        let key: Int
        let written: Int?
        let observed: Int??
        let invokedAt: UInt64
        let completedAt: UInt64?
        let isUncertain: Bool
    }

    static func isLinearizable(_ operations: [Operation]) -> Bool {
        var placed = Array(repeating: false, count: operations.count)
        var values: [Int: Int] = [:]
        return extend(operations, placed: &placed, values: &values)
    }

    private static func extend(_ operations: [Operation], placed: inout [Bool], values: inout [Int: Int]) -> Bool {
        let allDefinitePlaced = operations.indices.allSatisfy { placed[$0] || operations[$0].isUncertain }
        if allDefinitePlaced { return true }
        for candidate in operations.indices where !placed[candidate] {
            let operation = operations[candidate]
            let mustWait = operations.indices.contains { other in
                guard !placed[other], other != candidate, let otherEnd = operations[other].completedAt,
                      !operations[other].isUncertain else { return false }
                return otherEnd < operation.invokedAt
            }
            if mustWait { continue }
            let before = values[operation.key]
            if let written = operation.written {
                values[operation.key] = written
            } else if !operation.isUncertain, let observed = operation.observed, observed != before {
                continue
            }
            placed[candidate] = true
            if extend(operations, placed: &placed, values: &values) { return true }
            placed[candidate] = false
            values[operation.key] = before
        }
        return false
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
            return BruteForceReference.Operation(
                key: operation.key,
                written: operation.written,
                observed: .some(operation.observed),
                invokedAt: operation.invokedAt,
                completedAt: operation.completedAt,
                isUncertain: operation.kind >= 7
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

    @Test("the brute-force reference itself rejects a stale read and accepts a concurrent one")
    func referenceSanity() {
        typealias Reference = BruteForceReference.Operation
        let write = Reference(key: 0, written: 1, observed: nil, invokedAt: 0, completedAt: 10, isUncertain: false)
        let staleRead = Reference(key: 0, written: nil, observed: .some(nil), invokedAt: 20, completedAt: 30, isUncertain: false)
        let concurrentRead = Reference(key: 0, written: nil, observed: .some(nil), invokedAt: 5, completedAt: 30, isUncertain: false)
        #expect(!BruteForceReference.isLinearizable([write, staleRead]))
        #expect(BruteForceReference.isLinearizable([write, concurrentRead]))
    }
}
