import Dispatch
import Foundation
import HTTP
import JSON
import Synchronization

// MARK: - Kill → event latency at many subscribers

/// Measures, against a running cluster, the time from sending `POST /v1/agents/{id}/kill` to
/// each of `subscribers` feed subscriptions (spread over the nodes, one blocking reader thread
/// each, timestamps taken on arrival) receiving the `kill` event. A benchmark, never a test.
public enum FeedLatencyBenchmark {
    /// Longest wait for one kill to reach every subscriber.
    static let perKillTimeoutNanoseconds: UInt64 = 5_000_000_000

    /// Registers `kills` agents named `<prefix><n>`, opens the subscriptions, kills the agents
    /// one at a time; returns a one-line summary (p50/p99 over every subscriber × kill).
    public static func run(
        nodes: [NodeAddress], enforcerKey: String, adminKey: String, subscribers: Int, kills: Int, prefix: String
    ) throws -> String {
        let client = HTTPClient()
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Authorization", "Bearer " + adminKey)])
        for index in 0..<kills {
            let body = JSONWriter().bytes(["id": .string("\(prefix)\(index)"), "name": "bench", "owner": "user:anne", "kind": "agent", "scopes": ["document:*"]])
            _ = try client.send(HTTPClientRequest(method: "POST", target: "/v1/agents", headers: headers, body: body), host: nodes[0].host, port: nodes[0].port)
        }
        let arrivals = Arrivals()
        for index in 0..<subscribers {
            let connection = try FeedConnection.open(
                nodes[index % nodes.count], target: "/v1/feed", headers: [("Authorization", "Bearer " + enforcerKey)], timeoutMilliseconds: 10_000)
            Thread { read(connection, into: arrivals) }.start()
        }
        Thread.sleep(forTimeInterval: 0.5)
        var latencies: [UInt64] = []
        for index in 0..<kills {
            let agent = "\(prefix)\(index)"
            let start = DispatchTime.now().uptimeNanoseconds
            let body = JSONWriter().bytes(["reason": "bench"])
            _ = try client.send(HTTPClientRequest(method: "POST", target: "/v1/agents/\(agent)/kill", headers: headers, body: body), host: nodes[0].host, port: nodes[0].port)
            while DispatchTime.now().uptimeNanoseconds - start < perKillTimeoutNanoseconds,
                arrivals.withLock({ $0[agent]?.count ?? 0 }) < subscribers
            {
                usleep(200)
            }
            latencies += arrivals.withLock { $0[agent] ?? [] }.map { $0 > start ? $0 - start : 0 }
        }
        latencies.sort()
        guard !latencies.isEmpty else { return "no kill event arrived" }
        let milliseconds = { (value: UInt64) in String(format: "%.2f", Double(value) / 1_000_000) }
        return "kill → event at \(subscribers) subscriptions over \(nodes.count) node(s), \(kills) kills, \(latencies.count) arrivals: "
            + "p50 \(milliseconds(latencies[latencies.count / 2])) ms, p99 \(milliseconds(latencies[latencies.count * 99 / 100])) ms, "
            + "max \(milliseconds(latencies[latencies.count - 1])) ms"
    }

    /// Arrival times by agent, shared by the reader threads.
    final class Arrivals: Sendable {
        let times = Mutex<[String: [UInt64]]>([:])
        func withLock<Result>(_ body: (inout [String: [UInt64]]) -> Result) -> Result { times.withLock { body(&$0) } }
    }

    private static func read(_ connection: FeedConnection, into arrivals: Arrivals) {
        var events = connection.leftoverEvents
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            for event in events where event.type == "kill" {
                guard let agent = (try? JSONParser.parse(Array(event.data.utf8)))?["agent"]?.stringValue else { continue }
                arrivals.withLock { $0[agent, default: []].append(now) }
            }
            guard let next = try? connection.nextEvents() else { return }
            events = next
        }
    }
}
