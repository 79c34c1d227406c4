import Governance
import Raft

// MARK: - What one process() produced

/// Everything one `Replica.process()` hands back to the shell.
public struct ReplicaOutput: Sendable {
    /// Requests that completed, each exactly once over the replica's life.
    public var completions: [RequestID: RequestOutcome] = [:]
    /// Feed events of the entries applied in this call, in revision order.
    public var feed: [FeedItem] = []
    /// The applied revision after this call.
    public var appliedRevision: UInt64 = 0
    /// The commit index after this call.
    public var commitIndex: UInt64 = 0
    /// The new role or leader, when either changed during this call.
    public var softState: SoftState?
    /// Whether Governance was replaced from a leader's snapshot during this call (feed
    /// subscribers behind it need a reset).
    public var snapshotInstalled = false

    /// An empty output.
    public init() {}
}

/// One feed event with the revision of the entry that produced it.
public struct FeedItem: Sendable, Hashable {
    /// The entry's revision (the feed's event id).
    public var revision: UInt64
    /// The change.
    public var event: FeedEvent

    /// Creates a feed item.
    public init(revision: UInt64, event: FeedEvent) {
        self.revision = revision
        self.event = event
    }
}

/// The answer to `Replica.events(after:limit:)`.
public enum FeedRead: Sendable, Hashable {
    /// Events with revisions after the requested one, oldest first, at most the limit.
    case events([FeedItem])
    /// The requested point is older than the ring holds: send a snapshot and resume after `horizon`.
    case resetNeeded(horizon: UInt64)
}

/// An enforcer as this node knows it (API.md `GET /v1/enforcers`).
public struct EnforcerStatus: Sendable, Hashable {
    /// The enforcer's id.
    public var id: String
    /// The highest revision it acknowledged.
    public var acknowledgedRevision: UInt64
    /// When this node last heard from it (its clock).
    public var lastHeardMilliseconds: Int64
    /// Whether it was heard within the enforcer lease.
    public var isLive: Bool

    /// Creates an enforcer status.
    public init(id: String, acknowledgedRevision: UInt64, lastHeardMilliseconds: Int64, isLive: Bool) {
        self.id = id
        self.acknowledgedRevision = acknowledgedRevision
        self.lastHeardMilliseconds = lastHeardMilliseconds
        self.isLive = isLive
    }
}
