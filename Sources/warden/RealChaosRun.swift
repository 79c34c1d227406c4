#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTP
import JSON
import Server
import Simulator

// MARK: - The run

/// One run: set up, let clients and nemesis loose for the budget, heal, converge, verify, report.
struct RealChaosRun {
    let options: RealChaosCommand.Options
    let cluster: RealChaosCluster
    let recorder = RealChaosRecorder()
    let agents = (0..<RealChaosBounds.agentCount).map { "chaos-agent-\($0)" }
    private let setupHTTP = RealChaosCluster.makeClient()

    init(options: RealChaosCommand.Options, cluster: RealChaosCluster) {
        self.options = options
        self.cluster = cluster
    }

    /// The client number of the setup steps and of the final probes, after the workload's clients.
    var setupClient: Int { options.clients }
    var probeClient: Int { options.clients + 1 }

    func execute() -> Bool {
        RealChaosCommand.say("chaos-real: seed \(options.seed), \(options.clients) clients, \(options.seconds) s, \(agents.count) agents, data \(cluster.directory)")
        if let network = cluster.network {
            let proxies = (0..<RealChaosCluster.nodeCount).map { "node \($0 + 1) at \(network.address(of: $0))" }.joined(separator: ", ")
            RealChaosCommand.say("chaos-real: peers reach each other through proxies: \(proxies)")
        } else {
            RealChaosCommand.say("chaos-real: partitions not exercised (--no-partitions): process faults only (kill -9, SIGSTOP/SIGCONT, restart)")
        }
        let started = ContinuousClock.now
        for node in 0..<RealChaosCluster.nodeCount {
            do { try cluster.start(node) } catch { RealChaosCommand.say("chaos-real: cannot start node \(node + 1): \(error)"); return false }
        }
        guard cluster.waitReady() else { return report(failure: "the cluster never became ready") }
        guard setUp() else { return report(failure: "setup (model, tuples, agents, first allowed check) did not complete") }
        let nemesis = workload()
        RealChaosCommand.say("chaos-real: nemesis actions:")
        nemesis.timeline.forEach { RealChaosCommand.say($0) }
        cluster.heal()
        guard cluster.waitReady() else { return report(failure: "after healing, the cluster never became ready") }
        guard let finalRevision = cluster.waitConverged() else { return report(failure: "after healing, the nodes never converged") }
        let passed = verify(finalRevision: finalRevision, nemesis: nemesis)
        RealChaosCommand.say("chaos-real: total \(ContinuousClock.now - started)")
        return passed
    }

    /// The final probes, the checks and the report; on failure the history is saved next to the node logs.
    private func verify(finalRevision: UInt64, nemesis: RealChaosNemesis) -> Bool {
        probeFinalState()
        let evidence = RealChaosVerdict.Evidence(
            operations: recorder.operations, revisions: recorder.acknowledgedRevisions, finalRevision: finalRevision,
            statuses: finalStatuses(), audit: auditHeads(), crashes: cluster.unexpectedExits, proxyBypasses: cluster.proxyBypasses())
        let verdict = RealChaosVerdict.evaluate(evidence)
        RealChaosCommand.say(RealChaosVerdict.outcomeTable(evidence.operations))
        RealChaosCommand.say("chaos-real: attempts without a definite answer (retried): \(recorder.unansweredSummary)")
        RealChaosCommand.say("chaos-real: nemesis: " + nemesis.actions.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        if let network = cluster.network { RealChaosCommand.say("chaos-real: proxies: \(network.summary)") }
        let term = cluster.clusterStatus(0)?["term"]?.integerValue.map(String.init) ?? "?"
        RealChaosCommand.say("chaos-real: converged at revision \(finalRevision), term \(term) (each election raises the term)")
        verdict.lines.forEach { RealChaosCommand.say($0) }
        if !verdict.passed {
            printLogTails()
            saveHistory(evidence.operations, timeline: nemesis.timeline)
        }
        return verdict.passed
    }

    /// Writes the history (one operation a line, as `--check-history` reads it) and the nemesis
    /// timeline into the kept data directory.
    private func saveHistory(_ operations: [RealChaosRecorder.Operation], timeline: [String]) {
        let path = "\(cluster.directory)/history.txt"
        let text = (timeline.map { "# \($0)" } + operations.map(RealChaosHistoryFile.line)).joined(separator: "\n") + "\n"
        if FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) {
            RealChaosCommand.say("chaos-real: history saved to \(path); recheck it with `warden chaos-real --check-history \(path)`")
        }
    }

    private func report(failure: String) -> Bool {
        RealChaosCommand.say("chaos-real: FAILED: \(failure)")
        cluster.unexpectedExits.forEach { RealChaosCommand.say("chaos-real: \($0)") }
        printLogTails()
        return false
    }

    private func printLogTails() {
        for node in 0..<RealChaosCluster.nodeCount {
            RealChaosCommand.say("chaos-real: node \(node + 1) log tail:\n\(cluster.logTail(node))")
        }
    }

    /// Runs the clients and the nemesis until the budget ends; returns the nemesis for its record.
    private func workload() -> RealChaosNemesis {
        let deadline = RealChaosClock.nanoseconds() + UInt64(options.seconds) * 1_000_000_000
        let nemesis = RealChaosNemesis(seed: options.seed, cluster: cluster, deadline: deadline)
        let clients = (0..<options.clients).map {
            RealChaosClient(index: $0, clients: options.clients, seed: options.seed, cluster: cluster, recorder: recorder, agents: agents, deadline: deadline)
        }
        let group = DispatchGroup()
        var workers: [@Sendable () -> Void] = clients.map { client in { client.run() } }
        workers.append { nemesis.run() }
        for worker in workers {
            group.enter()
            Thread { worker(); group.leave() }.start()
        }
        group.wait()
        return nemesis
    }

    // MARK: Setup and final probes

    /// A setup write retried (same idempotency key, rotating nodes) until a 2xx, bounded.
    private func setupWrite(_ method: String, _ target: String, _ json: String, key: String) -> Bool {
        var node = 0
        return RealChaosCluster.eventually(RealChaosBounds.setupWaitSeconds) {
            node = (node + 1) % RealChaosCluster.nodeCount
            let answer = cluster.send(setupHTTP, to: node, method, target, json: json, idempotencyKey: key)
            return answer.map { (200..<300).contains($0.status) || ($0.status == 409 && target == "/v1/agents") } ?? false
        }
    }

    /// A model where an agent may approve invoice:1 when a tuple says so, one tuple per agent and
    /// the agents themselves; then the first agent must be allowed on every node, so the run
    /// cannot pass vacuously with every check denied.
    private func setUp() -> Bool {
        let model = """
            {"schema_version":"1.1","type_definitions":[{"type":"user"},{"type":"agent"},
             {"type":"invoice","relations":{"approve":{"this":{}}},
              "metadata":{"relations":{"approve":{"directly_related_user_types":[{"type":"agent"}]}}}}]}
            """
        guard setupWrite("PUT", "/v1/model", model, key: "chaos-real-model") else { return false }
        for agent in agents {
            let body = #"{"id":"\#(agent)","name":"chaos","owner":"user:anne","kind":"agent","scopes":["invoice:approve"]}"#
            let id = recorder.invoke(client: setupClient, .register(agent))
            guard setupWrite("POST", "/v1/agents", body, key: "chaos-real-register-\(agent)") else { return false }
            recorder.complete(id, .done)
        }
        let writes = agents.map { #"{"user":"agent:\#($0)","relation":"approve","object":"invoice:1"}"# }.joined(separator: ",")
        guard setupWrite("POST", "/v1/tuples", #"{"writes":[\#(writes)]}"#, key: "chaos-real-tuples") else { return false }
        return (0..<RealChaosCluster.nodeCount).allSatisfy { node in
            RealChaosCluster.eventually(RealChaosBounds.setupWaitSeconds) {
                RealChaosClient.linearizableCheck(cluster: cluster, http: setupHTTP, node: node, agent: agents[0]) == true
            }
        }
    }

    /// After convergence: one linearizable check per agent on every node, recorded in the
    /// history, so a write lost at the end shows up in the linearizability check.
    private func probeFinalState() {
        for agent in agents {
            for node in 0..<RealChaosCluster.nodeCount {
                let id = recorder.invoke(client: probeClient, .check(agent))
                var decision: Bool?
                _ = RealChaosCluster.eventually(RealChaosBounds.setupWaitSeconds) {
                    decision = RealChaosClient.linearizableCheck(cluster: cluster, http: setupHTTP, node: node, agent: agent)
                    return decision != nil
                }
                if let decision { recorder.complete(id, .allowed(decision)) } else { recorder.fail(id) }
            }
        }
    }

    /// Each node's own view (serializable read) of each agent's status.
    private func finalStatuses() -> [String: [String?]] {
        var statuses: [String: [String?]] = [:]
        for agent in agents {
            statuses[agent] = (0..<RealChaosCluster.nodeCount).map { node in
                let answer = cluster.send(setupHTTP, to: node, "GET", "/v1/agents/\(agent)?consistency=serializable")
                return answer?.body?["agent"]?["status"]?.stringValue ?? answer?.body?["status"]?.stringValue
            }
        }
        return statuses
    }

    /// `GET /v1/audit/verify` (the node's own state) on every node, polled until all report the
    /// same applied revision twice in a row: decision records reach the chain in batches that
    /// commit after the writes, so heads are only comparable at one revision. Bounded.
    private func auditHeads() -> [RealChaosVerdict.AuditHead?] {
        var previous: [Int64?] = []
        var latest: [RealChaosVerdict.AuditHead?] = []
        _ = RealChaosCluster.eventually(RealChaosBounds.convergeWaitSeconds) {
            latest = (0..<RealChaosCluster.nodeCount).map { node in
                guard let answer = cluster.send(setupHTTP, to: node, "GET", "/v1/audit/verify?consistency=serializable"),
                      answer.status == 200, let body = answer.body else { return nil }
                return RealChaosVerdict.AuditHead(
                    ok: body["ok"]?.boolValue ?? false, records: body["records"]?.integerValue ?? -1,
                    head: body["head_hash"]?.stringValue ?? "", revision: body["revision"]?.integerValue ?? -1)
            }
            let revisions = latest.map { $0?.revision }
            defer { previous = revisions }
            return revisions.allSatisfy { $0 != nil } && Set(revisions).count == 1 && previous == revisions
        }
        return latest
    }
}
