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
