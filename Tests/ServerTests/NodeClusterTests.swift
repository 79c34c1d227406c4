import Foundation
import Glibc
import JSON
import Server
import Testing

// MARK: - A real three-node cluster

@Suite("node cluster (real processes on loopback)")
struct NodeClusterTests {
    @Test("a write sent to a follower commits, every node sees it, and a retry with its Idempotency-Key replays it on another node")
    func followerWriteCommits() throws {
        let cluster = try NodeTestCluster(nodeCount: 3)
        defer { cluster.shutdown() }
        try cluster.startAll()
        let leader = try #require(cluster.waitReady())
        let follower = try #require([1, 2, 3].first { $0 != leader })
        #expect(cluster.registerAgent("from-follower", on: follower, seconds: 10))
        for node: UInt64 in [1, 2, 3] { #expect(cluster.agentStatus("from-follower", on: node) == "active") }
        let body = #"{"id":"from-follower","name":"n","owner":"user:anne","kind":"agent","scopes":["invoice:approve"]}"#
        let retried = cluster.request(leader, "POST", "/v1/agents", json: body, headers: [("Idempotency-Key", "register-from-follower")])
        #expect(retried?.status == 201)
        #expect(retried?.body?["replayed"]?.boolValue == true)
        #expect(retried?.body?["client_secret"] == nil)
    }

    @Test("after a kill returns, a check on every node denies at once")
    func killThenCheckDeniesEverywhere() throws {
        let cluster = try NodeTestCluster(nodeCount: 3)
        defer { cluster.shutdown() }
        try cluster.startAll()
        let leader = try #require(cluster.waitReady())
        let follower = try #require([1, 2, 3].first { $0 != leader })
        #expect(cluster.registerAgent("bot", on: leader, seconds: 10))
        let killed = cluster.request(follower, "POST", "/v1/agents/bot/kill", json: #"{"reason":"test"}"#)
        #expect(killed?.status == 200)
        for node: UInt64 in [1, 2, 3] {
            let check = cluster.request(node, "POST", "/v1/check", json: #"{"agent":"bot","action":"approve","resource":"invoice:1"}"#)
            #expect(check?.status == 200)
            #expect(check?.body?["allowed"]?.boolValue == false)
        }
    }

    @Test("after a kill returns, the audit history of the node that answered already holds it (deferred audit saves)")
    func killThenAuditShowsIt() throws {
        let cluster = try NodeTestCluster(nodeCount: 3)
        defer { cluster.shutdown() }
        try cluster.startAll()
        let leader = try #require(cluster.waitReady())
        let follower = try #require([1, 2, 3].first { $0 != leader })
        #expect(cluster.registerAgent("audited", on: leader, seconds: 10))
        for (round, node) in [leader, follower, leader].enumerated() {
            let action = round % 2 == 0 ? "kill" : "reinstate"
            #expect(cluster.request(node, "POST", "/v1/agents/audited/\(action)", json: #"{"reason":"test"}"#)?.status == 200)
            let page = cluster.request(node, "GET", "/v1/audit?agent=audited&consistency=serializable&limit=100")
            let types = page?.body?["records"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
            #expect(types.filter { $0 == "agent_killed" || $0 == "agent_reinstated" }.count == round + 1, "round \(round): \(types)")
        }
    }

    @Test("mutations without credentials and peer batches without the cluster secret get 401")
    func unauthenticatedMutationsAreRefused() throws {
        let cluster = try NodeTestCluster(nodeCount: 3)
        defer { cluster.shutdown() }
        try cluster.startAll()
        _ = try #require(cluster.waitReady())
        let body = #"{"id":"x","name":"n","owner":"user:a","kind":"agent","scopes":[]}"#
        #expect(cluster.request(1, "POST", "/v1/agents", json: body, key: "wdn_0000000000000000_wrong")?.status == 401)
        #expect(cluster.request(2, "POST", "/internal/v1/raft", json: "")?.status == 401)
        let forged = cluster.request(3, "POST", "/internal/v1/raft", json: "", headers: [("Warden-Cluster-Secret", String(repeating: "0", count: 64))])
        #expect(forged?.status == 401)
        #expect(cluster.agentStatus("x", on: 1) == nil)
    }

    @Test("kill -9 of the leader under a stream of writes: a new leader, no acknowledged write lost")
    func leaderCrashLosesNothing() throws {
        let cluster = try NodeTestCluster(nodeCount: 3)
        defer { cluster.shutdown() }
        try cluster.startAll()
        let leader = try #require(cluster.waitReady())
        let survivors: [UInt64] = [1, 2, 3].filter { $0 != leader }
        var acknowledged: [String] = []
        for index in 0..<40 {
            if index == 15 { cluster.stop(leader, signal: SIGKILL) }
            let id = "stream-\(index)"
            if cluster.registerAgent(id, on: survivors[index % 2]) { acknowledged.append(id) }
        }
        #expect(acknowledged.count == 40)
        let newLeader = cluster.waitReady(survivors)
        #expect(newLeader != nil && newLeader != leader)
        for id in acknowledged {
            for node in survivors { #expect(cluster.agentStatus(id, on: node) == "active", "\(id) on node \(node)") }
        }
    }

    @Test("stop all three and restart: every acknowledged write is back")
    func restartKeepsState() throws {
        let cluster = try NodeTestCluster(nodeCount: 3)
        defer { cluster.shutdown() }
        try cluster.startAll()
        let leader = try #require(cluster.waitReady())
        for index in 0..<10 { #expect(cluster.registerAgent("kept-\(index)", on: UInt64(index % 3 + 1))) }
        #expect(cluster.request(leader, "POST", "/v1/agents/kept-0/kill", json: #"{"reason":"before restart"}"#)?.status == 200)
        for node: UInt64 in [1, 2, 3] { cluster.stop(node) }
        try cluster.startAll()
        _ = try #require(cluster.waitReady())
        for node: UInt64 in [1, 2, 3] {
            #expect(cluster.agentStatus("kept-0", on: node) == "killed")
            for index in 1..<10 { #expect(cluster.agentStatus("kept-\(index)", on: node) == "active") }
        }
    }

    @Test("a fourth node is added through a follower, becomes a voting follower with the data, then is removed")
    func addAndRemoveMember() throws {
        let cluster = try NodeTestCluster(nodeCount: 3)
        defer { cluster.shutdown() }
        try cluster.startAll()
        let leader = try #require(cluster.waitReady())
        let follower = try #require([1, 2, 3].first { $0 != leader })
        #expect(cluster.registerAgent("before-join", on: leader))
        let port = try #require(NodeTestCluster.freePorts(1).first)
        cluster.addresses[4] = PeerAddress(host: "127.0.0.1", port: port)
        try cluster.start(4, config: 1, extra: ["--id", "4", "--listen", "127.0.0.1:\(port)", "--data", "\(cluster.directory)/node-4"])
        let added = cluster.request(follower, "POST", "/v1/cluster/members", json: #"{"id":"4","address":"127.0.0.1:\#(port)"}"#)
        #expect(added?.status == 200)
        let promoted = NodeTestCluster.eventually {
            let members = cluster.request(leader, "GET", "/v1/cluster")?.body?["members"]?.arrayValue ?? []
            return members.contains { $0["id"]?.stringValue == "4" && $0["role"]?.stringValue == "follower" }
        }
        #expect(promoted)
        #expect(NodeTestCluster.eventually { cluster.agentStatus("before-join", on: 4) == "active" })
        #expect(cluster.request(leader, "DELETE", "/v1/cluster/members/4")?.status == 200)
        let removed = NodeTestCluster.eventually {
            let members = cluster.request(leader, "GET", "/v1/cluster")?.body?["members"]?.arrayValue ?? []
            return !members.isEmpty && !members.contains { $0["id"]?.stringValue == "4" }
        }
        #expect(removed)
        #expect(cluster.registerAgent("after-remove", on: follower))
    }

    @Test("a corrupt database: warden serve refuses to start, exits non-zero and says what to do")
    func corruptDatabaseIsRefused() throws {
        let cluster = try NodeTestCluster(nodeCount: 1)
        defer { cluster.shutdown() }
        try cluster.start(1)
        _ = try #require(cluster.waitReady())
        #expect(cluster.registerAgent("soon-corrupt", on: 1))
        cluster.stop(1)
        let path = "\(cluster.directory)/node-1/warden.db"
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size / 2 + 100)
        try handle.close()
        try cluster.start(1)
        let process = try #require(cluster.processes[1])
        #expect(NodeTestCluster.eventually { !process.isRunning })
        process.waitUntilExit()
        #expect(process.terminationStatus == WardenNode.exitStorageRefused)
        let log = (try? String(contentsOfFile: "\(cluster.directory)/node-1.log", encoding: .utf8)) ?? ""
        #expect(log.contains("What to do"))
        cluster.processes[1] = nil
    }
}
