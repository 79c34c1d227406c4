/// The role a server plays in the group.
public enum Role: UInt8, Sendable, Hashable {
    /// Follows a leader (or waits for one).
    case follower
    /// Asks for pre-votes without bumping its term (PreVote, Raft thesis §9.6).
    case preCandidate
    /// Asks for votes in a new term.
    case candidate
    /// Replicates the log and decides commits.
    case leader
}

/// Volatile state the shell may want to observe: who leads and which role this server plays.
public struct SoftState: Sendable, Hashable {
    /// This server's role.
    public var role: Role
    /// The leader this server knows of in the current term, if any.
    public var leaderID: NodeID?

    /// Creates a soft state.
    public init(role: Role, leaderID: NodeID?) {
        self.role = role
        self.leaderID = leaderID
    }
}
