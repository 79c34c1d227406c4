import Testing
@testable import Simulator

typealias Register = RegisterModel<Int>
typealias RegisterOperation = HistoryOperation<Register.Input, Register.Output>
typealias Store = KeyValueModel<String, Int>
typealias StoreOperation = HistoryOperation<Store.Input, Store.Output>
typealias KillSwitch = KillSwitchModel<String>
typealias KillSwitchOperation = HistoryOperation<KillSwitch.Input, KillSwitch.Output>

/// Builds hand-written histories: each call appends one operation with the next id.
struct HistoryBuilder<Input, Output> {
    private(set) var operations: [HistoryOperation<Input, Output>] = []

    mutating func add(
        client: Int, _ input: Input, from start: UInt64, to end: UInt64?, _ outcome: OperationOutcome<Output>
    ) {
        operations.append(HistoryOperation(
            id: operations.count, client: client, input: input, invokedAt: start, outcome: outcome, completedAt: end
        ))
    }
}

@Suite("LinearizabilityChecker on hand-written histories")
struct LinearizabilityCheckerTests {
    let register = LinearizabilityChecker(model: Register())

    @Test("a read that returns a stale value after a later write completed is not linearizable")
    func staleReadIsAViolation() {
        var history = HistoryBuilder<Register.Input, Register.Output>()
        history.add(client: 0, .write(1), from: 0, to: 10, .ok(.written))
        history.add(client: 0, .write(2), from: 20, to: 30, .ok(.written))
        history.add(client: 1, .read, from: 40, to: 50, .ok(.value(1)))
        let result = register.check(history.operations)
        guard case .notLinearizable(let witness) = result else {
            Issue.record("expected a violation, got \(result)")
            return
        }
        #expect(witness.longestLinearization.map(\.id) == [0, 1])
        #expect(witness.blockingOperation?.id == 2)
        #expect(witness.unplacedOperations.map(\.id) == [2])
        #expect(witness.description.contains("#2 client 1 [40..50] read -> value(Optional(1))"))
    }

    @Test("overlapping operations may take effect in either order")
    func overlappingOperationsAreLinearizable() {
        var history = HistoryBuilder<Register.Input, Register.Output>()
        history.add(client: 0, .write(1), from: 0, to: 100, .ok(.written))
        history.add(client: 1, .read, from: 10, to: 50, .ok(.value(nil)))
        history.add(client: 1, .read, from: 60, to: 90, .ok(.value(1)))
        history.add(client: 2, .write(2), from: 5, to: 95, .ok(.written))
        history.add(client: 3, .read, from: 96, to: 99, .ok(.value(1)))
        #expect(register.check(history.operations).isLinearizable)
    }

    @Test("an operation completing at the instant another is invoked overlaps with it")
    func equalTimesOverlap() {
        var history = HistoryBuilder<Register.Input, Register.Output>()
        history.add(client: 0, .write(1), from: 0, to: 10, .ok(.written))
        history.add(client: 1, .read, from: 10, to: 20, .ok(.value(nil)))
        #expect(register.check(history.operations).isLinearizable)
        var strict = HistoryBuilder<Register.Input, Register.Output>()
        strict.add(client: 0, .write(1), from: 0, to: 10, .ok(.written))
        strict.add(client: 1, .read, from: 11, to: 20, .ok(.value(nil)))
        #expect(register.check(strict.operations).isViolation)
    }

    @Test("an ambiguous write that later becomes visible is linearizable")
    func ambiguousWriteSeenLater() {
        var history = HistoryBuilder<Register.Input, Register.Output>()
        history.add(client: 0, .write(1), from: 0, to: 10, .ok(.written))
        history.add(client: 1, .write(2), from: 20, to: 30, .ambiguous)
        history.add(client: 2, .read, from: 40, to: 50, .ok(.value(1)))
        history.add(client: 2, .read, from: 500, to: 510, .ok(.value(2)))
        #expect(register.check(history.operations).isLinearizable)
    }

    @Test("an ambiguous write that is never visible is linearizable")
    func ambiguousWriteNeverSeen() {
        var history = HistoryBuilder<Register.Input, Register.Output>()
        history.add(client: 0, .write(1), from: 0, to: 10, .ok(.written))
        history.add(client: 1, .write(2), from: 20, to: 30, .ambiguous)
        history.add(client: 2, .read, from: 40, to: 50, .ok(.value(1)))
        history.add(client: 2, .read, from: 60, to: 70, .ok(.value(1)))
        #expect(register.check(history.operations).isLinearizable)
    }

    @Test("an ambiguous write seen and then unseen is not linearizable")
    func ambiguousWriteCannotTakeEffectTwice() {
        var history = HistoryBuilder<Register.Input, Register.Output>()
        history.add(client: 0, .write(1), from: 0, to: 10, .ok(.written))
        history.add(client: 1, .write(2), from: 20, to: 30, .ambiguous)
        history.add(client: 2, .read, from: 40, to: 50, .ok(.value(2)))
        history.add(client: 2, .read, from: 60, to: 70, .ok(.value(1)))
        #expect(register.check(history.operations).isViolation)
    }

    @Test("a failed write that becomes visible is not linearizable")
    func failedWriteSeenIsAViolation() {
        var history = HistoryBuilder<Register.Input, Register.Output>()
        history.add(client: 0, .write(1), from: 0, to: 10, .ok(.written))
        history.add(client: 1, .write(2), from: 20, to: 30, .failed)
        history.add(client: 2, .read, from: 40, to: 50, .ok(.value(2)))
        #expect(register.check(history.operations).isViolation)
    }

    @Test("operations left pending at the end of a run count as ambiguous")
    func pendingOperationsAreAmbiguous() {
        var history = History<Register.Input, Register.Output>()
        let write = history.invoke(client: 0, input: .write(7), at: 0)
        let read = history.invoke(client: 1, input: .read, at: 5)
        history.complete(read, output: .value(7), at: 9)
        #expect(history.pendingOperationIDs == [write])
        #expect(register.check(history).isLinearizable)
        let lateRead = history.invoke(client: 1, input: .read, at: 20)
        history.complete(lateRead, output: .value(nil), at: 30)
        #expect(register.check(history).isViolation)
    }

    @Test("the History recorder keeps outcomes and completion times")
    func historyRecordsOutcomes() {
        var history = History<Register.Input, Register.Output>()
        let first = history.invoke(client: 0, input: .write(1), at: 1)
        let second = history.invoke(client: 1, input: .write(2), at: 2)
        let third = history.invoke(client: 2, input: .read, at: 3)
        history.fail(first, at: 4)
        history.markAmbiguous(second, at: 5)
        history.complete(third, output: .value(2), at: 6)
        let outcomes = history.operations.map { operation -> String in
            switch operation.outcome {
            case .ok: return "ok"
            case .failed: return "failed"
            case .ambiguous: return "ambiguous"
            case .pending: return "pending"
            }
        }
        #expect(outcomes == ["failed", "ambiguous", "ok"])
        #expect(history.operations.map(\.completedAt) == [4, 5, 6])
        #expect(history.pendingOperationIDs.isEmpty)
        #expect(register.check(history).isLinearizable)
    }

    @Test("an empty history and a history of only uncertain operations are linearizable")
    func trivialHistories() {
        #expect(register.check([]).isLinearizable)
        var history = HistoryBuilder<Register.Input, Register.Output>()
        history.add(client: 0, .write(1), from: 0, to: 10, .ambiguous)
        history.add(client: 1, .read, from: 0, to: nil, .pending)
        history.add(client: 2, .write(3), from: 0, to: 10, .failed)
        #expect(register.check(history.operations).isLinearizable)
    }

    @Test("a key-value history is checked per key and the witness names the failing key's partition")
    func keyValueIsPartitionedPerKey() {
        let checker = LinearizabilityChecker(model: Store())
        var history = HistoryBuilder<Store.Input, Store.Output>()
        history.add(client: 0, .put("a", 1), from: 0, to: 10, .ok(.stored))
        history.add(client: 1, .put("b", 5), from: 0, to: 10, .ok(.stored))
        history.add(client: 2, .get("a"), from: 20, to: 30, .ok(.value(1)))
        history.add(client: 3, .get("b"), from: 20, to: 30, .ok(.value(5)))
        #expect(checker.check(history.operations).isLinearizable)
        #expect(Store().partition(history.operations).map { $0.map(\.id) } == [[0, 2], [1, 3]])

        history.add(client: 2, .get("b"), from: 40, to: 50, .ok(.value(nil)))
        guard case .notLinearizable(let witness) = checker.check(history.operations) else {
            Issue.record("a get of b that forgets its acknowledged put must be a violation")
            return
        }
        #expect(witness.partitionIndex == 1)
        #expect(witness.blockingOperation?.id == 4)
    }

    @Test("running out of search budget reports unknown, never a pass")
    func budgetExhaustionIsUnknown() {
        var history = HistoryBuilder<Register.Input, Register.Output>()
        for client in 0..<8 {
            history.add(client: client, .write(client), from: 0, to: 100, .ok(.written))
        }
        history.add(client: 8, .read, from: 200, to: 210, .ok(.value(3)))
        let tight = LinearizabilityChecker(model: Register(), stepBudgetPerPartition: 5)
        let result = tight.check(history.operations)
        #expect(result.isUnknown)
        #expect(!result.isLinearizable)
        if case .unknown(let exhausted) = result {
            #expect(exhausted.stepBudget == 5)
            #expect(exhausted.operationCount == 9)
        }
        #expect(register.check(history.operations).isLinearizable)
    }

    @Test("a violation in one partition outranks another partition that ran out of budget")
    func violationOutranksUnknown() {
        var history = HistoryBuilder<Store.Input, Store.Output>()
        for client in 0..<6 {
            history.add(client: client, .put("busy", client), from: 0, to: 100, .ok(.stored))
        }
        history.add(client: 6, .get("busy"), from: 200, to: 210, .ok(.value(2)))
        history.add(client: 7, .put("broken", 1), from: 0, to: 5, .ok(.stored))
        history.add(client: 7, .get("broken"), from: 10, to: 15, .ok(.value(2)))
        let tight = LinearizabilityChecker(model: Store(), stepBudgetPerPartition: 5)
        #expect(tight.check(history.operations).isViolation)
    }

    @Test("a large generated linearizable history passes, and one corrupted read makes it fail")
    func generatedHistoryPassesAndCorruptionFails() {
        var operations = KeyValueModel<Int, Int>.benchmarkHistory(seed: 9, operations: 1_000, keys: 8)
        let checker = LinearizabilityChecker(model: KeyValueModel<Int, Int>())
        #expect(checker.check(operations).isLinearizable)
        let readIndex = operations.lastIndex { operation in
            if case .get = operation.input, case .ok = operation.outcome { return true }
            return false
        }!
        let read = operations[readIndex]
        operations[readIndex] = HistoryOperation(
            id: read.id, client: read.client, input: read.input, invokedAt: read.invokedAt,
            outcome: .ok(.value(-1)), completedAt: read.completedAt
        )
        #expect(checker.check(operations).isViolation)
    }

    @Test("benchmark histories are reproducible from their seed")
    func benchmarkHistoryIsDeterministic() {
        let first = KeyValueModel<Int, Int>.benchmarkHistory(seed: 4, operations: 200, keys: 5)
        let second = KeyValueModel<Int, Int>.benchmarkHistory(seed: 4, operations: 200, keys: 5)
        let other = KeyValueModel<Int, Int>.benchmarkHistory(seed: 5, operations: 200, keys: 5)
        func summary(_ operations: [HistoryOperation<KeyValueModel<Int, Int>.Input, KeyValueModel<Int, Int>.Output>]) -> [String] {
            operations.map { "\($0.client) \($0.input) \($0.invokedAt) \(String(describing: $0.completedAt)) \($0.outcome)" }
        }
        #expect(summary(first) == summary(second))
        #expect(summary(first) != summary(other))
        #expect(first.count == 200)
    }
}

@Suite("KillSwitchModel")
struct KillSwitchModelTests {
    let checker = LinearizabilityChecker(model: KillSwitch())

    @Test("a check that allows an agent after its kill was acknowledged is a violation")
    func allowAfterAcknowledgedKill() {
        var history = HistoryBuilder<KillSwitch.Input, KillSwitch.Output>()
        history.add(client: 0, .register("agent-1"), from: 0, to: 5, .ok(.done))
        history.add(client: 0, .kill("agent-1"), from: 10, to: 20, .ok(.done))
        history.add(client: 1, .check("agent-1"), from: 30, to: 40, .ok(.allowed(true)))
        #expect(checker.check(history.operations).isViolation)
    }

    @Test("a check concurrent with a kill may still allow the agent")
    func allowDuringKill() {
        var history = HistoryBuilder<KillSwitch.Input, KillSwitch.Output>()
        history.add(client: 0, .register("agent-1"), from: 0, to: 5, .ok(.done))
        history.add(client: 0, .kill("agent-1"), from: 10, to: 40, .ok(.done))
        history.add(client: 1, .check("agent-1"), from: 15, to: 25, .ok(.allowed(true)))
        history.add(client: 1, .check("agent-1"), from: 41, to: 45, .ok(.allowed(false)))
        #expect(checker.check(history.operations).isLinearizable)
    }

    @Test("an ambiguous kill may deny later checks, and a reinstate allows again")
    func ambiguousKillThenReinstate() {
        var history = HistoryBuilder<KillSwitch.Input, KillSwitch.Output>()
        history.add(client: 0, .register("agent-1"), from: 0, to: 5, .ok(.done))
        history.add(client: 0, .kill("agent-1"), from: 10, to: 20, .ambiguous)
        history.add(client: 1, .check("agent-1"), from: 30, to: 40, .ok(.allowed(false)))
        history.add(client: 2, .reinstate("agent-1"), from: 50, to: 60, .ok(.done))
        history.add(client: 1, .check("agent-1"), from: 70, to: 80, .ok(.allowed(true)))
        #expect(checker.check(history.operations).isLinearizable)
    }

    @Test("writes on an unknown agent are rejected and a second registration is rejected")
    func rejectionsFollowTheModel() {
        let model = KillSwitch()
        #expect(model.step([:], input: .kill("ghost"), output: .rejected).accepted)
        #expect(!model.step([:], input: .kill("ghost"), output: .done).accepted)
        #expect(model.step([:], input: .reinstate("ghost"), output: .rejected).accepted)
        #expect(model.step([:], input: .check("ghost"), output: .allowed(false)).accepted)
        let registered = model.step([:], input: .register("a"), output: .done)
        #expect(registered.accepted && registered.state == ["a": .active])
        #expect(model.step(registered.state, input: .register("a"), output: .rejected).accepted)
    }

    @Test("agents are checked independently: one agent's violation is reported on its partition")
    func agentsArePartitioned() {
        var history = HistoryBuilder<KillSwitch.Input, KillSwitch.Output>()
        history.add(client: 0, .register("a"), from: 0, to: 5, .ok(.done))
        history.add(client: 1, .register("b"), from: 0, to: 5, .ok(.done))
        history.add(client: 0, .kill("b"), from: 10, to: 20, .ok(.done))
        history.add(client: 1, .check("a"), from: 30, to: 40, .ok(.allowed(true)))
        history.add(client: 2, .check("b"), from: 30, to: 40, .ok(.allowed(true)))
        guard case .notLinearizable(let witness) = checker.check(history.operations) else {
            Issue.record("b was allowed after its acknowledged kill")
            return
        }
        #expect(witness.partitionIndex == 1)
        #expect(witness.blockingOperation?.id == 4)
    }
}
