import Enforcer
import Foundation
import JSON

// MARK: - Kill → feed subscribers

/// `feed`: opens `subscribers` SSE subscriptions to `/v1/feed` (an enforcer key, spread over the
/// nodes) and times kill → each subscriber decoding the event (`FeedLatencyBenchmark`), kills one
/// at a time for the run's duration. Two rows: `feed` (every subscriber × kill) and `feed-all`
/// (kill → the last of the subscribers, the DESIGN figure).
enum BenchFeed {
    /// Subscribers by default (DESIGN: 100 subscribed enforcers).
    static let defaultSubscribers = 100
    /// DESIGN target for kill → all subscribers, p99, milliseconds.
    static let targetP99Milliseconds = 10.0
    /// Kills at most per run (each is awaited everywhere, so a run is bounded by time first).
    static let maximumKills = 100_000

    /// Creates an API key with a role; returns the key.
    static func createKey(_ admin: BenchAdmin, name: String, role: String) throws -> String {
        let answer = try admin.call("POST", "/v1/keys", json: #"{"name":"\#(name)","role":"\#(role)"}"#)
        guard let key = answer["key"]?.stringValue else { throw BenchError("no key in POST /v1/keys answer") }
        return key
    }

    /// Runs the workload; returns the two rows and the summary.
    static func run(endpoints: [BenchEndpoint], admin: BenchAdmin, subscribers: Int, seconds: Double, prefix: String) throws
        -> ([BenchRunResult], BenchSummary) {
        let enforcerKey = try createKey(admin, name: "\(prefix)-feed", role: "enforcer")
        let nodes = endpoints.compactMap { NodeAddress(url: $0.description) }
        let measured = try FeedLatencyBenchmark.measure(
            nodes: nodes, enforcerKey: enforcerKey, adminKey: admin.key, subscribers: subscribers, seconds: seconds,
            maximumKills: maximumKills, prefix: prefix, progress: { FileHandleOutput.standardError("  feed s=\(subscribers)  " + $0) })
        var each = BenchHistogram(), all = BenchHistogram()
        for value in measured.arrivals { each.record(nanoseconds: value) }
        for value in measured.allArrived { all.record(nanoseconds: value) }
        let incomplete = measured.kills - measured.allArrived.count
        let rows = [
            BenchRunResult(workload: "feed", clients: subscribers, seconds: measured.seconds, successes: measured.arrivals.count,
                           errors: measured.missing, histogram: each, perSecond: [], errorSamples: []),
            BenchRunResult(workload: "feed-all", clients: subscribers, seconds: measured.seconds, successes: measured.allArrived.count,
                           errors: incomplete, histogram: all, perSecond: [], errorSamples: []),
        ]
        func ms(_ value: UInt64) -> String { BenchFormat.milliseconds(value) }
        let line = "feed: \(measured.kills) kills, \(subscribers) subscribers over \(nodes.count) nodes: kill → one subscriber p50 "
            + "\(ms(FeedLatencyBenchmark.percentile(measured.arrivals, 0.5))) ms p99 \(ms(FeedLatencyBenchmark.percentile(measured.arrivals, 0.99))) ms; "
            + "kill → all \(subscribers) p50 \(ms(FeedLatencyBenchmark.percentile(measured.allArrived, 0.5))) ms "
            + "p99 \(ms(FeedLatencyBenchmark.percentile(measured.allArrived, 0.99))) ms (target p99 ≤ \(BenchFormat.fixed(targetP99Milliseconds, 0)) ms); "
            + "\(measured.missing) arrivals missing"
        let json: JSONValue = .object([
            "kills": .integer(Int64(measured.kills)), "subscribers": .integer(Int64(subscribers)),
            "missing_arrivals": .integer(Int64(measured.missing)), "incomplete_kills": .integer(Int64(incomplete)),
            "target_all_p99_ms": .double(targetP99Milliseconds),
        ])
        return (rows, BenchSummary(name: "feed", lines: [line], json: json))
    }
}
