import Raft

// MARK: - No leading without a quorum

/// Checks that no node keeps acting as leader (accepting proposals, starting ReadIndex rounds)
/// long after it last heard from a quorum: a partitioned leader must step down on its own.
///
/// Everything is measured on the leader's side, in its own ticks and the responses actually
/// delivered to it, so a paused leader (which does not tick), a slow one, a drifting clock or a
/// lossy link never look like a violation: only ticks the leader itself counted while nobody
/// answered do. A peer counts as heard at a tick when an append, heartbeat or snapshot response
/// of the leader's term from it was delivered (what Raft's CheckQuorum counts); the leader
/// counts itself. The quorum contact is the latest tick by which a quorum of voters had been
/// heard from (at the start of a leadership, every voter counts as heard: it just won a vote).
///
/// The bound: CheckQuorum looks once per election timeout T at whether a quorum was heard since
/// its previous look, so a leader whose quorum fell silent right after one look steps down at
/// the look after next, just under 2T ticks later. A leader still leading more than
/// `slack` × T of its own ticks after its quorum contact is a violation.
public struct LeaderQuorumChecker {
    /// Election timeouts of the leader's own ticks it may lead past its last quorum contact.
    public static let slack = 2

    /// The report callback: checker name, detail.
    public typealias Report = (String, String) -> Void

    private struct Leadership {
        var term: UInt64
        /// Ticks counted since the leadership was first seen.
        var ticks = 0
        /// Per slot, the leader's tick count when that peer was last heard from.
        var heardAt: [Int]
        var reported = false
    }

    private var leaderships: [Leadership?]

    /// A checker for `nodeCount` slots.
    public init(nodeCount: Int) {
        leaderships = Array(repeating: nil, count: nodeCount)
    }

    /// Notes `node`'s role and term after a step: leaderships start and end here.
    public mutating func observe(node: Int, role: Role, term: UInt64) {
        guard role == .leader else {
            leaderships[node] = nil
            return
        }
        if leaderships[node]?.term != term {
            leaderships[node] = Leadership(term: term, heardAt: Array(repeating: 0, count: leaderships.count))
        }
    }

    /// A response from `peer` carrying `term` is delivered to `node` (call before it is stepped).
    public mutating func heard(node: Int, from peer: Int, term: UInt64) {
        guard var leadership = leaderships[node], leadership.term == term, peer < leadership.heardAt.count else { return }
        leadership.heardAt[peer] = leadership.ticks
        leaderships[node] = leadership
    }

    /// `node` crashed: whatever it led ended.
    public mutating func nodeCrashed(_ node: Int) {
        leaderships[node] = nil
    }

    /// `node` ticked once (its own timer) and now has this role and term; `voters` are the slots
    /// of its configuration's voters and `quorum` how many of them make a majority.
    public mutating func ticked(node: Int, role: Role, term: UInt64, voters: [Int], quorum: Int,
                                electionTimeoutTicks: Int, report: Report) {
        observe(node: node, role: role, term: term)
        guard var leadership = leaderships[node] else { return }
        leadership.ticks += 1
        leaderships[node] = leadership
        guard !leadership.reported else { return }
        let silentFor = leadership.ticks - Self.quorumContact(leadership, node: node, voters: voters, quorum: quorum)
        if silentFor > Self.slack * electionTimeoutTicks {
            leaderships[node]?.reported = true
            report("no leading without a quorum",
                   "node \(node) has led term \(term) for \(silentFor) of its ticks since it last heard from a quorum (bound \(Self.slack) × \(electionTimeoutTicks))")
        }
    }

    /// The latest tick by which a quorum of voters (the leader included, always current) had
    /// been heard from.
    private static func quorumContact(_ leadership: Leadership, node: Int, voters: [Int], quorum: Int) -> Int {
        var heard = voters.filter { $0 != node && $0 < leadership.heardAt.count }.map { leadership.heardAt[$0] }
        let needed = quorum - (voters.contains(node) ? 1 : 0)
        guard needed > 0 else { return leadership.ticks }
        guard heard.count >= needed else { return 0 }
        heard.sort(by: >)
        return heard[needed - 1]
    }

    /// Whether a peer message counts as hearing from its sender: the responses CheckQuorum counts.
    public static func isQuorumContact(_ body: RaftMessage.Body) -> Bool {
        switch body {
        case .appendResponse, .heartbeatResponse, .snapshotResponse: return true
        default: return false
        }
    }
}
