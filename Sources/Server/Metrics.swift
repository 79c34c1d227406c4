import HTTP
import Synchronization

// MARK: - Metrics registry

/// A thread-safe registry of counters, gauges and fixed-bucket histograms, exposed in the
/// Prometheus text format (version 0.0.4). Families are declared once; samples are keyed by
/// their label values. The runtime owns one instance and every thread records into it.
public final class Metrics: Sendable {
    /// The most label sets one family keeps; later ones are dropped (bounded cardinality).
    public static let maximumSeriesPerFamily = 1_000
    /// Commit latency buckets in seconds: 100 µs to 1 s.
    public static let latencyBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

    /// The kind of a family.
    public enum Kind: String, Sendable {
        /// Only goes up.
        case counter
        /// Goes up and down.
        case gauge
        /// Observations counted into fixed buckets.
        case histogram
    }

    /// One label set's value(s).
    struct Series: Sendable {
        var value: Double = 0
        var bucketCounts: [UInt64] = []
        var sum: Double = 0
        var count: UInt64 = 0
    }

    /// One metric family.
    struct Family: Sendable {
        var kind: Kind
        var help: String
        var buckets: [Double]
        var series: [[String]: Series] = [:]
        var labelNames: [String]
    }

    private let families = Mutex<[String: Family]>([:])

    /// A registry with Warden's standard families declared.
    public init() {
        declare(StandardMetric.httpRequests, .counter, help: "HTTP requests by route and status code", labels: ["route", "code"])
        declare(StandardMetric.commitLatency, .histogram, help: "Proposal to apply latency in seconds", buckets: Self.latencyBuckets)
        declare(StandardMetric.appliedRevision, .gauge, help: "Last applied revision")
        declare(StandardMetric.term, .gauge, help: "Current Raft term")
        declare(StandardMetric.leaderChanges, .counter, help: "Leader changes observed")
        declare(StandardMetric.proposals, .counter, help: "Proposals by outcome", labels: ["outcome"])
        declare(StandardMetric.feedSubscribers, .gauge, help: "Connected feed subscribers")
        declare(StandardMetric.enforcerLag, .gauge, help: "Revisions an enforcer is behind the commit", labels: ["enforcer"])
    }

    /// Declares a family; declaring an existing name again keeps the first declaration.
    public func declare(_ name: String, _ kind: Kind, help: String, labels: [String] = [], buckets: [Double] = []) {
        precondition(kind != .histogram || !buckets.isEmpty, "a histogram needs buckets")
        precondition(buckets == buckets.sorted(), "histogram buckets must ascend")
        families.withLock { families in
            if families[name] == nil {
                families[name] = Family(kind: kind, help: help, buckets: buckets, labelNames: labels)
            }
        }
    }

    /// Adds `amount` (≥ 0) to a counter.
    public func increment(_ name: String, labels: [String] = [], by amount: Double = 1) {
        precondition(amount >= 0, "counters only go up")
        update(name, labels) { series, _ in series.value += amount }
    }

    /// Sets a gauge.
    public func set(_ name: String, labels: [String] = [], to value: Double) {
        update(name, labels) { series, _ in series.value = value }
    }

    /// Records one observation in a histogram.
    public func observe(_ name: String, labels: [String] = [], _ value: Double) {
        update(name, labels) { series, buckets in
            if series.bucketCounts.isEmpty { series.bucketCounts = Array(repeating: 0, count: buckets.count) }
            if let index = buckets.firstIndex(where: { value <= $0 }) { series.bucketCounts[index] += 1 }
            series.sum += value
            series.count += 1
        }
    }

    /// Counts one HTTP response (`route` is a `RouteDefinition.name`, or `unmatched`).
    public func recordRequest(route: String, status: Int) {
        increment(StandardMetric.httpRequests, labels: [route, String(status)])
    }

    private func update(_ name: String, _ labels: [String], _ change: (inout Series, [Double]) -> Void) {
        families.withLock { families in
            guard var family = families[name] else { preconditionFailure("metric \(name) was never declared") }
            precondition(labels.count == family.labelNames.count, "metric \(name) takes labels \(family.labelNames)")
            if family.series[labels] == nil && family.series.count >= Self.maximumSeriesPerFamily { return }
            families[name] = nil
            change(&family.series[labels, default: Series()], family.buckets)
            families[name] = family
        }
    }
}

// MARK: - Standard names

/// The names of the families every node exports (API.md `/metrics`).
public enum StandardMetric {
    /// Counter `{route, code}`.
    public static let httpRequests = "warden_http_requests_total"
    /// Histogram, seconds.
    public static let commitLatency = "warden_commit_latency_seconds"
    /// Gauge.
    public static let appliedRevision = "warden_applied_revision"
    /// Gauge.
    public static let term = "warden_raft_term"
    /// Counter.
    public static let leaderChanges = "warden_leader_changes_total"
    /// Counter `{outcome}`.
    public static let proposals = "warden_proposals_total"
    /// Gauge.
    public static let feedSubscribers = "warden_feed_subscribers"
    /// Gauge `{enforcer}`.
    public static let enforcerLag = "warden_enforcer_lag_revisions"
}

// MARK: - Exposition

extension Metrics {
    /// The content type of `exposition()`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// `GET /metrics`: the exposition as a 200 response.
    public func response() -> HTTPResponse {
        HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", Self.contentType)]), text: exposition())
    }

    /// Every family in the Prometheus text format, families and series in a stable order.
    public func exposition() -> String {
        let snapshot = families.withLock { $0 }
        var output = ""
        for (name, family) in snapshot.sorted(by: { $0.key < $1.key }) {
            output += "# HELP \(name) \(Self.escapeHelp(family.help))\n# TYPE \(name) \(family.kind.rawValue)\n"
            for (labels, series) in family.series.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                let pairs = zip(family.labelNames, labels).map { ($0, $1) }
                if family.kind == .histogram {
                    output += Self.histogramLines(name, pairs, series, family.buckets)
                } else {
                    output += name + Self.labelText(pairs) + " " + Self.number(series.value) + "\n"
                }
            }
        }
        return output
    }

    private static func histogramLines(_ name: String, _ pairs: [(String, String)], _ series: Series, _ buckets: [Double]) -> String {
        var output = ""
        var cumulative: UInt64 = 0
        for (index, bound) in buckets.enumerated() {
            cumulative += index < series.bucketCounts.count ? series.bucketCounts[index] : 0
            output += name + "_bucket" + labelText(pairs + [("le", number(bound))]) + " \(cumulative)\n"
        }
        output += name + "_bucket" + labelText(pairs + [("le", "+Inf")]) + " \(series.count)\n"
        output += name + "_sum" + labelText(pairs) + " " + number(series.sum) + "\n"
        output += name + "_count" + labelText(pairs) + " \(series.count)\n"
        return output
    }

    /// `{a="x",b="y"}`, or nothing without labels.
    static func labelText(_ pairs: [(String, String)]) -> String {
        guard !pairs.isEmpty else { return "" }
        return "{" + pairs.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// A sample value: integral values without a fraction, infinities as `+Inf`/`-Inf`.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func escapeLabel(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }
}

extension String {
    /// The string with every `target` character replaced (no Foundation on this path).
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        guard contains(target) else { return self }
        var output = ""
        for character in self { if character == target { output += replacement } else { output.append(character) } }
        return output
    }
}
