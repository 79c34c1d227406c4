// MARK: - Leadership transfer (Raft thesis §3.10)

extension RaftCore {
    /// Hands leadership to the voter `target`. Proposals are refused meanwhile. TimeoutNow is
    /// sent only once the target's log matches the leader's; until then the leader replicates to
    /// it. The transfer is abandoned after an election timeout.
    public mutating func transferLeadership(to target: NodeID) throws(RaftError) {
        guard role == .leader else { throw .notLeader(hint: leaderID) }
        guard target != id, membership.isVoter(target), let targetProgress = progress[target] else {
            throw .invalidChange
        }
        if transferTarget == target { return }
        transferTarget = target
        electionElapsed = 0
        if targetProgress.match == log.lastIndex {
            outbox.append(message(.timeoutNow, to: target))
        } else {
            sendAppend(to: target, allowEmpty: true)
        }
    }

    /// The voter a transfer is under way to, if any.
    public var leadershipTransferTarget: NodeID? { transferTarget }
}
