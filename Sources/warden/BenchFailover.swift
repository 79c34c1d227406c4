import Foundation
import Glibc
import JSON
import Synchronization

// MARK: - Leader failover under load

/// Leader crash under a steady kill load: `kill -9` the leader, measure how long until writes
/// succeed again, restart it.
enum BenchFailover {
    /// Concurrent writers during the failover run.
    static let clients = 16
    /// Seconds of steady load (after warm-up) before the leader is killed.
    static let steadySeconds = 2.0
    /// Shortest measured run, so there is time after the crash for recovery to show.
    static let minimumSeconds = 8.0
    /// The design target for leader crash → writes succeed again.
    static let targetMilliseconds = 300.0
    /// Tries at reading the leader while an election is on.
    static let leaderPolls = 30
    /// Pause between those tries.
    static let leaderPollMicroseconds: UInt32 = 100_000

    /// What a failover run measured.
    struct Outcome: Sendable {
        /// The load run (its histogram includes the failed-over requests).
        var run: BenchRunResult
        /// Node id of the killed leader.
        var killedLeader: Int
        /// From the kill to the first successful write that was sent after it.
        var recoveryMilliseconds: Double?
        /// Longest stretch without any successful write, from the last one before the kill to the end of the run
        /// (later elections under load included).
        var longestGapMilliseconds: Double
        /// Node id leading after recovery (nil if unknown).
        var newLeader: Int?

        /// The printed line and the JSON object.
        var summary: BenchSummary {
            let recovery = recoveryMilliseconds.map { BenchFormat.fixed($0, 1) } ?? "never"
            let line = "failover: killed leader \(killedLeader), writes succeeded again after \(recovery) ms "
                + "(longest gap \(BenchFormat.fixed(longestGapMilliseconds, 1)) ms, target ≤ \(Int(targetMilliseconds)) ms), "
                + "new leader \(newLeader.map(String.init) ?? "?")"
            return BenchSummary(name: "failover", lines: [line], json: .object([
                "killed_leader": .integer(Int64(killedLeader)),
                "new_leader": newLeader.map { .integer(Int64($0)) } ?? .null,
                "recovery_ms": recoveryMilliseconds.map { .double($0) } ?? .null,
                "longest_gap_ms": .double(longestGapMilliseconds),
                "target_ms": .double(targetMilliseconds),
            ]))
        }
    }

    /// Runs the failover scenario on a cluster this process started.
    static func run(cluster: BenchLocalCluster, prefix: String, seconds: Double) throws -> Outcome {
        let admin = BenchAdmin(endpoint: cluster.endpoints[0], key: cluster.adminKey)
        let source = try BenchWorkloads.kill(admin, prefix: prefix + "-fo", clients: clients)
        let runner = BenchLoadRunner(endpoints: cluster.endpoints)
        let measured = max(seconds, minimumSeconds)
        let box = Mutex<(BenchRunResult, [BenchEvent])?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            let outcome = runner.run(workload: "failover", clients: clients, seconds: measured, source: source, recordEvents: true)
            box.withLock { $0 = outcome }
            finished.signal()
        }.start()
        usleep(UInt32((BenchLoadRunner.warmupSeconds + steadySeconds) * 1e6))
        // Asked right before the crash: under load leadership can move during the steady phase.
        let leader = try leaderID(admin)
        guard cluster.pid(of: leader) != nil else { throw BenchError("leader \(leader) is not a node this run started") }
        let crashedAt = benchNowNanoseconds()
        cluster.crash(node: leader)
        FileHandleOutput.standardError("  failover: kill -9 leader node \(leader)")
        finished.wait()
        guard let (result, events) = box.withLock({ $0 }) else { throw BenchError("failover run produced no result") }
        try cluster.start(node: leader)
        try cluster.waitUntilReady(node: leader)
        let survivor = BenchAdmin(endpoint: cluster.endpoints[leader % cluster.endpoints.count], key: cluster.adminKey)
        return Outcome(run: result, killedLeader: leader, recoveryMilliseconds: recovery(events, after: crashedAt),
                       longestGapMilliseconds: longestGap(events, around: crashedAt), newLeader: try? leaderID(survivor))
    }

    /// The leader's node id from `GET /v1/cluster` (a number, or a string holding one), asking
    /// again while an election is on, at most `leaderPolls` times.
    static func leaderID(_ admin: BenchAdmin) throws -> Int {
        var cluster = JSONValue.null
        for _ in 0..<leaderPolls {
            cluster = try admin.call("GET", "/v1/cluster?consistency=serializable")
            if let number = cluster["leader"]?.integerValue { return Int(number) }
            if let text = cluster["leader"]?.stringValue, let number = Int(text) { return number }
            usleep(leaderPollMicroseconds)
        }
        throw BenchError("no leader in /v1/cluster: \(JSONWriter().string(cluster))")
    }

    /// Milliseconds from the crash to the earliest completion of a successful request sent after it.
    static func recovery(_ events: [BenchEvent], after crash: UInt64) -> Double? {
        let first = events.filter { $0.succeeded && $0.start >= crash }.map(\.end).min()
        return first.map { Double($0 - crash) / 1e6 }
    }

    /// The longest interval between consecutive successful completions from just before the crash on.
    static func longestGap(_ events: [BenchEvent], around crash: UInt64) -> Double {
        let completions = events.filter(\.succeeded).map(\.end).sorted()
        guard let before = completions.last(where: { $0 < crash }) else { return 0 }
        var previous = before
        var longest: UInt64 = 0
        for end in completions where end > before {
            longest = max(longest, end - previous)
            previous = end
        }
        return Double(longest) / 1e6
    }
}
