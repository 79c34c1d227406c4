import Foundation
import Glibc
import HTTP
import JSON
import Storage

// MARK: - Restart from snapshot

/// Loads `agents` agents, then (`rounds` times) `kill -9`s a follower and restarts it, timing
/// from the restart until it serves a serializable `GET /v1/agents/{id}` at the cluster's
/// revision from before the crash: reading its snapshot, replaying the log tail behind it and
/// opening its listener all count.
enum BenchRestart {
    /// Agents loaded by default (DESIGN: restart from snapshot at 100 k agents).
    static let defaultAgents = 100_000
    /// Crash/restart cycles by default.
    static let defaultRounds = 3
    /// Concurrent clients loading the agents.
    static let loadClients = 64
    /// DESIGN target, milliseconds.
    static let targetMilliseconds = 5_000.0
    /// Longest wait for a restarted node to serve at the revision.
    static let readySeconds = 120.0
    /// Poll interval while waiting.
    static let pollMicroseconds: UInt32 = 5_000

    /// What the restart workload measured.
    struct Outcome: Sendable {
        var agents: Int
        var node: Int
        var revision: Int64
        var snapshotIndex: Int64
        var snapshotBytes: Int64
        /// Per round: (listening, serving at the revision), milliseconds from the restart.
        var rounds: [(listening: Double, serving: Double)]
        var load: BenchRunResult
        var restart: BenchRunResult

        var summary: BenchSummary {
            let serving = rounds.map { BenchFormat.fixed($0.serving, 0) }.joined(separator: ", ")
            let listening = rounds.map { BenchFormat.fixed($0.listening, 0) }.joined(separator: ", ")
            let line = "restart: \(agents) agents loaded at \(BenchFormat.fixed(load.throughput, 0))/s; node \(node) (a follower) kill -9 + restart, "
                + "snapshot at index \(snapshotIndex) (\(BenchProcessMemory.mebibytes(Int(snapshotBytes / 1024))) MiB) of revision \(revision): "
                + "serving reads at that revision after \(serving) ms (listening after \(listening) ms), target ≤ \(Int(targetMilliseconds)) ms"
            let json: JSONValue = .object([
                "agents": .integer(Int64(agents)), "node": .integer(Int64(node)), "revision": .integer(revision),
                "snapshot_index": .integer(snapshotIndex), "snapshot_bytes": .integer(snapshotBytes),
                "log_tail_entries": .integer(revision - snapshotIndex),
                "serving_ms": .array(rounds.map { .double($0.serving) }), "listening_ms": .array(rounds.map { .double($0.listening) }),
                "load_agents_per_second": .double(load.throughput), "target_ms": .double(targetMilliseconds),
            ])
            return BenchSummary(name: "restart", lines: [line], json: json)
        }
    }

    /// Runs the workload on a cluster this process started.
    static func run(cluster: BenchLocalCluster, prefix: String, agents: Int, rounds: Int) throws -> Outcome {
        let admin = BenchAdmin(endpoint: cluster.endpoints[0], key: cluster.adminKey)
        let headers = admin.headers()
        let loader = BenchBulkLoader(endpoints: cluster.endpoints, clients: loadClients, name: "restart-load")
        let load = try loader.run(count: agents) { item in
            let body = #"{"id":"\#(prefix)-r\#(item)","name":"r","owner":"bench","kind":"agent","scopes":["\#(BenchWorkloads.scope)"],"attributes":{}}"#
            return HTTPClientRequest(method: "POST", target: "/v1/agents", headers: headers, body: Array(body.utf8))
        }
        let probe = "\(prefix)-r\(max(agents - 1, 0))"
        guard let revision = try admin.call("GET", "/v1/cluster")["revision"]?.integerValue else { throw BenchError("no revision in /v1/cluster") }
        let leader = try BenchFailover.leaderID(admin)
        guard let node = (1...cluster.endpoints.count).first(where: { $0 != leader }) else { throw BenchError("no follower") }
        // The follower must have applied the revision before it is crashed, or the restart would also be catching up.
        let follower = BenchAdmin(endpoint: cluster.endpoints[node - 1], key: cluster.adminKey)
        _ = try follower.call("GET", "/v1/agents/\(probe)?consistency=at_least:\(revision)")
        let (snapshotIndex, snapshotBytes) = try snapshot(of: "\(cluster.directory)/node-\(node)/warden.db")
        FileHandleOutput.standardError("  restart: revision \(revision), node \(node) holds a snapshot at index \(snapshotIndex) "
            + "(\(snapshotBytes) bytes); the log tail behind it is \(Int64(revision) - snapshotIndex) entries")
        var measured: [(listening: Double, serving: Double)] = []
        var histogram = BenchHistogram()
        for round in 1...rounds {
            cluster.crash(node: node)
            let started = benchNowNanoseconds()
            try cluster.start(node: node)
            let (listening, serving) = try waitServing(cluster.endpoints[node - 1], key: cluster.adminKey, path: "/v1/agents/\(probe)",
                                                       revision: revision, since: started)
            measured.append((Double(listening) / 1e6, Double(serving) / 1e6))
            histogram.record(nanoseconds: serving)
            FileHandleOutput.standardError("  restart round \(round)/\(rounds): node \(node) listening after \(BenchFormat.milliseconds(listening)) ms, "
                + "serving revision ≥ \(revision) after \(BenchFormat.milliseconds(serving)) ms")
            try cluster.waitUntilReady(node: node)
        }
        let restart = BenchRunResult(
            workload: "restart", clients: 1, seconds: measured.reduce(0) { $0 + $1.serving } / 1e3, successes: rounds, errors: 0,
            histogram: histogram, perSecond: [], errorSamples: [])
        return Outcome(agents: agents, node: node, revision: revision, snapshotIndex: snapshotIndex, snapshotBytes: snapshotBytes,
                       rounds: measured, load: load, restart: restart)
    }

    /// (snapshot index, snapshot bytes) stored in a node's database; (0, 0) when it has none yet.
    /// Read while the node runs (WAL mode: a second reader neither blocks it nor checkpoints).
    static func snapshot(of path: String) throws -> (Int64, Int64) {
        let database = try SQLiteDatabase(path: path, create: false)
        defer { database.close() }
        let statement = try database.statement("SELECT snapshot_index, length(data) FROM snapshot WHERE id = 1")
        guard try statement.step() else { return (0, 0) }
        return (statement.integer(at: 0), statement.integer(at: 1))
    }

    /// Polls until the node answers `path` (serializable) with a revision ≥ `revision`; returns
    /// nanoseconds from `since` to the first answer of any kind and to that one.
    static func waitServing(_ endpoint: BenchEndpoint, key: String, path: String, revision: Int64, since: UInt64) throws -> (UInt64, UInt64) {
        let client = HTTPClient(configuration: HTTPClientConfiguration(
            connectTimeout: .milliseconds(200), responseTimeout: .seconds(2), maximumIdleConnectionsPerHost: 1))
        let request = HTTPClientRequest(method: "GET", target: path + "?consistency=serializable",
                                        headers: HTTPHeaders([("Authorization", "Bearer \(key)")]), body: [])
        var listening: UInt64? = nil
        let deadline = since + UInt64(readySeconds * 1e9)
        while benchNowNanoseconds() < deadline {
            if let response = try? client.send(request, host: endpoint.host, port: endpoint.port) {
                let now = benchNowNanoseconds()
                if listening == nil { listening = now - since }
                if response.status == 200, let seen = (try? JSONParser.parse(response.body))?["revision"]?.integerValue, seen >= revision {
                    return (listening ?? now - since, now - since)
                }
            }
            usleep(pollMicroseconds)
        }
        throw BenchError("\(endpoint) did not serve revision \(revision) within \(Int(readySeconds)) s")
    }
}
