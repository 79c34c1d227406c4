import Dispatch
import Foundation
import HTTP
import JSON
import Synchronization

// MARK: - Kill → event latency at many subscribers

/// Measures, against a running cluster, the time from sending `POST /v1/agents/{id}/kill` to
/// each of `subscribers` feed subscriptions (spread over the nodes, one blocking reader thread
/// each) receiving and decoding the `kill` event. Events are matched by revision (the SSE `id`
/// equals the `revision` the kill answered), so a small pool of agents is killed and reinstated in
/// turn; every reinstatement is also awaited everywhere before the next kill, so kills never
/// overlap. Subscriptions resume from the revision of the pool's registration (`?since=`), as a
/// reconnecting enforcer does, so no node sends them a full snapshot and what is measured is the
/// steady fan-out. A benchmark, never a test; `percentile` and `completeKills` are its pure parts.
public enum FeedLatencyBenchmark {
    /// Longest wait for one kill (or reinstatement) to reach every subscriber.
    static let perKillTimeoutNanoseconds: UInt64 = 5_000_000_000
    /// Longest wait for every subscription to deliver its first event after opening.
    static let subscribeTimeoutNanoseconds: UInt64 = 30_000_000_000
    /// Receive timeout of a subscription (heartbeats arrive every ≤ 100 ms).
    static let receiveTimeoutMilliseconds = 10_000
    /// Longest wait for the reader threads to notice the end and close their sockets.
    static let readerStopNanoseconds: UInt64 = 15_000_000_000
    /// Agents toggled between killed and active.
    static let poolSize = 8
    /// `at_least` waits asked of one node before it counts as not catching up (each waits up to
    /// the node's read timeout, then answers 503).
    static let catchUpAttempts = 20
    /// Pause between those waits (a refused connection answers at once).
    static let catchUpPauseMicroseconds: UInt32 = 250_000
    /// Poll interval while waiting for arrivals.
    static let pollMicroseconds: UInt32 = 200

    /// What one measurement saw.
    public struct Measurement: Sendable {
        /// Kills sent.
        public var kills: Int
        /// Subscriptions open.
        public var subscribers: Int
        /// Nanoseconds from sending each kill to each subscriber having its event (kills × subscribers, fewer when some never arrived).
        public var arrivals: [UInt64]
        /// Per kill that reached every subscriber: nanoseconds until the last of them had it.
        public var allArrived: [UInt64]
        /// (kill, subscriber) pairs that never arrived within the per-kill timeout.
        public var missing: Int
        /// Seconds spent sending kills and waiting for them (the measured window).
        public var seconds: Double
    }

    /// The nearest-rank percentile of ascending `sorted` values (`quantile` in 0…1); 0 when empty.
    public static func percentile(_ sorted: [UInt64], _ quantile: Double) -> UInt64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((quantile * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// Per-kill latencies until every one of `subscribers` had it: for each kill start time, the
    /// latest arrival minus the start, kept only when `subscribers` arrivals were seen.
    public static func completeKills(starts: [UInt64], arrivals: [[UInt64]], subscribers: Int) -> [UInt64] {
        zip(starts, arrivals).compactMap { start, times in
            guard times.count >= subscribers, let last = times.max() else { return nil }
            return last > start ? last - start : 0
        }
    }

    /// Registers `poolSize` agents named `<prefix>-f<n>`, opens the subscriptions, then kills and
    /// reinstates them in turn until `seconds` have passed or `maximumKills` kills were sent.
    /// `progress` gets a line about once a second.
    public static func measure(
        nodes: [NodeAddress], enforcerKey: String, adminKey: String, subscribers: Int, seconds: Double, maximumKills: Int,
        prefix: String, progress: (@Sendable (String) -> Void)? = nil
    ) throws -> Measurement {
        precondition(!nodes.isEmpty && subscribers > 0 && maximumKills > 0)
        let client = HTTPClient()
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Authorization", "Bearer " + adminKey)])
        let target = nodes[0]
        func post(_ path: String, _ body: JSONValue) throws -> JSONValue {
            let response = try client.send(
                HTTPClientRequest(method: "POST", target: path, headers: headers, body: JSONWriter().bytes(body)), host: target.host, port: target.port)
            guard (200..<300).contains(response.status) else {
                throw FeedBenchmarkError("\(path) answered \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))")
            }
            return (try? JSONParser.parse(response.body)) ?? .null
        }
        let pool = (0..<poolSize).map { "\(prefix)-f\($0)" }
        var resumeFrom: Int64 = 0
        for agent in pool {
            let answer = try post("/v1/agents", ["id": .string(agent), "name": "bench", "owner": "user:anne", "kind": "agent", "scopes": ["document:*"]])
            resumeFrom = max(resumeFrom, answer["revision"]?.integerValue ?? 0)
        }
        // Every node must have applied the enforcer key (created just before) before it is asked for a feed.
        // A node restarted by an earlier workload may still be catching up: its `at_least` wait
        // answers 503 when it times out, so ask again, for at most `catchUpAttempts` waits.
        for node in nodes {
            let request = HTTPClientRequest(
                method: "GET", target: "/v1/agents/\(pool[poolSize - 1])?consistency=at_least:\(resumeFrom)", headers: headers, body: [])
            var status = 0
            for attempt in 0..<Self.catchUpAttempts where status != 200 {
                if attempt > 0 { usleep(Self.catchUpPauseMicroseconds) }
                status = (try? client.send(request, host: node.host, port: node.port))?.status ?? 0
            }
            guard status == 200 else { throw FeedBenchmarkError("\(node) did not reach revision \(resumeFrom): \(status)") }
        }
        let arrivals = Arrivals()
        let finished = DispatchSemaphore(value: 0)
        var opened = 0
        defer {
            arrivals.stop()
            let deadline = DispatchTime.now().uptimeNanoseconds + readerStopNanoseconds
            for _ in 0..<opened where finished.wait(timeout: DispatchTime(uptimeNanoseconds: deadline)) == .timedOut { break }
        }
        for index in 0..<subscribers {
            let connection = try FeedConnection.open(
                nodes[index % nodes.count], target: resumeFrom > 0 ? "/v1/feed?since=\(resumeFrom)" : "/v1/feed", headers: [("Authorization", "Bearer " + enforcerKey)],
                timeoutMilliseconds: receiveTimeoutMilliseconds)
            let thread = Thread {
                read(connection, into: arrivals)
                finished.signal()
            }
            thread.stackSize = 256 * 1024
            thread.start()
            opened += 1
        }
        let subscribeDeadline = DispatchTime.now().uptimeNanoseconds + subscribeTimeoutNanoseconds
        while arrivals.readyCount < subscribers {
            guard DispatchTime.now().uptimeNanoseconds < subscribeDeadline else {
                throw FeedBenchmarkError("only \(arrivals.readyCount) of \(subscribers) subscriptions delivered an event")
            }
            usleep(1_000)
        }
        /// Sends one toggle and waits for it everywhere; returns (send time, arrival times).
        func toggle(_ agent: String, _ action: String) throws -> (UInt64, [UInt64]) {
            let start = DispatchTime.now().uptimeNanoseconds
            let answer = try post("/v1/agents/\(agent)/\(action)", ["reason": "bench"])
            guard let revision = answer["revision"]?.integerValue else { throw FeedBenchmarkError("\(action) answer without revision") }
            let key = String(revision)
            while DispatchTime.now().uptimeNanoseconds - start < perKillTimeoutNanoseconds, arrivals.count(of: key) < subscribers {
                usleep(pollMicroseconds)
            }
            return (start, arrivals.take(key))
        }
        let began = DispatchTime.now().uptimeNanoseconds
        let end = began + UInt64(seconds * 1e9)
        var starts: [UInt64] = [], perKill: [[UInt64]] = []
        var lastProgress = began
        while starts.count < maximumKills && DispatchTime.now().uptimeNanoseconds < end {
            let agent = pool[starts.count % poolSize]
            let (start, times) = try toggle(agent, "kill")
            starts.append(start)
            perKill.append(times)
            _ = try toggle(agent, "reinstate")
            let now = DispatchTime.now().uptimeNanoseconds
            if let progress, now - lastProgress >= 1_000_000_000 {
                lastProgress = now
                let recent = perKill.last.map { times in times.map { $0 > start ? $0 - start : 0 }.max() ?? 0 } ?? 0
                progress("kills=\(starts.count) last kill → all \(times.count)/\(subscribers) in \(String(format: "%.2f", Double(recent) / 1e6)) ms")
            }
        }
        let measuredSeconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        var latencies: [UInt64] = []
        for (start, times) in zip(starts, perKill) { latencies += times.map { $0 > start ? $0 - start : 0 } }
        return Measurement(
            kills: starts.count, subscribers: subscribers, arrivals: latencies.sorted(),
            allArrived: completeKills(starts: starts, arrivals: perKill, subscribers: subscribers).sorted(),
            missing: starts.count * subscribers - latencies.count, seconds: measuredSeconds)
    }

    /// Registers agents, opens the subscriptions, sends `kills` kills; returns a one-line summary
    /// (p50/p99 over every subscriber × kill, and of kill → all subscribers).
    public static func run(
        nodes: [NodeAddress], enforcerKey: String, adminKey: String, subscribers: Int, kills: Int, prefix: String
    ) throws -> String {
        let result = try measure(
            nodes: nodes, enforcerKey: enforcerKey, adminKey: adminKey, subscribers: subscribers, seconds: 3_600, maximumKills: kills, prefix: prefix)
        guard !result.arrivals.isEmpty else { return "no kill event arrived" }
        let milliseconds = { (value: UInt64) in String(format: "%.2f", Double(value) / 1_000_000) }
        return "kill → event at \(subscribers) subscriptions over \(nodes.count) node(s), \(result.kills) kills, \(result.arrivals.count) arrivals: "
            + "p50 \(milliseconds(percentile(result.arrivals, 0.5))) ms, p99 \(milliseconds(percentile(result.arrivals, 0.99))) ms, "
            + "max \(milliseconds(result.arrivals.last ?? 0)) ms; kill → all: p50 \(milliseconds(percentile(result.allArrived, 0.5))) ms, "
            + "p99 \(milliseconds(percentile(result.allArrived, 0.99))) ms"
    }

    /// Why the benchmark could not run.
    struct FeedBenchmarkError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Arrival times of events by revision, shared by reader threads (also the etcd watch readers).
    public final class Arrivals: Sendable {
        private let times = Mutex<[String: [UInt64]]>([:])
        private let ready = Atomic<Int>(0)
        private let stopped = Atomic<Bool>(false)

        public init() {}
        /// Subscriptions that delivered at least one event.
        public var readyCount: Int { ready.load(ordering: .acquiring) }
        /// Whether the readers should close.
        public var isStopped: Bool { stopped.load(ordering: .acquiring) }
        /// Asks the readers to close at their next event or timeout.
        public func stop() { stopped.store(true, ordering: .releasing) }
        /// One more subscription is delivering.
        public func markReady() { ready.add(1, ordering: .releasing) }
        /// One subscriber had `revision` at `time`.
        public func record(_ revision: String, at time: UInt64) { times.withLock { $0[revision, default: []].append(time) } }
        /// Subscribers that had `revision` so far.
        public func count(of revision: String) -> Int { times.withLock { $0[revision]?.count ?? 0 } }
        /// The arrivals of a revision, forgotten here (late ones start a new list nobody reads).
        public func take(_ revision: String) -> [UInt64] { times.withLock { $0.removeValue(forKey: revision) ?? [] } }
    }

    /// One subscription's reader: timestamps each kill/reinstate after decoding its JSON.
    private static func read(_ connection: FeedConnection, into arrivals: Arrivals) {
        var events = connection.leftoverEvents
        var isReady = false
        while !arrivals.isStopped {
            for event in events {
                if !isReady { isReady = true; arrivals.markReady() }
                guard event.type == "kill" || event.type == "reinstate", let revision = event.id,
                      (try? JSONParser.parse(Array(event.data.utf8)))?["agent"] != nil else { continue }
                arrivals.record(revision, at: DispatchTime.now().uptimeNanoseconds)
            }
            guard let next = try? connection.nextEvents() else { return }
            events = next
        }
    }
}
