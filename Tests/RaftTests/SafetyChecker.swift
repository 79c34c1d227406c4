@testable import Raft

/// Checks the five Raft safety properties (Figure 3 of the Raft paper) over a set of cores.
struct SafetyChecker {
    /// Leader elected in each term.
    var leaderOfTerm: [UInt64: NodeID] = [:]
    /// Each leader's log terms (by index from firstIndex) as last seen, keyed by node.
    var leaderLogs: [NodeID: (term: UInt64, firstIndex: UInt64, terms: [UInt64])] = [:]
    /// What was applied at each index, by anyone.
    var appliedAtIndex: [UInt64: Entry] = [:]
    var highestApplied: UInt64 = 0
    var violations: [String] = []
    var checkedLeaderCompleteness = 0

    /// Keeps the first violations only: a broken core would otherwise flood the report.
    mutating func record(_ violation: String) {
        if violations.count < 50 { violations.append(violation) }
    }

    mutating func check(cores: [NodeID: RaftCore]) {
        for (node, core) in cores where core.role == .leader {
            checkElectionSafety(node: node, core: core)
            checkLeaderAppendOnly(node: node, core: core)
        }
        checkLogMatching(cores: Array(cores.values))
    }

    /// At most one leader per term.
    mutating func checkElectionSafety(node: NodeID, core: RaftCore) {
        if let existing = leaderOfTerm[core.term] {
            if existing != node { record("election safety: \(existing) and \(node) both lead term \(core.term)") }
            return
        }
        leaderOfTerm[core.term] = node
        checkLeaderCompleteness(node: node, core: core)
    }

    /// A leader never overwrites or deletes entries of its log while it leads.
    mutating func checkLeaderAppendOnly(node: NodeID, core: RaftCore) {
        if let previous = leaderLogs[node], previous.term == core.term {
            for (offset, term) in previous.terms.enumerated() {
                let index = previous.firstIndex + UInt64(offset)
                guard index >= core.firstIndex else { continue }
                if core.term(at: index) != term {
                    record("leader append-only: \(node) changed index \(index) in term \(core.term)")
                    break
                }
            }
        }
        leaderLogs[node] = (core.term, core.firstIndex, terms(of: core))
    }

    /// A newly elected leader holds every entry applied anywhere.
    mutating func checkLeaderCompleteness(node: NodeID, core: RaftCore) {
        checkedLeaderCompleteness += 1
        if core.lastIndex < highestApplied {
            record("leader completeness: leader \(node) of term \(core.term) lacks committed index \(highestApplied)")
            return
        }
        for (index, entry) in appliedAtIndex where index >= core.firstIndex {
            if core.term(at: index) != entry.term {
                record("leader completeness: leader \(node) of term \(core.term) differs at committed index \(index)")
            }
        }
    }

    /// If two logs hold an entry with the same index and term, they are identical up to it.
    mutating func checkLogMatching(cores: [RaftCore]) {
        for first in 0..<cores.count {
            for second in (first + 1)..<max(first + 1, cores.count) {
                checkLogMatching(cores[first], cores[second])
            }
        }
    }

    mutating func checkLogMatching(_ first: RaftCore, _ second: RaftCore) {
        let low = max(first.firstIndex, second.firstIndex)
        var index = min(first.lastIndex, second.lastIndex)
        var matched = false
        while index >= low && index > 0 {
            let firstEntry = first.entry(at: index)
            let secondEntry = second.entry(at: index)
            if matched && firstEntry != secondEntry {
                record("log matching: nodes \(first.id) and \(second.id) differ at \(index) below a matching entry")
                return
            }
            if !matched && firstEntry?.term == secondEntry?.term {
                matched = true
                if firstEntry != secondEntry {
                    record("log matching: same term, different entry at \(index)")
                    return
                }
            }
            index -= 1
        }
    }

    /// State machine safety: every server applies the same entry at each index, in order.
    mutating func recordApplied(_ entry: Entry, by node: NodeID, after previous: UInt64) {
        if entry.index != previous + 1 {
            record("state machine safety: node \(node) applied \(entry.index) after \(previous)")
        }
        if let existing = appliedAtIndex[entry.index] {
            if existing != entry { record("state machine safety: index \(entry.index) applied differently by node \(node)") }
        } else {
            appliedAtIndex[entry.index] = entry
            highestApplied = max(highestApplied, entry.index)
        }
    }

    private func terms(of core: RaftCore) -> [UInt64] {
        guard core.lastIndex >= core.firstIndex else { return [] }
        return (core.firstIndex...core.lastIndex).map { core.term(at: $0)! }
    }
}
