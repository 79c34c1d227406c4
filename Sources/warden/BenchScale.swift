import Foundation
import HTTP
import JSON

// MARK: - Resident memory at scale

/// Loads `agents` agents, then `tuples` relationship tuples (`tuplesPerWrite` per atomic
/// `POST /v1/tuples`, the API's batch write), through every node, sampling each node's resident
/// memory once a second; reports the load rates and each node's `VmRSS`/`VmHWM` after each phase.
/// Long (the DESIGN figure is 1 M agents + 10 M tuples): opt-in, never in CI.
enum BenchScale {
    /// DESIGN sizes.
    static let defaultAgents = 1_000_000
    static let defaultTuples = 10_000_000
    /// Tuples per write (the API's maximum).
    static let tuplesPerWrite = 100
    /// Concurrent loading clients.
    static let loadClients = 64
    /// DESIGN target per node, KiB (4 GiB).
    static let targetKiB = 4 * 1024 * 1024

    /// Resident memory of every node, by node id.
    typealias Sample = [(node: Int, memory: BenchProcessMemory)]

    /// What the scale workload measured.
    struct Outcome: Sendable {
        var agents: Int
        var tuples: Int
        var agentLoad: BenchRunResult
        var tupleLoad: BenchRunResult
        var afterAgents: Sample
        var afterTuples: Sample

        var summary: BenchSummary {
            func describe(_ sample: Sample) -> String {
                sample.map { "node \($0.node) \(BenchProcessMemory.mebibytes($0.memory.residentKiB)) MiB (peak \(BenchProcessMemory.mebibytes($0.memory.peakKiB)))" }
                    .joined(separator: ", ")
            }
            func json(_ sample: Sample) -> JSONValue {
                .array(sample.map { .object(["node": .integer(Int64($0.node)), "vm_rss_kib": .integer(Int64($0.memory.residentKiB)),
                                             "vm_hwm_kib": .integer(Int64($0.memory.peakKiB))]) })
            }
            let tuplesPerSecond = tupleLoad.seconds > 0 ? Double(tuples) / tupleLoad.seconds : 0
            let lines = [
                "scale: \(agents) agents in \(BenchFormat.fixed(agentLoad.seconds, 0)) s (\(BenchFormat.fixed(agentLoad.throughput, 0))/s); "
                    + "resident after: \(describe(afterAgents))",
                "scale: + \(tuples) tuples in \(BenchFormat.fixed(tupleLoad.seconds, 0)) s (\(BenchFormat.fixed(tuplesPerSecond, 0)) tuples/s, "
                    + "\(tuplesPerWrite) per write); resident after: \(describe(afterTuples)); target ≤ \(targetKiB / 1024) MiB per node",
            ]
            return BenchSummary(name: "scale", lines: lines, json: .object([
                "agents": .integer(Int64(agents)), "tuples": .integer(Int64(tuples)), "tuples_per_write": .integer(Int64(tuplesPerWrite)),
                "agents_seconds": .double(agentLoad.seconds), "agents_per_second": .double(agentLoad.throughput),
                "tuples_seconds": .double(tupleLoad.seconds), "tuples_per_second": .double(tuplesPerSecond),
                "memory_after_agents": json(afterAgents), "memory_after_tuples": json(afterTuples), "target_kib": .integer(Int64(targetKiB)),
            ]))
        }
    }

    /// Runs the workload on a cluster this process started (it reads the nodes' /proc entries).
    static func run(cluster: BenchLocalCluster, prefix: String, agents: Int, tuples: Int) throws -> Outcome {
        let admin = BenchAdmin(endpoint: cluster.endpoints[0], key: cluster.adminKey)
        try admin.call("PUT", "/v1/model", json: BenchWorkloads.checkModel)
        let headers = admin.headers()
        let pids = (1...cluster.endpoints.count).compactMap { node in cluster.pid(of: node).map { (node, $0) } }
        let status: @Sendable () -> String = {
            "  rss MiB " + sample(pids).map { "\($0.node)=\(BenchProcessMemory.mebibytes($0.memory.residentKiB))" }.joined(separator: " ")
        }
        let agentLoad = try BenchBulkLoader(endpoints: cluster.endpoints, clients: loadClients, name: "scale-agents", status: status)
            .run(count: agents) { item in
                let body = #"{"id":"\#(prefix)-s\#(item)","name":"s","owner":"bench","kind":"agent","scopes":["\#(BenchWorkloads.scope)"],"attributes":{}}"#
                return HTTPClientRequest(method: "POST", target: "/v1/agents", headers: headers, body: Array(body.utf8))
            }
        let afterAgents = sample(pids)
        let writes = (tuples + tuplesPerWrite - 1) / tuplesPerWrite
        let tupleLoad = try BenchBulkLoader(endpoints: cluster.endpoints, clients: loadClients, name: "scale-tuples", status: status)
            .run(count: writes) { write in
                let first = write * tuplesPerWrite
                let items = (first..<min(first + tuplesPerWrite, tuples)).map { index in
                    #"{"user":"agent:\#(prefix)-s\#(index % max(agents, 1))","relation":"approve","object":"invoice:\#(prefix)-\#(index)"}"#
                }
                let body = #"{"writes":[\#(items.joined(separator: ","))]}"#
                return HTTPClientRequest(method: "POST", target: "/v1/tuples", headers: headers, body: Array(body.utf8))
            }
        return Outcome(agents: agents, tuples: tuples, agentLoad: agentLoad, tupleLoad: tupleLoad, afterAgents: afterAgents,
                       afterTuples: sample(pids))
    }

    /// The memory of each (node, pid) still running.
    static func sample(_ pids: [(Int, Int32)]) -> Sample {
        pids.compactMap { node, pid in BenchProcessMemory.read(pid: pid).map { (node, $0) } }
    }
}
