import Synchronization

// MARK: - Metrics

/// A monotonically increasing count, safe from any thread.
public final class MetricCounter: Sendable {
    private let value = Atomic<Int>(0)
    /// A counter at zero.
    public init() {}
    /// Adds `amount`.
    public func add(_ amount: Int) { value.add(amount, ordering: .relaxed) }
    /// The current count.
    public var current: Int { value.load(ordering: .relaxed) }
}

/// A value that goes up and down, safe from any thread.
public final class MetricGauge: Sendable {
    private let value = Atomic<Int>(0)
    /// A gauge at zero.
    public init() {}
    /// Sets the value.
    public func set(_ amount: Int) { value.store(amount, ordering: .relaxed) }
    /// The current value.
    public var current: Int { value.load(ordering: .relaxed) }
}

/// A fixed-bucket histogram of seconds, safe from any thread.
public final class MetricHistogram: Sendable {
    /// Upper bounds of the buckets, in seconds.
    public let bounds: [Double]
    private let state: Mutex<(counts: [Int], sum: Double, count: Int)>

    /// A histogram with these bucket bounds.
    public init(bounds: [Double]) {
        self.bounds = bounds
        state = Mutex((counts: [Int](repeating: 0, count: bounds.count), sum: 0, count: 0))
    }

    /// Records one observation.
    public func observe(_ seconds: Double) {
        state.withLock { current in
            for (index, bound) in bounds.enumerated() where seconds <= bound { current.counts[index] += 1 }
            current.sum += seconds
            current.count += 1
        }
    }

    /// Prometheus lines for this histogram under `name`.
    func exposition(name: String) -> String {
        let snapshot = state.withLock { $0 }
        var lines = ""
        for (index, bound) in bounds.enumerated() { lines += "\(name)_bucket{le=\"\(bound)\"} \(snapshot.counts[index])\n" }
        lines += "\(name)_bucket{le=\"+Inf\"} \(snapshot.count)\n\(name)_sum \(snapshot.sum)\n\(name)_count \(snapshot.count)\n"
        return lines
    }
}

/// The node's metrics, rendered at `GET /metrics` in the Prometheus text format.
public final class NodeMetrics: Sendable {
    /// Commit latency buckets: loopback commits take well under a millisecond to tens of ms.
    public static let latencyBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5]
    /// Distinct (route, status) pairs tracked; further pairs are folded into one overflow label.
    static let maximumRequestSeries = 512

    /// Writes proposed by this node's clients.
    public let proposals = MetricCounter()
    /// Times this node saw the leader change.
    public let leaderChanges = MetricCounter()
    /// Time from a write's submission to its completion here.
    public let commitLatency = MetricHistogram(bounds: latencyBounds)
    /// Peer messages dropped (full queue or unknown peer).
    public let peerMessagesDropped = MetricCounter()
    /// Peer batches posted successfully.
    public let peerBatchesSent = MetricCounter()
    /// Peer posts that failed.
    public let peerSendFailures = MetricCounter()
    /// Client requests refused because the replica thread's inbox was full.
    public let inboxRejections = MetricCounter()
    /// The applied revision.
    public let appliedRevision = MetricGauge()
    /// The commit index.
    public let commitIndex = MetricGauge()
    /// The current term.
    public let term = MetricGauge()
    /// 1 while this node leads.
    public let isLeader = MetricGauge()
    /// Feed subscribers (always 0 until the feed is served).
    public let feedSubscribers = MetricGauge()
    /// Enforcers known to this node.
    public let enforcers = MetricGauge()
    private let requests = Mutex<[String: Int]>([:])

    private static let latencyBounds = latencyBuckets

    /// Empty metrics.
    public init() {}

    /// Counts one HTTP response.
    public func recordRequest(route: String, status: Int) {
        requests.withLock { table in
            var key = "route=\"\(route)\",code=\"\(status)\""
            if table[key] == nil && table.count >= Self.maximumRequestSeries { key = "route=\"other\",code=\"\(status)\"" }
            table[key, default: 0] += 1
        }
    }

    /// The Prometheus text exposition.
    public func exposition() -> String {
        var text = ""
        func line(_ name: String, _ type: String, _ help: String, _ value: Int) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        line("warden_applied_revision", "gauge", "Last applied revision", appliedRevision.current)
        line("warden_commit_index", "gauge", "Highest index known committed", commitIndex.current)
        line("warden_term", "gauge", "Current Raft term", term.current)
        line("warden_is_leader", "gauge", "1 while this node leads", isLeader.current)
        line("warden_leader_changes_total", "counter", "Leader changes seen", leaderChanges.current)
        line("warden_proposals_total", "counter", "Writes submitted on this node", proposals.current)
        line("warden_feed_subscribers", "gauge", "Feed subscribers", feedSubscribers.current)
        line("warden_enforcers", "gauge", "Enforcers known to this node", enforcers.current)
        line("warden_peer_messages_dropped_total", "counter", "Peer messages dropped", peerMessagesDropped.current)
        line("warden_peer_batches_sent_total", "counter", "Peer batches delivered", peerBatchesSent.current)
        line("warden_peer_send_failures_total", "counter", "Peer posts that failed", peerSendFailures.current)
        line("warden_inbox_rejections_total", "counter", "Requests refused on a full inbox", inboxRejections.current)
        text += "# HELP warden_commit_latency_seconds Write submission to completion\n"
        text += "# TYPE warden_commit_latency_seconds histogram\n"
        text += commitLatency.exposition(name: "warden_commit_latency_seconds")
        text += "# HELP warden_http_requests_total HTTP responses by route and code\n# TYPE warden_http_requests_total counter\n"
        for (labels, count) in requests.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            text += "warden_http_requests_total{\(labels)} \(count)\n"
        }
        return text
    }
}
