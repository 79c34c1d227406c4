import Raft

// MARK: - What the checker reads

/// The read-only view of one replica's Raft state the safety checker needs; `RaftCore` is one,
/// and tests hand it fabricated ones to prove each check can fail.
public protocol RaftView {
    /// The current term.
    var term: UInt64 { get }
    /// Leader, follower, candidate…
    var role: Role { get }
    /// The highest index known committed.
    var commitIndex: UInt64 { get }
    /// The index of the last log entry.
    var lastIndex: UInt64 { get }
    /// The index the latest snapshot covers (entries up to it are compacted).
    var snapshotIndex: UInt64 { get }
    /// The entry at `index`, if held.
    func entry(at index: UInt64) -> Entry?
    /// The term of the entry at `index`, if known.
    func term(at index: UInt64) -> UInt64?
}

extension RaftCore: RaftView {
    /// The index the latest snapshot covers.
    public var snapshotIndex: UInt64 { snapshot.metadata.index }
}

// MARK: - Raft safety, after every step

/// Checks the Raft paper's safety properties on the live replicas' read-only views, after every
/// simulation step, keeping a global record of what was ever seen:
/// - election safety: at most one leader per term, ever;
/// - commit never regresses on a node (across a restart: not below what its disk made durable);
/// - state machine safety and log matching on the committed prefix: an index, once committed
///   anywhere, holds the same term and bytes on every node that commits it;
/// - leader completeness: a node that becomes leader holds every entry committed so far;
/// - log matching between a new leader and each follower on their recent common entries;
/// - a leader commits by counting replicas only entries of its own term (Raft §5.4.2, the
///   Figure 8 rule): while a node leads one term, its commit index may only move to an index
///   whose entry carries that term; entries of earlier terms commit indirectly, under one of its
///   own. The commit index a node brings into its leadership (from its follower days, its disk or
///   a snapshot) is its starting point, not an advance.
public struct RaftSafetyChecker {
    /// How many recent entries a new leader's log is compared with each follower's.
    static let logMatchingWindow: UInt64 = 64

    /// The report callback: checker name, detail.
    public typealias Report = (String, String) -> Void

    private var leaderOfTerm: [UInt64: Int] = [:]
    private var lastCommit: [UInt64]
    private var checkedThrough: [UInt64]
    private var lastLeaderTerm: [UInt64]
    /// The commit index each node had when last seen leading `lastLeaderTerm`.
    private var leaderCommit: [UInt64]
    /// Term (0: not seen) and content hash of every index seen committed, at `index - 1`.
    private var committedTerms: [UInt64] = []
    private var committedHashes: [UInt64] = []

    /// A checker for `nodeCount` slots.
    public init(nodeCount: Int) {
        lastCommit = Array(repeating: 0, count: nodeCount)
        checkedThrough = Array(repeating: 0, count: nodeCount)
        lastLeaderTerm = Array(repeating: 0, count: nodeCount)
        leaderCommit = Array(repeating: 0, count: nodeCount)
    }

    /// The highest index seen committed anywhere.
    public var highestCommitted: UInt64 { UInt64(committedTerms.count) }

    /// The term and content hash recorded for committed `index`, if seen.
    public func committed(at index: UInt64) -> (term: UInt64, hash: UInt64)? {
        guard index >= 1, index <= highestCommitted, committedTerms[Int(index - 1)] != 0 else { return nil }
        return (committedTerms[Int(index - 1)], committedHashes[Int(index - 1)])
    }

    /// A stable hash of an entry's content.
    public static func contentHash(_ entry: Entry) -> UInt64 {
        var hasher = TraceHasher()
        hasher.combine(UInt64(entry.kind.rawValue))
        hasher.combine(bytes: entry.data)
        return hasher.value
    }

    // MARK: Lifecycle

    /// A node (re)started: its commit index must not be below what its disk made durable.
    public mutating func nodeStarted(_ node: Int, view: some RaftView, durableCommit: UInt64, report: Report) {
        if view.commitIndex < durableCommit {
            report("commit never regresses", "node \(node) restarted at commit \(view.commitIndex) below its durable \(durableCommit)")
        }
        lastCommit[node] = view.commitIndex
        checkedThrough[node] = view.snapshotIndex
        lastLeaderTerm[node] = 0
    }

    /// A node crashed: its in-memory commit index may legitimately fall back to the durable one.
    public mutating func nodeCrashed(_ node: Int) {
        lastCommit[node] = 0
    }

    // MARK: The step check

    /// Checks every live replica; `views[i]` is node i's Raft view or nil when it is down.
    public mutating func check(_ views: [(any RaftView)?], report: Report) {
        for (node, view) in views.enumerated() {
            if let view { check(node: node, view: view, views: { views }, report: report) }
        }
    }

    /// Checks one node's view after it changed; `views` gives every node's view (nil when
    /// down), fetched only when the node has just become leader.
    public mutating func check(node: Int, view core: any RaftView, views: () -> [(any RaftView)?], report: Report) {
        if core.role == .leader { checkLeader(node, core: core, views: views, report: report) }
        if core.commitIndex < lastCommit[node] {
            report("commit never regresses", "node \(node) commit went from \(lastCommit[node]) to \(core.commitIndex)")
        }
        lastCommit[node] = core.commitIndex
        checkCommitted(node, core: core, report: report)
    }

    private mutating func checkCommitted(_ node: Int, core: any RaftView, report: Report) {
        var index = max(checkedThrough[node], core.snapshotIndex) + 1
        while index <= core.commitIndex {
            if let entry = core.entry(at: index) { record(node, entry, report: report) }
            index += 1
        }
        checkedThrough[node] = max(checkedThrough[node], core.commitIndex)
    }

    private mutating func record(_ node: Int, _ entry: Entry, report: Report) {
        let hash = Self.contentHash(entry)
        let position = Int(entry.index - 1)
        while committedTerms.count <= position {
            committedTerms.append(0)
            committedHashes.append(0)
        }
        if committedTerms[position] == 0 {
            committedTerms[position] = entry.term
            committedHashes[position] = hash
        } else if committedTerms[position] != entry.term || committedHashes[position] != hash {
            report("state machine safety",
                   "node \(node) committed index \(entry.index) as term \(entry.term), another node committed term \(committedTerms[position]) (or other bytes)")
        }
    }

    private mutating func checkLeader(_ node: Int, core: any RaftView, views: () -> [(any RaftView)?], report: Report) {
        if let other = leaderOfTerm[core.term], other != node {
            report("election safety", "nodes \(other) and \(node) both led term \(core.term)")
        }
        leaderOfTerm[core.term] = node
        guard lastLeaderTerm[node] != core.term else {
            checkLeaderCommit(node, core: core, report: report)
            return
        }
        lastLeaderTerm[node] = core.term
        leaderCommit[node] = core.commitIndex
        checkLeaderCompleteness(node, core: core, report: report)
        for (follower, view) in views().enumerated() where follower != node {
            if let view { checkLogMatching(leader: node, core, follower: follower, view, report: report) }
        }
    }

    /// The Figure 8 rule: a leader's commit advance lands on an entry of its own term. (The
    /// entry at the new commit index is still in the log: compaction trails the applied index.)
    private mutating func checkLeaderCommit(_ node: Int, core: any RaftView, report: Report) {
        guard core.commitIndex > leaderCommit[node] else { return }
        let previous = leaderCommit[node]
        leaderCommit[node] = core.commitIndex
        if let entryTerm = core.term(at: core.commitIndex), entryTerm != core.term {
            report("leader commits only its own term",
                   "node \(node), leading term \(core.term), moved its commit index from \(previous) to \(core.commitIndex), an entry of term \(entryTerm)")
        }
    }

    private func checkLeaderCompleteness(_ node: Int, core: any RaftView, report: Report) {
        var index = core.snapshotIndex + 1
        while index <= highestCommitted {
            if let expected = committed(at: index), core.term(at: index) != expected.term {
                report("leader completeness",
                       "node \(node) leads term \(core.term) without committed index \(index) (term \(expected.term)); it has \(core.term(at: index).map(String.init) ?? "nothing")")
                return
            }
            index += 1
        }
    }

    private func checkLogMatching(leader: Int, _ core: any RaftView, follower: Int, _ other: any RaftView, report: Report) {
        let last = min(core.lastIndex, other.lastIndex)
        let first = max(core.snapshotIndex, other.snapshotIndex) + 1
        guard last >= first else { return }
        var index = last
        while index >= first && index + Self.logMatchingWindow > last {
            if let mine = core.entry(at: index), let theirs = other.entry(at: index), mine.term == theirs.term {
                if Self.contentHash(mine) != Self.contentHash(theirs) {
                    report("log matching", "nodes \(leader) and \(follower) hold different entries at index \(index), both term \(mine.term)")
                }
                // Same index and term: the prefix below must match too, which the committed
                // prefix check covers; one agreeing entry ends the walk.
                return
            }
            index -= 1
        }
    }
}
