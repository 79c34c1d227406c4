/// One single-server membership change. New servers join as learners and are promoted once
/// they have caught up, so adding a voter never leaves the group waiting on an empty log.
public enum MembershipChange: Sendable, Hashable {
    /// Add a non-voting member that receives the log but does not count in quorums.
    case addLearner(NodeID)
    /// Make a caught-up learner a voter.
    case promoteLearner(NodeID)
    /// Remove a voter or a learner.
    case remove(NodeID)
}
