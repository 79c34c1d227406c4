import Raft

// MARK: - Messages between replicas

/// Identifies a client request; chosen by the shell, unique among its open requests.
public typealias RequestID = UInt64

/// One message from one replica to another: Raft traffic, or the replica's own write forwarding.
public struct PeerMessage: Sendable, Hashable {
    /// What a peer message carries.
    public enum Body: Sendable, Hashable {
        /// Raft traffic; its own `from` and `to` equal the envelope's.
        case raft(RaftMessage)
        /// A follower forwards a write to the leader: `LogEntryPayload` bytes (the leader
        /// re-stamps the timestamp). `requestID` is the follower's own request id.
        case forwardWrite(requestID: RequestID, payload: [UInt8])
        /// The leader tells the follower what became of a forwarded write.
        case forwardResult(requestID: RequestID, outcome: ForwardedOutcome)
    }

    /// The sending node.
    public var from: NodeID
    /// The receiving node.
    public var to: NodeID
    /// The content.
    public var body: Body

    /// Creates a message.
    public init(from: NodeID, to: NodeID, body: Body) {
        self.from = from
        self.to = to
        self.body = body
    }

    /// Wraps a Raft message, taking its addresses.
    public init(raft message: RaftMessage) {
        self.init(from: message.from, to: message.to, body: .raft(message))
    }
}

/// What the leader reports about a forwarded write.
public enum ForwardedOutcome: Sendable, Hashable {
    /// Applied at the leader at `revision`; the follower completes once it applied it too.
    case committed(revision: UInt64)
    /// Definitely not applied.
    case failed(FailureReason)
    /// May or may not commit.
    case ambiguous(AmbiguityReason)
}
