/// Why the core refused a proposal, a read, a membership change or a leadership transfer.
public enum RaftError: Error, Sendable, Hashable {
    /// This server is not the leader; `hint` names the leader it knows of, if any.
    case notLeader(hint: NodeID?)
    /// The leader holds more uncommitted proposal bytes than `RaftOptions.maxUncommittedBytes`.
    case tooManyUncommitted
    /// A leadership transfer is in progress; proposals wait until it finishes or times out.
    case transferInProgress
    /// A configuration change is still uncommitted; only one may be pending at a time.
    case configurationChangePending
    /// The leader has not yet committed an entry of its own term (required before a
    /// membership change, the fix for single-server changes in Ongaro's 2015 errata).
    case leaderNotReady
    /// The change does not apply to the current configuration (unknown node, already a member,
    /// removing the last voter, or transferring to oneself or a non-voter).
    case invalidChange
    /// A learner may be promoted only once its log has caught up with the leader's commit index.
    case learnerNotCaughtUp
    /// Too many linearizable reads are waiting; the bound is `RaftOptions.maxPendingReads`.
    case tooManyPendingReads
}
