#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTP
import JSON
import Server
import Simulator

// MARK: - The history

/// The run's history of kill-switch operations, shared by the client threads. Times are read
/// under the lock, so invocations enter in time order as `History` requires.
final class RealChaosRecorder: @unchecked Sendable {
    typealias Input = WardenKillSwitchModel.Input
    typealias Output = WardenKillSwitchModel.Output
    typealias Operation = HistoryOperation<Input, Output>

    private let lock = NSLock()
    private let origin = RealChaosClock.nanoseconds()
    private var history = History<Input, Output>()
    private var revisions: [Int: UInt64] = [:]
    private var reservedByAgent: [String: Int] = [:]
    private var unansweredAttempts: [String: Int] = [:]

    private func now() -> VirtualNanoseconds { RealChaosClock.nanoseconds() - origin }

    /// Claims one operation slot on `agent`; false once the agent has its bounded share.
    func reserve(_ agent: String) -> Bool {
        lock.withLock {
            guard reservedByAgent[agent, default: 0] < RealChaosBounds.maximumOperationsPerAgent else { return false }
            reservedByAgent[agent, default: 0] += 1
            return true
        }
    }

    func invoke(client: Int, _ input: Input) -> Int {
        lock.withLock { history.invoke(client: client, input: input, at: now()) }
    }

    /// Acknowledged with `output`; `revision` is the applied revision a write answered with.
    func complete(_ id: Int, _ output: Output, revision: UInt64? = nil) {
        lock.withLock {
            history.complete(id, output: output, at: now())
            if let revision { revisions[id] = revision }
        }
    }

    func fail(_ id: Int) { lock.withLock { history.fail(id, at: now()) } }

    func markAmbiguous(_ id: Int) { lock.withLock { history.markAmbiguous(id, at: now()) } }

    var operations: [Operation] { lock.withLock { history.operations } }

    /// Counts an attempt that gave no definite answer and was retried (or given up on), by cause.
    func noteUnanswered(_ kind: String, _ answer: RealChaosAnswer?) {
        let cause = answer.map { "HTTP \($0.status)" } ?? "no answer"
        lock.withLock { unansweredAttempts["\(kind) \(cause)", default: 0] += 1 }
    }

    /// The retried attempts, one line: evidence that the faults reached the clients.
    var unansweredSummary: String {
        lock.withLock { unansweredAttempts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") }
    }

    var acknowledgedRevisions: [Int: UInt64] { lock.withLock { revisions } }
}

// MARK: - The history on disk

/// A history as text, one operation a line, so a failing run's history can be checked again
/// (`warden chaos-real --check-history FILE`) and cut down by hand:
/// `id client invoked_ns completed_ns|- register|kill|reinstate|check agent outcome`, where the
/// outcome is done, rejected, allowed, denied, failed, ambiguous or pending. `#` lines are comments.
enum RealChaosHistoryFile {
    typealias Operation = RealChaosRecorder.Operation

    /// The operation's kind as the file (and the run's outcome table) names it.
    static func kindName(_ input: RealChaosRecorder.Input) -> String {
        switch input {
        case .register: return "register"
        case .kill: return "kill"
        case .reinstate: return "reinstate"
        case .check: return "check"
        }
    }

    static func line(_ operation: Operation) -> String {
        let kind = kindName(operation.input)
        let outcome: String
        switch operation.outcome {
        case .ok(.done): outcome = "done"
        case .ok(.rejected): outcome = "rejected"
        case .ok(.allowed(let allowed)): outcome = allowed ? "allowed" : "denied"
        case .failed: outcome = "failed"
        case .ambiguous: outcome = "ambiguous"
        case .pending: outcome = "pending"
        }
        let completed = operation.completedAt.map(String.init) ?? "-"
        return "\(operation.id) \(operation.client) \(operation.invokedAt) \(completed) \(kind) \(operation.input.agent) \(outcome)"
    }

    /// The operations of a saved history; the error names the first line that does not parse.
    static func parse(_ text: String) throws -> [Operation] {
        var operations: [Operation] = []
        for (number, raw) in text.split(separator: "\n").enumerated() where !raw.hasPrefix("#") && !raw.isEmpty {
            guard let operation = operation(raw.split(separator: " ").map(String.init)) else {
                throw RealChaosError("line \(number + 1) is not `id client invoked completed kind agent outcome`: \(raw)")
            }
            operations.append(operation)
        }
        return operations
    }

    private static func operation(_ fields: [String]) -> Operation? {
        guard fields.count == 7, let id = Int(fields[0]), let client = Int(fields[1]), let invoked = UInt64(fields[2]) else { return nil }
        let completed = UInt64(fields[3])
        let agent = fields[5]
        let input: RealChaosRecorder.Input
        switch fields[4] {
        case "register": input = .register(agent)
        case "kill": input = .kill(agent)
        case "reinstate": input = .reinstate(agent)
        case "check": input = .check(agent)
        default: return nil
        }
        let outcome: OperationOutcome<RealChaosRecorder.Output>
        switch fields[6] {
        case "done": outcome = .ok(.done)
        case "rejected": outcome = .ok(.rejected)
        case "allowed": outcome = .ok(.allowed(true))
        case "denied": outcome = .ok(.allowed(false))
        case "failed": outcome = .failed
        case "ambiguous": outcome = .ambiguous
        case "pending": outcome = .pending
        default: return nil
        }
        let isPending = if case .pending = outcome { true } else { false }
        guard isPending == (completed == nil), completed.map({ $0 >= invoked }) ?? true else { return nil }
        return HistoryOperation(id: id, client: client, input: input, invokedAt: invoked, outcome: outcome, completedAt: completed)
    }
}
