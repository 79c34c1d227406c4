import Foundation
import Glibc
import HTTP
import JSON
import Testing
@testable import Enforcer

// MARK: - Real processes: cluster + enforcers on loopback

@Suite("enforcers as real processes against a real 3-node cluster", .serialized)
struct EnforcerProcessTests {
    /// Runs `body` with a started, populated cluster; every process is killed afterwards.
    func withCluster(_ body: (ProcessCluster) throws -> Void) throws {
        let cluster = try ProcessCluster()
        defer { cluster.shutdown() }
        try cluster.startAll()
        try cluster.populate()
        try body(cluster)
    }

    /// Waits until node `node` has heard acks from every enforcer in `ids` (acks are node-local).
    func waitForAcks(_ cluster: ProcessCluster, node: Int, _ ids: [String]) throws {
        try cluster.waitUntil("node \(node) knows \(ids)") {
            let listed = try cluster.call(node, "GET", "/v1/enforcers").json["enforcers"]?.arrayValue ?? []
            return Set(listed.compactMap { $0["id"]?.stringValue }).isSuperset(of: ids)
        }
    }

    func isAllowed(_ cluster: ProcessCluster, _ id: String, agent: String = "bot") -> Bool {
        (try? cluster.check(id, agent: agent))?["allowed"]?.boolValue == true
    }

    func reasonCodes(_ cluster: ProcessCluster, _ id: String, agent: String = "bot") throws -> [String] {
        try cluster.check(id, agent: agent)["reasons"]?.arrayValue?.compactMap { $0["code"]?.stringValue } ?? []
    }

    @Test("a kill with wait_for_enforcers returns after both enforcers acknowledged, and both deny at once")
    func killReachesBothEnforcers() throws {
        try withCluster { cluster in
            try cluster.startEnforcer("edge-1", cluster: [1, 2, 3])
            try cluster.startEnforcer("edge-2", cluster: [2, 3, 1])
            try cluster.waitUntil("both enforcers allow") { isAllowed(cluster, "edge-1") && isAllowed(cluster, "edge-2") }
            try waitForAcks(cluster, node: 3, ["edge-1", "edge-2"])
            let kill = try cluster.call(3, "POST", "/v1/agents/bot/kill", body: ["reason": "test", "wait_for_enforcers": true])
            #expect(kill.status == 200)
            #expect(kill.json["enforcers"]?["acknowledged"]?.integerValue == 2 && kill.json["enforcers"]?["total"]?.integerValue == 2)
            #expect(kill.json["enforcers"]?["fenced_by"]?.stringValue != nil)
            #expect(try reasonCodes(cluster, "edge-1") == ["agent_killed"])
            #expect(try reasonCodes(cluster, "edge-2") == ["agent_killed"])
            #expect(isAllowed(cluster, "edge-1", agent: "bot2"), "other agents still decided locally")
        }
    }

    @Test("with every node stopped both enforcers fail closed after the lease; restarted, they resume and keep up")
    func staleThenResume() throws {
        try withCluster { cluster in
            try cluster.startEnforcer("edge-1", cluster: [1, 2, 3])
            try cluster.startEnforcer("edge-2", cluster: [3, 2, 1])
            try cluster.waitUntil("both enforcers allow") { isAllowed(cluster, "edge-1") && isAllowed(cluster, "edge-2") }
            let before = try cluster.local("edge-1", "GET", "/v1/status").json["revision"]?.integerValue ?? 0
            for node in 1...3 { cluster.killNode(node) }
            try cluster.waitUntil("both enforcers stale", seconds: 5) {
                try reasonCodes(cluster, "edge-1", agent: "bot2") == ["stale"] && reasonCodes(cluster, "edge-2", agent: "bot2") == ["stale"]
            }
            #expect(try cluster.check("edge-1", agent: "bot2")["reason"]?.stringValue == "stale")
            for node in 1...3 { try cluster.startNode(node) }
            try cluster.waitUntil("both enforcers fresh again") { isAllowed(cluster, "edge-1", agent: "bot2") && isAllowed(cluster, "edge-2", agent: "bot2") }
            let after = try cluster.local("edge-1", "GET", "/v1/status").json["revision"]?.integerValue ?? 0
            #expect(after >= before)
            try waitForAcks(cluster, node: 2, ["edge-1", "edge-2"])
            let kill = try cluster.call(2, "POST", "/v1/agents/bot/kill", body: ["reason": "after restart", "wait_for_enforcers": true])
            #expect(kill.json["enforcers"]?["acknowledged"]?.integerValue == 2)
            #expect(try reasonCodes(cluster, "edge-1") == ["agent_killed"] && reasonCodes(cluster, "edge-2") == ["agent_killed"])
            let revision = kill.json["revision"]?.integerValue ?? 0
            try cluster.waitUntil("enforcer revision reaches the kill") {
                (try cluster.local("edge-1", "GET", "/v1/status").json["revision"]?.integerValue ?? 0) >= revision
            }
        }
    }

    @Test("killing the node an enforcer follows makes it fail over to another and keep deciding")
    func failover() throws {
        try withCluster { cluster in
            try cluster.startEnforcer("edge-1", cluster: [1, 2, 3])
            var attached = 0
            try cluster.waitUntil("attached and deciding") {
                let url = try cluster.local("edge-1", "GET", "/v1/status").json["connected_to"]?.stringValue
                attached = (1...3).first { cluster.nodeURL($0) == url } ?? 0
                return attached != 0 && isAllowed(cluster, "edge-1")
            }
            cluster.killNode(attached)
            try cluster.waitUntil("attached elsewhere and fresh") {
                let status = try cluster.local("edge-1", "GET", "/v1/status").json
                return status["connected_to"]?.stringValue != cluster.nodeURL(attached) && status["fresh"]?.boolValue == true
            }
            #expect(isAllowed(cluster, "edge-1"))
            let survivor = attached == 1 ? 2 : 1
            try cluster.waitUntil("the kill commits without the killed node") {
                (try cluster.call(survivor, "POST", "/v1/agents/bot/kill", body: ["reason": "failover"])).status == 200
            }
            try cluster.waitUntil("the kill reaches the enforcer", seconds: 5) { try reasonCodes(cluster, "edge-1") == ["agent_killed"] }
        }
    }

    @Test("decision records reach the audit log once each, with the enforcer's decision ids")
    func decisionsShipped() throws {
        try withCluster { cluster in
            try cluster.startEnforcer("edge-1", cluster: [2, 1, 3])
            try cluster.waitUntil("the enforcer allows") { isAllowed(cluster, "edge-1") }
            var ids: Set<String> = []
            for agent in ["bot", "bot2", "ghost", "bot", "bot2"] {
                if let id = try cluster.check("edge-1", agent: agent)["decision_id"]?.stringValue { ids.insert(id) }
            }
            let shipped: () throws -> [String] = {
                let records = try cluster.call(1, "GET", "/v1/audit?type=decision&limit=1000").json["records"]?.arrayValue ?? []
                return records.filter { $0["detail"]?["source"]?.stringValue == "edge-1" }.compactMap { $0["detail"]?["decision_id"]?.stringValue }
            }
            try cluster.waitUntil("every check is in the audit log") { ids.isSubset(of: Set(try shipped())) }
            usleep(300_000)
            let records = try shipped()
            #expect(records.count == Set(records).count, "no record applied twice")
            #expect(try cluster.call(1, "GET", "/v1/audit/verify").json["ok"]?.boolValue == true)
        }
    }

    @Test("one node serves 200 concurrent SSE subscribers, each receiving the kill")
    func twoHundredSubscribers() throws {
        try withCluster { cluster in
            let node = NodeAddress(url: cluster.nodeURL(1))!
            var connections: [FeedConnection] = []
            for _ in 0..<200 {
                connections.append(try FeedConnection.open(
                    node, target: "/v1/feed", headers: [("Authorization", "Bearer " + cluster.enforcerKey)], timeoutMilliseconds: 2_000))
            }
            _ = try cluster.call(2, "POST", "/v1/agents/bot/kill", body: ["reason": "fan-out"])
            var received = 0
            for connection in connections {
                var events = connection.leftoverEvents
                let deadline = Date().addingTimeInterval(10)
                while !events.contains(where: { $0.type == "kill" }), Date() < deadline {
                    events += (try? connection.nextEvents()) ?? []
                }
                if events.contains(where: { $0.type == "kill" }) { received += 1 }
            }
            #expect(received == 200)
        }
    }

    @Test("a standard SSE client (curl -N) reads snapshot and heartbeats")
    func curlReadsFeed() throws {
        try withCluster { cluster in
            let output = cluster.directory + "/curl.out"
            let curl = try ProcessCluster.spawn(
                ["/usr/bin/curl", "-sN", "--max-time", "2", "-H", "Accept: text/event-stream", "-H", "Authorization: Bearer " + cluster.enforcerKey,
                 cluster.nodeURL(2) + "/v1/feed"], log: output)
            curl.waitUntilExit()
            let text = try String(contentsOfFile: output, encoding: .utf8)
            #expect(text.contains("event: snapshot") && text.contains("event: heartbeat") && text.contains("\"lease_ms\":500"))
        }
    }

    @Test("the proxy forwards an allowed MCP tools/call and refuses a denied one with 403")
    func proxyToolsCall() throws {
        let upstream = HTTPServer(handler: HTTPHandlerFunction { _, responder in
            responder.send(HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array(#"{"result":"paid"}"#.utf8)))
        })
        let upstreamPort = try upstream.start()
        defer { upstream.shutdown(gracePeriod: .milliseconds(100)) }
        let cluster = try ProcessCluster()
        defer { cluster.shutdown() }
        try cluster.startAll()
        let model = """
            {"schema_version":"1.1","type_definitions":[{"type":"agent"},{"type":"toolserver","relations":{"send_payment":{"this":{}},"delete_all":{"this":{}}},
            "metadata":{"relations":{"send_payment":{"directly_related_user_types":[{"type":"agent"}]},"delete_all":{"directly_related_user_types":[{"type":"agent"}]}}}}]}
            """
        try cluster.write(1, "PUT", "/v1/model", try JSONParser.parse(model))
        let agent = try cluster.call(1, "POST", "/v1/agents", body: ["id": "payer", "name": "Payer", "owner": "user:anne", "kind": "agent", "scopes": ["toolserver:*"]])
        let secret = try #require(agent.json["client_secret"]?.stringValue)
        try cluster.write(1, "POST", "/v1/tuples", ["writes": [["user": "agent:payer", "relation": "send_payment", "object": "toolserver:main"]]])
        let form = "grant_type=client_credentials&client_id=payer&client_secret=\(secret)&scope=toolserver:*"
        let tokenResponse = try cluster.client.send(
            HTTPClientRequest(method: "POST", target: "/oauth/token", headers: HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")]), body: Array(form.utf8)),
            host: "127.0.0.1", port: cluster.portBase + 1)
        let token = try #require((try? JSONParser.parse(tokenResponse.body))?["access_token"]?.stringValue, "\(String(decoding: tokenResponse.body, as: UTF8.self))")
        let port = try cluster.startEnforcer("edge-proxy", cluster: [1, 2, 3], extra: [
            "--proxy-to", "http://127.0.0.1:\(upstreamPort)", "--route", "POST /mcp mcp toolserver:main",
        ])
        let call: (String) throws -> HTTPClientResponse = { tool in
            let body = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\#(tool)","arguments":{}}}"#
            return try cluster.client.send(HTTPClientRequest(method: "POST", target: "/mcp", headers: HTTPHeaders([
                ("Content-Type", "application/json"), ("Authorization", "Bearer " + token),
            ]), body: Array(body.utf8)), host: "127.0.0.1", port: port)
        }
        try cluster.waitUntil("the proxy allows send_payment") { try call("send_payment").status == 200 }
        #expect(String(decoding: try call("send_payment").body, as: UTF8.self) == #"{"result":"paid"}"#)
        let denied = try call("delete_all")
        #expect(denied.status == 403 && denied.headers["Warden-Reasons"] == "relation_not_found")
        let anonymous = try cluster.client.send(HTTPClientRequest(method: "POST", target: "/mcp", body: Array("{}".utf8)), host: "127.0.0.1", port: port)
        #expect(anonymous.status == 401)
    }
}
