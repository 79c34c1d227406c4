#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTP
import JSON
import Server
import Simulator

// MARK: - The checks

/// The end-of-run checks and their report lines; `passed` only when every one holds.
struct RealChaosVerdict {
    typealias Operation = RealChaosRecorder.Operation
    var lines: [String] = []
    var passed = true

    /// Everything the checks look at, gathered by the run after it healed and converged.
    struct Evidence {
        var operations: [Operation]
        /// The applied revision each acknowledged write answered with, by operation id.
        var revisions: [Int: UInt64]
        var finalRevision: UInt64
        /// Each node's own view of each agent's status.
        var statuses: [String: [String?]]
        var audit: [AuditHead?]
        var crashes: [String]
        /// Peer addresses a node knows that are not the proxies (nil: the run has no proxies).
        var proxyBypasses: [String]?
    }

    static func evaluate(_ evidence: Evidence) -> RealChaosVerdict {
        let operations = evidence.operations
        var verdict = RealChaosVerdict()
        verdict.checkLinearizability(operations)
        verdict.record("kill-switch safety (allowed after an acknowledged kill, no reinstate in between)", killSwitchViolations(operations))
        verdict.record("no lost acknowledged writes", lostWrites(
            operations, revisions: evidence.revisions, finalRevision: evidence.finalRevision, statuses: evidence.statuses))
        verdict.record("audit chains verify and agree", auditProblems(evidence.audit))
        verdict.record("no node exited on its own", evidence.crashes)
        if let bypasses = evidence.proxyBypasses { verdict.record("every node knows its peers by their proxies", bypasses) }
        verdict.record("the workload exercised the kill switch", vacuity(operations))
        return verdict
    }

    /// The checks that need only the history (a saved one, read back by `--check-history`).
    static func evaluateHistory(_ operations: [Operation]) -> RealChaosVerdict {
        var verdict = RealChaosVerdict()
        verdict.checkLinearizability(operations)
        verdict.record("kill-switch safety (allowed after an acknowledged kill, no reinstate in between)", killSwitchViolations(operations))
        verdict.record("the workload exercised the kill switch", vacuity(operations))
        return verdict
    }

    /// A run that never saw an acknowledged kill, an allowed check and a denied check proves nothing.
    static func vacuity(_ operations: [Operation]) -> [String] {
        var problems: [String] = []
        if !operations.contains(where: { isKill($0) && $0.output == .done }) { problems.append("no kill was acknowledged") }
        if !operations.contains(where: { $0.output == .allowed(true) }) { problems.append("no check was allowed") }
        if !operations.contains(where: { $0.output == .allowed(false) }) { problems.append("no check was denied") }
        return problems
    }

    private mutating func record(_ name: String, _ problems: [String]) {
        lines.append("chaos-real: \(problems.isEmpty ? "PASS" : "FAIL") \(name): \(problems.count) violation(s)")
        lines.append(contentsOf: problems.prefix(RealChaosBounds.evidenceLines).map { "    \($0)" })
        if !problems.isEmpty { passed = false }
    }

    /// (1) The simulator's checker with the model of exactly what Governance does. `unknown`
    /// (budget exhausted) is reported as a failure to prove, not a pass.
    private mutating func checkLinearizability(_ operations: [Operation]) {
        let started = ContinuousClock.now
        let result = LinearizabilityChecker(model: WardenKillSwitchModel()).check(operations)
        let elapsed = ContinuousClock.now - started
        switch result {
        case .linearizable:
            lines.append("chaos-real: PASS linearizability (\(operations.count) operations, per agent) in \(elapsed)")
        case .notLinearizable(let witness):
            passed = false
            lines.append("chaos-real: FAIL linearizability in \(elapsed): a violation")
            lines.append(witness.description)
        case .unknown(let exhausted):
            passed = false
            lines.append("chaos-real: FAIL linearizability not proven in \(elapsed): \(exhausted.description)")
        }
    }

    static func render(_ operation: Operation) -> String {
        let end = operation.completedAt.map { String($0 / 1_000_000) } ?? "∞"
        return "#\(operation.id) client \(operation.client) [\(operation.invokedAt / 1_000_000)..\(end) ms] \(WardenKillSwitchModel().describe(operation))"
    }

    private static func isKill(_ operation: Operation) -> Bool {
        if case .kill = operation.input { return true }
        return false
    }

    private static func isReinstate(_ operation: Operation) -> Bool {
        if case .reinstate = operation.input { return true }
        return false
    }

    /// A write that changed (or may have changed) the agent's status: acknowledged `done`, or uncertain.
    private static func mayHaveApplied(_ operation: Operation) -> Bool {
        switch operation.outcome {
        case .ok(let output): return output == .done
        case .ambiguous, .pending: return true
        case .failed: return false
        }
    }

    /// (2) Directly, without search: an allowed check that began after an acknowledged kill had
    /// completed, with no reinstate that could have applied between the two.
    static func killSwitchViolations(_ operations: [Operation]) -> [String] {
        var problems: [String] = []
        let byAgent = Dictionary(grouping: operations) { $0.input.agent }
        for (_, ops) in byAgent {
            let kills = ops.filter { isKill($0) && $0.output == .done }
            let reinstates = ops.filter { isReinstate($0) && mayHaveApplied($0) }
            for check in ops where check.output == .allowed(true) {
                guard let checkEnd = check.completedAt else { continue }
                for kill in kills {
                    guard let killEnd = kill.completedAt, killEnd < check.invokedAt else { continue }
                    let intervening = reinstates.contains { reinstate in
                        reinstate.invokedAt < checkEnd && (reinstate.isUncertain || (reinstate.completedAt ?? .max) > kill.invokedAt)
                    }
                    if !intervening {
                        problems.append("\(render(check)) after \(render(kill))")
                        break
                    }
                }
            }
        }
        return problems
    }

    /// (3) Every acknowledged write's revision is applied everywhere, and each node's final
    /// status of an agent matches the last acknowledged write when that write is determinate
    /// (every other write that may have applied finished before it began).
    static func lostWrites(
        _ operations: [Operation], revisions: [Int: UInt64], finalRevision: UInt64, statuses: [String: [String?]]
    ) -> [String] {
        var problems: [String] = []
        for (id, revision) in revisions.sorted(by: { $0.key < $1.key }) where revision > finalRevision {
            problems.append("\(render(operations[id])) acknowledged at revision \(revision) > final applied \(finalRevision)")
        }
        let byAgent = Dictionary(grouping: operations) { $0.input.agent }
        for (agent, ops) in byAgent.sorted(by: { $0.key < $1.key }) {
            let writes = ops.filter { (isKill($0) || isReinstate($0)) && mayHaveApplied($0) }
            var expected = "active"
            if let last = writes.filter({ !$0.isUncertain }).max(by: { ($0.completedAt ?? 0) < ($1.completedAt ?? 0) }) {
                let determinate = writes.allSatisfy { $0.id == last.id || (!$0.isUncertain && ($0.completedAt ?? .max) < last.invokedAt) }
                guard determinate else { continue }
                expected = isKill(last) ? "killed" : "active"
            } else if !writes.isEmpty {
                continue
            }
            for (node, status) in (statuses[agent] ?? []).enumerated() where status != expected {
                problems.append("agent \(agent): node \(node + 1) says \(status ?? "nothing"), last acknowledged write says \(expected)")
            }
        }
        return problems
    }

    /// One node's answer to `GET /v1/audit/verify`.
    struct AuditHead {
        let ok: Bool
        let records: Int64
        let head: String
        let revision: Int64
    }

    /// (4) Every node's audit chain verifies, and at one applied revision all have the same
    /// length and head hash.
    static func auditProblems(_ audit: [AuditHead?]) -> [String] {
        var problems: [String] = []
        for (node, answer) in audit.enumerated() {
            guard let answer else { problems.append("node \(node + 1): /v1/audit/verify did not answer"); continue }
            if !answer.ok { problems.append("node \(node + 1): audit chain does not verify") }
        }
        let revisions = Set(audit.compactMap { $0?.revision })
        if revisions.count > 1 { problems.append("nodes never settled on one revision: \(revisions.sorted())") }
        let heads = Set(audit.compactMap { $0.map { "revision \($0.revision): \($0.records) records, head \($0.head)" } })
        if heads.count > 1 { problems.append("audit heads differ: \(heads.sorted().joined(separator: " | "))") }
        return problems
    }

    /// Operations by kind and outcome, one line.
    static func outcomeTable(_ operations: [Operation]) -> String {
        var counts: [String: Int] = [:]
        for operation in operations {
            let kind = RealChaosHistoryFile.kindName(operation.input)
            let outcome: String
            switch operation.outcome {
            case .ok(.done): outcome = "ok"
            case .ok(.rejected): outcome = "rejected"
            case .ok(.allowed(let allowed)): outcome = allowed ? "allowed" : "denied"
            case .failed: outcome = "failed"
            case .ambiguous, .pending: outcome = "ambiguous"
            }
            counts["\(kind) \(outcome)", default: 0] += 1
        }
        let table = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "chaos-real: \(operations.count) operations: \(table)"
    }
}
