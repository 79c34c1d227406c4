// MARK: - The node's metrics

/// The node's metrics over the API layer's `Metrics` registry (standard families plus the
/// runtime's own: commit index, leadership, peer transport, inbox), rendered at `GET /metrics`.
public final class NodeMetrics: Sendable {
    /// Gauge: highest index known committed.
    static let commitIndexName = "warden_commit_index"
    /// Gauge: 1 while this node leads.
    static let isLeaderName = "warden_is_leader"
    /// Counter: peer messages dropped (full queue or unknown peer).
    static let peerDroppedName = "warden_peer_messages_dropped_total"
    /// Counter: peer batches delivered.
    static let peerBatchesName = "warden_peer_batches_sent_total"
    /// Counter: peer posts that failed.
    static let peerFailuresName = "warden_peer_send_failures_total"
    /// Counter: client requests refused because the replica thread's inbox was full.
    static let inboxRejectionsName = "warden_inbox_rejections_total"

    /// The registry `/metrics` renders.
    public let registry = Metrics()

    /// A registry with the runtime's families declared next to the standard ones.
    public init() {
        registry.declare(Self.commitIndexName, .gauge, help: "Highest index known committed")
        registry.declare(Self.isLeaderName, .gauge, help: "1 while this node leads")
        registry.declare(Self.peerDroppedName, .counter, help: "Peer messages dropped (full queue or unknown peer)")
        registry.declare(Self.peerBatchesName, .counter, help: "Peer batches delivered")
        registry.declare(Self.peerFailuresName, .counter, help: "Peer posts that failed")
        registry.declare(Self.inboxRejectionsName, .counter, help: "Requests refused because the replica inbox was full")
    }

    /// Counts one HTTP response.
    public func recordRequest(route: String, status: Int) { registry.recordRequest(route: route, status: status) }
    /// Counts a write proposed by this node's clients, by how it ended.
    func proposalFinished(_ outcome: String) { registry.increment(StandardMetric.proposals, labels: [outcome]) }
    /// Records a write's submission-to-completion time.
    func commitLatency(seconds: Double) { registry.observe(StandardMetric.commitLatency, seconds) }
    /// Counts a leader change.
    func leaderChanged() { registry.increment(StandardMetric.leaderChanges) }
    /// Counts dropped peer messages.
    func peerMessagesDropped(_ count: Int) { registry.increment(Self.peerDroppedName, by: Double(count)) }
    /// Counts a delivered peer batch.
    func peerBatchSent() { registry.increment(Self.peerBatchesName) }
    /// Counts a failed peer post.
    func peerSendFailed() { registry.increment(Self.peerFailuresName) }
    /// Counts a request refused on a full inbox.
    func inboxRejected() { registry.increment(Self.inboxRejectionsName) }

    /// Refreshes the progress gauges.
    func progress(applied: UInt64, commit: UInt64, term: UInt64, isLeader: Bool) {
        registry.set(StandardMetric.appliedRevision, to: Double(applied))
        registry.set(Self.commitIndexName, to: Double(commit))
        registry.set(StandardMetric.term, to: Double(term))
        registry.set(Self.isLeaderName, to: isLeader ? 1 : 0)
    }

    /// Sets each enforcer's lag.
    func enforcerLag(_ lags: [(id: String, lag: UInt64)]) {
        for (id, lag) in lags { registry.set(StandardMetric.enforcerLag, labels: [id], to: Double(lag)) }
    }
}
