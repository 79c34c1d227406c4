/// The state a server must have on stable storage before it answers anyone:
/// its current term, its vote in that term, and the highest index known committed.
public struct HardState: Sendable, Hashable {
    /// The latest term the server has seen.
    public var term: UInt64
    /// The candidate that received this server's vote in `term`, if any.
    public var votedFor: NodeID?
    /// The highest log index known to be committed; never decreases, also across restarts.
    public var commitIndex: UInt64

    /// Creates a hard state.
    public init(term: UInt64 = 0, votedFor: NodeID? = nil, commitIndex: UInt64 = 0) {
        self.term = term
        self.votedFor = votedFor
        self.commitIndex = commitIndex
    }
}
