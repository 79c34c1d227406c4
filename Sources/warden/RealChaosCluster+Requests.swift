#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTP
import JSON
import Server
import Simulator

// MARK: - Requests and liveness waits

/// What one HTTP exchange with a node gave: a status and parsed JSON body, or nothing.
struct RealChaosAnswer {
    let status: Int
    let body: JSONValue?
}

extension RealChaosCluster {
    /// One request to `node` with the admin key; nil when the node could not be reached in time.
    func send(_ client: HTTPClient, to node: Int, _ method: String, _ target: String,
              json: String? = nil, idempotencyKey: String? = nil) -> RealChaosAnswer? {
        var headers = HTTPHeaders([("Authorization", "Bearer \(adminKey)")])
        if json != nil { headers.add(name: "Content-Type", value: "application/json") }
        if let idempotencyKey { headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        let request = HTTPClientRequest(method: method, target: target, headers: headers, body: Array((json ?? "").utf8))
        guard let response = try? client.send(request, host: "127.0.0.1", port: ports[node]) else { return nil }
        return RealChaosAnswer(status: response.status, body: try? JSONParser.parse(response.body))
    }

    /// `GET /v1/cluster` from `node` through the probe client.
    func clusterStatus(_ node: Int) -> JSONValue? {
        guard let answer = send(probe, to: node, "GET", "/v1/cluster"), answer.status == 200 else { return nil }
        return answer.body
    }

    /// The node (0-based) every reachable node names as leader, if some node names one.
    func leader() -> Int? {
        for node in 0..<Self.nodeCount {
            if let name = clusterStatus(node)?["leader"]?.stringValue, let id = Int(name), (1...Self.nodeCount).contains(id) {
                return id - 1
            }
        }
        return nil
    }

    /// Polls `condition` until it holds or `seconds` pass.
    static func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = RealChaosClock.nanoseconds() + UInt64(seconds * 1e9)
        while RealChaosClock.nanoseconds() < deadline {
            if condition() { return true }
            RealChaosClock.sleep(milliseconds: RealChaosBounds.pollMilliseconds)
        }
        return condition()
    }

    /// Every node answers `/readyz` with 200 and they agree on one leader.
    func waitReady() -> Bool {
        Self.eventually(RealChaosBounds.readyWaitSeconds) {
            let answers = (0..<Self.nodeCount).map { send(probe, to: $0, "GET", "/readyz") }
            guard answers.allSatisfy({ $0?.status == 200 }) else { return false }
            return Set(answers.compactMap { $0?.body?["leader"]?.stringValue }).count == 1
        }
    }

    /// Every node has applied the same revision, equal to its commit, twice in a row; returns it.
    func waitConverged() -> UInt64? {
        var previous: UInt64?
        var converged: UInt64?
        _ = Self.eventually(RealChaosBounds.convergeWaitSeconds) {
            let statuses = (0..<Self.nodeCount).map { clusterStatus($0) }
            let applied = statuses.compactMap { $0?["applied"]?.integerValue }
            let commits = statuses.compactMap { $0?["commit"]?.integerValue }
            guard applied.count == Self.nodeCount, Set(applied).count == 1, Set(commits) == Set(applied) else {
                previous = nil
                return false
            }
            let revision = UInt64(applied[0])
            defer { previous = revision }
            if previous == revision { converged = revision; return true }
            return false
        }
        return converged
    }

    /// Peer addresses the nodes know that are not the proxies, so traffic there would bypass the
    /// cuts (nodes learn addresses from their peers' batches too); nil without proxies.
    func proxyBypasses() -> [String]? {
        guard let network else { return nil }
        var problems: [String] = []
        for node in 0..<Self.nodeCount {
            guard let members = clusterStatus(node)?["members"]?.arrayValue else {
                problems.append("node \(node + 1): GET /v1/cluster did not answer")
                continue
            }
            for member in members {
                guard let id = member["id"]?.stringValue.flatMap(Int.init), (1...Self.nodeCount).contains(id), id != node + 1 else { continue }
                let address = member["address"]?.stringValue ?? ""
                if address != network.address(of: id - 1) {
                    problems.append("node \(node + 1) knows node \(id) at \(address), not at its proxy \(network.address(of: id - 1))")
                }
            }
        }
        return problems
    }

    /// The last lines of a node's log, for a report.
    func logTail(_ node: Int) -> String {
        let text = (try? String(contentsOfFile: logPaths[node], encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(RealChaosBounds.logTailLines).map { "    \($0)" }.joined(separator: "\n")
    }
}
