import Foundation
import Glibc
import HTTP
import JSON
import Server
import Testing

// MARK: - Runtime-owned routes on a real cluster

@Suite("node runtime routes (real processes on loopback)")
struct NodeOAuthTests {
    @Test("a token minted on one node introspects active on another, and inactive everywhere once its agent is killed")
    func tokenIntrospectionFollowsKill() throws {
        let cluster = try NodeTestCluster(nodeCount: 3)
        defer { cluster.shutdown() }
        try cluster.startAll()
        let leader = try #require(cluster.waitReady())
        let others: [UInt64] = [1, 2, 3].filter { $0 != leader }
        let body = #"{"id":"caller","name":"n","owner":"user:anne","kind":"agent","scopes":["invoice:approve"]}"#
        let registered = try #require(cluster.request(leader, "POST", "/v1/agents", json: body))
        let secret = try #require(registered.body?["client_secret"]?.stringValue)
        // Every node must have published its signing key before it can mint.
        #expect(NodeTestCluster.eventually { cluster.request(others[0], "GET", "/.well-known/jwks.json")?.body?["keys"]?.arrayValue?.count == 3 })
        var token: String?
        #expect(NodeTestCluster.eventually {
            let answer = cluster.postForm(others[0], "/oauth/token",
                                          "grant_type=client_credentials&scope=invoice:approve&client_id=caller&client_secret=\(secret)")
            token = answer?.body?["access_token"]?.stringValue
            return answer?.status == 200
        })
        let minted = try #require(token)
        let bearer = "Bearer \(cluster.adminKey)"
        #expect(cluster.postForm(others[1], "/oauth/introspect", "token=\(minted)", authorization: bearer)?.body?["active"]?.boolValue == true)
        #expect(cluster.postForm(others[1], "/oauth/introspect", "token=\(minted)")?.status == 401)
        #expect(cluster.request(others[1], "POST", "/v1/agents/caller/kill", json: #"{"reason":"test"}"#)?.status == 200)
        for node: UInt64 in [1, 2, 3] {
            #expect(cluster.postForm(node, "/oauth/introspect", "token=\(minted)", authorization: bearer)?.body?["active"]?.boolValue == false)
        }
    }

    @Test("readiness, metrics, cluster status, discovery documents and a leadership transfer through a follower")
    func statusRoutes() throws {
        let cluster = try NodeTestCluster(nodeCount: 3)
        defer { cluster.shutdown() }
        try cluster.startAll()
        let leader = try #require(cluster.waitReady())
        for node: UInt64 in [1, 2, 3] {
            let info = try #require(cluster.request(node, "GET", "/v1/cluster"))
            #expect(info.body?["leader"]?.stringValue == String(leader))
            #expect(info.body?["members"]?.arrayValue?.count == 3)
            #expect(cluster.request(node, "GET", "/v1/cluster", key: "wdn_0000000000000000_wrong")?.status == 401)
            #expect(cluster.request(node, "GET", "/.well-known/oauth-authorization-server")?.body?["token_endpoint"] != nil)
            #expect(cluster.request(node, "GET", "/v1/feed")?.status == 501)
        }
        let target = try #require([1, 2, 3].first { $0 != leader })
        let proxiedThrough = try #require([1, 2, 3].first { $0 != leader && $0 != target })
        let transfer = cluster.request(proxiedThrough, "POST", "/v1/cluster/leadership", json: #"{"to":"\#(target)"}"#)
        #expect(transfer?.status == 200)
        #expect(NodeTestCluster.eventually { cluster.waitReady() == target })
        let address = try #require(cluster.addresses[target])
        let metrics = try cluster.client.send(.init(target: "/metrics"), host: address.host, port: address.port)
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(text.contains("warden_applied_revision"))
        #expect(text.contains("warden_is_leader 1"))
    }

    @Test("a node that lost its quorum stays alive but not ready, and refuses writes with 503 and Retry-After")
    func notReadyWithoutQuorum() throws {
        let cluster = try NodeTestCluster(nodeCount: 3)
        defer { cluster.shutdown() }
        try cluster.startAll()
        let leader = try #require(cluster.waitReady())
        for node: UInt64 in [1, 2, 3] where node != leader { cluster.stop(node, signal: SIGKILL) }
        #expect(NodeTestCluster.eventually { cluster.request(leader, "GET", "/readyz")?.status == 503 })
        #expect(cluster.request(leader, "GET", "/healthz")?.status == 200)
        let address = try #require(cluster.addresses[leader])
        let body = Array(#"{"id":"x","name":"n","owner":"user:a","kind":"agent","scopes":[]}"#.utf8)
        let headers = HTTPHeaders([("Authorization", "Bearer \(cluster.adminKey)"), ("Content-Type", "application/json")])
        let write = try cluster.client.send(HTTPClientRequest(method: "POST", target: "/v1/agents", headers: headers, body: body),
                                            host: address.host, port: address.port)
        #expect(write.status == 503)
        #expect(write.headers["Retry-After"] != nil)
    }
}
