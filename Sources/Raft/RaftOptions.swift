/// Tuning of one `RaftCore`. Every bound is named here with its reason.
public struct RaftOptions: Sendable, Hashable {
    /// T: a follower campaigns after a random timeout in [T, 2T) ticks without a leader.
    public var electionTimeoutTicks: Int = 10
    /// The leader sends heartbeats (carrying commit and read rounds) this often, in ticks.
    public var heartbeatIntervalTicks: Int = 1
    /// Run a pre-vote round before bumping the term, so a rejoining node cannot depose a leader.
    public var preVote: Bool = true
    /// A leader that has not heard from a quorum within an election timeout steps down, and
    /// followers ignore vote requests while they hear from a leader (the leader lease).
    public var checkQuorum: Bool = true
    /// Batching: at most this many entries in one append message.
    public var maxEntriesPerAppend: Int = 4096
    /// Batching: at most this many payload bytes in one append message (at least one entry).
    public var maxBytesPerAppend: Int = 1 << 20
    /// Pipelining: at most this many unacknowledged appends to one follower in replicate state.
    public var maxInflightAppends: Int = 64
    /// Flow control: a leader refuses proposals beyond this many uncommitted payload bytes.
    public var maxUncommittedBytes: Int = 64 << 20
    /// Snapshots travel in chunks of at most this many bytes, one chunk in flight per follower.
    public var maxSnapshotChunkBytes: Int = 1 << 20
    /// A follower refuses a snapshot larger than this, bounding the memory of its assembly buffer.
    public var maxSnapshotBytes: Int = 1 << 30
    /// A Ready carries about this many bytes of committed entries (at least one entry), so a
    /// restart with a long committed log applies it in bounded steps.
    public var maxCommittedBytesPerReady: Int = 16 << 20
    /// At most this many linearizable reads wait on one server.
    public var maxPendingReads: Int = 1 << 16

    /// Creates options with the defaults above.
    public init() {}
}
