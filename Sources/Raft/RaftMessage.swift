/// A message between two servers of a Raft group. Plain values, safe to send across threads.
public struct RaftMessage: Sendable, Hashable {
    /// A (pre-)vote request.
    public struct VoteRequest: Sendable, Hashable {
        /// A pre-vote asks "would you vote for me in term `term`?" without anyone changing term.
        public var isPreVote: Bool
        /// The index of the candidate's last entry.
        public var lastLogIndex: UInt64
        /// The term of the candidate's last entry.
        public var lastLogTerm: UInt64
        /// Sent on `timeoutNow`: voters ignore their leader lease for it.
        public var isLeadershipTransfer: Bool

        /// Creates a vote request.
        public init(isPreVote: Bool, lastLogIndex: UInt64, lastLogTerm: UInt64, isLeadershipTransfer: Bool) {
            self.isPreVote = isPreVote
            self.lastLogIndex = lastLogIndex
            self.lastLogTerm = lastLogTerm
            self.isLeadershipTransfer = isLeadershipTransfer
        }
    }

    /// An append (AppendEntries) from a leader.
    public struct AppendRequest: Sendable, Hashable {
        /// The index of the entry just before `entries`.
        public var previousIndex: UInt64
        /// The term of that entry, for the consistency check.
        public var previousTerm: UInt64
        /// The entries to append, possibly none (a commit update or probe).
        public var entries: [Entry]
        /// The leader's commit index.
        public var commitIndex: UInt64

        /// Creates an append request.
        public init(previousIndex: UInt64, previousTerm: UInt64, entries: [Entry], commitIndex: UInt64) {
            self.previousIndex = previousIndex
            self.previousTerm = previousTerm
            self.entries = entries
            self.commitIndex = commitIndex
        }
    }

    /// A follower's answer to an append.
    public struct AppendResponse: Sendable, Hashable {
        /// Whether the consistency check passed.
        public var success: Bool
        /// On success the follower's last index matching the leader; on rejection the rejected
        /// `previousIndex`.
        public var index: UInt64
        /// On rejection, the largest index at or below `index` whose term is at most the leader's
        /// `previousTerm`: the leader can skip a whole term per round trip.
        public var rejectHintIndex: UInt64
        /// The follower's term at `rejectHintIndex`.
        public var rejectHintTerm: UInt64

        /// Creates an append response.
        public init(success: Bool, index: UInt64, rejectHintIndex: UInt64 = 0, rejectHintTerm: UInt64 = 0) {
            self.success = success
            self.index = index
            self.rejectHintIndex = rejectHintIndex
            self.rejectHintTerm = rejectHintTerm
        }
    }

    /// One chunk of a snapshot on its way to a lagging follower.
    public struct SnapshotChunk: Sendable, Hashable {
        /// Which snapshot this chunk belongs to.
        public var metadata: Snapshot.Metadata
        /// The byte offset of `data` in the snapshot.
        public var offset: UInt64
        /// The size of the whole snapshot in bytes.
        public var totalBytes: UInt64
        /// The bytes of this chunk.
        public var data: [UInt8]

        /// Creates a snapshot chunk.
        public init(metadata: Snapshot.Metadata, offset: UInt64, totalBytes: UInt64, data: [UInt8]) {
            self.metadata = metadata
            self.offset = offset
            self.totalBytes = totalBytes
            self.data = data
        }
    }

    /// What a message says.
    public enum Body: Sendable, Hashable {
        /// Asks for a vote or a pre-vote.
        case voteRequest(VoteRequest)
        /// Grants or refuses a vote or a pre-vote.
        case voteResponse(isPreVote: Bool, granted: Bool)
        /// Replicates entries and the commit index.
        case append(AppendRequest)
        /// Acknowledges or rejects an append.
        case appendResponse(AppendResponse)
        /// Asserts leadership, carries commit (capped at the follower's match) and a read round.
        case heartbeat(commitIndex: UInt64, readRound: UInt64)
        /// Acknowledges a heartbeat, echoing its read round.
        case heartbeatResponse(readRound: UInt64)
        /// Carries part of a snapshot.
        case snapshotChunk(SnapshotChunk)
        /// Tells the leader the next offset wanted, or that the snapshot at `snapshotIndex` is in.
        case snapshotResponse(snapshotIndex: UInt64, nextOffset: UInt64, done: Bool)
        /// Tells a caught-up follower to campaign at once (leadership transfer).
        case timeoutNow
        /// A follower forwards a linearizable read to the leader.
        case readIndexRequest(requestID: UInt64)
        /// The leader answers a forwarded read with the index to wait for.
        case readIndexResponse(requestID: UInt64, index: UInt64)
    }

    /// The sender.
    public var from: NodeID
    /// The recipient.
    public var to: NodeID
    /// The sender's term (for a pre-vote request, the term it would campaign in).
    public var term: UInt64
    /// The content.
    public var body: Body

    /// Creates a message.
    public init(from: NodeID, to: NodeID, term: UInt64, body: Body) {
        self.from = from
        self.to = to
        self.term = term
        self.body = body
    }
}
