// MARK: - Membership: single-server changes, learners, removal of the leader

extension RaftCore {
    /// Proposes one membership change; returns the index of its configuration entry.
    ///
    /// Single-server changes, effective when committed, with the known fix for them: a leader
    /// proposes a change only after committing an entry of its own term, and only one change
    /// may be pending. Learners must have caught up with the commit index before promotion.
    @discardableResult
    public mutating func proposeMembershipChange(_ change: MembershipChange) throws(RaftError) -> UInt64 {
        guard role == .leader else { throw .notLeader(hint: leaderID) }
        guard transferTarget == nil else { throw .transferInProgress }
        guard log.term(at: log.commitIndex) == term else { throw .leaderNotReady }
        guard pendingConfigurationIndex <= log.commitIndex else { throw .configurationChangePending }
        let newConfiguration = try membership.applying(change)
        if case .promoteLearner(let learner) = change {
            guard let learnerProgress = progress[learner], learnerProgress.match >= log.commitIndex else {
                throw .learnerNotCaughtUp
            }
        }
        let index = appendAsLeader(kind: .configuration, data: newConfiguration.encoded())
        pendingConfigurationIndex = index
        broadcastAppend(allowEmpty: false)
        return index
    }

    /// A configuration entry committed: it is now the configuration in force.
    mutating func applyConfiguration(_ newConfiguration: ClusterConfiguration) {
        membership = newConfiguration
        guard role == .leader else { return }
        for member in newConfiguration.members where member != id && progress[member] == nil {
            progress[member] = Progress(next: log.lastIndex + 1, maxInflight: options.maxInflightAppends)
        }
        for member in progress.keys.sorted() where !newConfiguration.members.contains(member) {
            progress[member] = nil
        }
        if let target = transferTarget, !newConfiguration.isVoter(target) { transferTarget = nil }
        if !newConfiguration.isVoter(id) {
            // A leader removed from the voters tells the others the commit, then steps down
            // (etcd#11038 class): it must not keep leading a group it is no longer part of.
            broadcastAppend(allowEmpty: true)
            becomeFollower(term: term, leader: nil)
            return
        }
        // A smaller quorum may commit more right away.
        if maybeCommit() { broadcastAppend(allowEmpty: true) }
    }
}
