import Governance
import HTTP
import Replica

// MARK: - Where feed bytes go

/// The receiving end of one feed subscription: the HTTP responder in production, a recorder
/// in tests. Every call happens on the replica thread; none of them blocks.
public protocol FeedSink: AnyObject {
    /// Whether the client has gone away.
    var isClientGone: Bool { get }
    /// Sends a complete response (long poll, refusals).
    func send(_ response: HTTPResponse)
    /// Starts a streamed response (SSE).
    func startStream(_ head: HTTPResponseHead)
    /// Queues one chunk; false when the client is gone or its queue is full (nothing queued).
    func write(_ chunk: [UInt8]) -> Bool
    /// Ends the streamed response.
    func finish()
}

extension HTTPResponder: FeedSink {}

// MARK: - Where feed events come from

/// What the hub reads from the replica: its bounded feed ring, its applied state and revision.
public protocol FeedSource: AnyObject {
    /// Every event after `revision`, oldest first, at most `limit`; or the ring's horizon when
    /// `revision` is older than the ring.
    func events(after revision: UInt64, limit: Int) -> FeedRead
    /// The applied decision state (snapshots are taken from it).
    var governance: GovernanceState { get }
    /// The Raft applied index: every event at or below it is in the ring or older than it.
    var appliedRevision: UInt64 { get }
}

extension Replica: FeedSource {}

// MARK: - What a heartbeat says about the cluster

/// The cluster view a heartbeat carries besides the commit the hub has published up to.
public struct FeedClusterView: Sendable, Hashable {
    /// The leader this node follows (or is); nil: no known leader, so no heartbeats are sent and
    /// enforcers attached here go stale after their lease.
    public var leader: String?
    /// The Raft term.
    public var term: UInt64

    /// A view from its parts.
    public init(leader: String?, term: UInt64) {
        self.leader = leader
        self.term = term
    }
}
