import Foundation
import Glibc
import HTTP
import JSON
import Replica
import Server
import Testing

// MARK: - Real `warden serve` processes on loopback

/// A cluster of real `warden serve` processes on free loopback ports, in a temporary directory.
/// Every process it starts is killed by pid in `shutdown()`, which each test calls in a `defer`.
final class NodeTestCluster: @unchecked Sendable {
    /// Bounded waits: long enough for a loaded CI box, short enough to fail a hung test.
    static let waitSeconds = 30.0
    /// Polling interval while waiting.
    static let pollSeconds = 0.05

    let directory: String
    let adminKey: String
    var addresses: [UInt64: PeerAddress]
    var processes: [UInt64: Process] = [:]
    let client = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(1), responseTimeout: .seconds(10)))

    /// Initializes an `nodeCount`-node cluster (configuration only; call `start`).
    init(nodeCount: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-node-\(UUID().uuidString)").path
        let ports = try Self.freePorts(nodeCount)
        let list = ports.map { PeerAddress(host: "127.0.0.1", port: $0) }
        let result = try ClusterBootstrap.initialize(dataDirectory: directory, addresses: list, httpThreads: 1)
        adminKey = result.adminKey
        addresses = Dictionary(uniqueKeysWithValues: list.enumerated().map { (UInt64($0.offset + 1), $0.element) })
    }

    /// The built `warden` executable next to the test bundle.
    static var binary: String {
        let candidates = [CommandLine.arguments[0], Bundle.main.bundlePath, Bundle.main.executablePath ?? ""]
        for candidate in candidates where !candidate.isEmpty {
            var url = URL(fileURLWithPath: candidate)
            for _ in 0..<4 {
                url.deleteLastPathComponent()
                let path = url.appendingPathComponent("warden").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return ".build/debug/warden"
    }

    func configPath(_ id: UInt64) -> String { "\(directory)/node-\(id)/warden.conf" }

    /// Starts node `id` with the config file of node `config` (its own by default) plus `extra` flags.
    func start(_ id: UInt64, config: UInt64? = nil, extra: [String] = []) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--config", configPath(config ?? id)] + extra
        let log = "\(directory)/node-\(id).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        processes[id] = process
    }

    /// Starts every configured node.
    func startAll() throws {
        for id in addresses.keys.sorted() where processes[id] == nil { try start(id) }
    }

    /// Sends `signal` to node `id` and waits (bounded) for it to exit.
    func stop(_ id: UInt64, signal: Int32 = SIGTERM) {
        guard let process = processes.removeValue(forKey: id) else { return }
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(Self.waitSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Kills every process this cluster started and removes its directory.
    func shutdown() {
        for id in Array(processes.keys) { stop(id, signal: SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - HTTP

    /// One request to node `id`; nil when it could not be reached.
    func request(_ id: UInt64, _ method: String, _ target: String, json: String? = nil, key: String? = nil,
                 headers extra: [(String, String)] = []) -> (status: Int, body: JSONValue?)? {
        guard let address = addresses[id] else { return nil }
        var headers = HTTPHeaders(extra)
        if let key = key ?? (json != nil || target.hasPrefix("/v1/") ? adminKey : nil) { headers.add(name: "Authorization", value: "Bearer \(key)") }
        if json != nil { headers.add(name: "Content-Type", value: "application/json") }
        let request = HTTPClientRequest(method: method, target: target, headers: headers, body: Array((json ?? "").utf8))
        guard let response = try? client.send(request, host: address.host, port: address.port) else { return nil }
        return (response.status, try? JSONParser.parse(response.body))
    }

    /// Polls `condition` until true or the bounded wait runs out.
    @discardableResult
    static func eventually(_ seconds: Double = waitSeconds, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: pollSeconds)
        }
        return condition()
    }

    /// Waits until every running node is ready and accepts the admin key (the first leader
    /// creates it just after the election); returns the leader's id.
    func waitReady(_ ids: [UInt64]? = nil) -> UInt64? {
        let nodes = ids ?? processes.keys.sorted()
        var leader: UInt64?
        let ready = Self.eventually {
            let answers = nodes.map { request($0, "GET", "/readyz") }
            guard answers.allSatisfy({ $0?.status == 200 }) else { return false }
            guard nodes.allSatisfy({ request($0, "GET", "/v1/cluster")?.status == 200 }) else { return false }
            let leaders = Set(answers.compactMap { $0?.body?["leader"]?.stringValue })
            guard leaders.count == 1, let only = leaders.first, let id = UInt64(only) else { return false }
            leader = id
            return true
        }
        return ready ? leader : nil
    }

    /// Registers agent `id`, retrying (same idempotency key) through failovers; true once acknowledged.
    func registerAgent(_ id: String, on node: UInt64, seconds: Double = waitSeconds) -> Bool {
        let body = #"{"id":"\#(id)","name":"n","owner":"user:anne","kind":"agent","scopes":["invoice:approve"]}"#
        return Self.eventually(seconds) {
            request(node, "POST", "/v1/agents", json: body, headers: [("Idempotency-Key", "register-\(id)")])?.status == 201
        }
    }

    /// A form-encoded POST (OAuth endpoints) with an optional `Authorization` header.
    func postForm(_ id: UInt64, _ target: String, _ form: String, authorization: String? = nil) -> (status: Int, body: JSONValue?)? {
        guard let address = addresses[id] else { return nil }
        var headers = HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")])
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        let request = HTTPClientRequest(method: "POST", target: target, headers: headers, body: Array(form.utf8))
        guard let response = try? client.send(request, host: address.host, port: address.port) else { return nil }
        return (response.status, try? JSONParser.parse(response.body))
    }

    /// The agent's status as node `id` reads it linearizably ("active", "killed"), nil when absent.
    func agentStatus(_ agent: String, on node: UInt64) -> String? {
        guard let answer = request(node, "GET", "/v1/agents/\(agent)"), answer.status == 200 else { return nil }
        return answer.body?["agent"]?["status"]?.stringValue ?? answer.body?["status"]?.stringValue
    }

    // MARK: - Ports

    /// `count` distinct free loopback ports (bound to port 0, read back, released).
    static func freePorts(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        while ports.count < count {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
                }
            }
            guard bound else { throw NodeConfigurationError("no free port") }
            sockets.append(descriptor)
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}

// MARK: - Configuration parsing

@Suite("node configuration")
struct NodeConfigurationTests {
    @Test("a config file with every key parses; flags are plain key overrides")
    func parsesConfigFile() throws {
        let text = """
            # comment
            id = 2
            cluster_id = 00ff
            listen = 127.0.0.1:7102
            data = /tmp/x
            peers = 1=127.0.0.1:7101,2=127.0.0.1:7102, 3=http://127.0.0.1:7103
            cluster_secret = 000102030405060708090a0b0c0d0e0f
            bootstrap_admin_key = abc:\(String(repeating: "ab", count: 32))
            """
        let configuration = try NodeConfiguration(values: NodeConfiguration.parseLines(text))
        #expect(configuration.nodeID == 2)
        #expect(configuration.clusterID == 255)
        #expect(configuration.peers[3] == PeerAddress(host: "127.0.0.1", port: 7103))
        #expect(configuration.initialMembers == [1, 2, 3])
        #expect(configuration.advertise == configuration.listen)
        #expect(configuration.bootstrapAdminKey?.id == "abc")
        #expect(configuration.electionTimeoutMilliseconds == NodeConfiguration.defaultElectionTimeoutMilliseconds)
        var values = try NodeConfiguration.parseLines(text)
        values["election_timeout_ms"] = "400"
        #expect(try NodeConfiguration(values: values).electionTimeoutMilliseconds == 400)
        values["election_timeout_ms"] = "10"
        #expect(throws: NodeConfigurationError.self) { try NodeConfiguration(values: values) }
    }

    @Test("unknown keys, repeated keys, short secrets and bad addresses are refused")
    func refusesBadConfig() {
        #expect(throws: NodeConfigurationError.self) { try NodeConfiguration.parseLines("colour = blue") }
        #expect(throws: NodeConfigurationError.self) { try NodeConfiguration.parseLines("id = 1\nid = 2") }
        let base = ["id": "1", "cluster_id": "1", "listen": "127.0.0.1:1", "data": "/tmp", "peers": "1=127.0.0.1:1"]
        #expect(throws: NodeConfigurationError.self) { try NodeConfiguration(values: base.merging(["cluster_secret": "00"]) { $1 }) }
        #expect(throws: NodeConfigurationError.self) {
            try NodeConfiguration(values: base.merging(["cluster_secret": String(repeating: "00", count: 16), "listen": "nohost"]) { $1 })
        }
    }

    @Test("a peer batch round-trips and a truncated one is refused whole")
    func peerBatchFraming() {
        let messages = [
            PeerMessage(from: 1, to: 2, body: .forwardResult(requestID: 7, outcome: .committed(revision: 3))),
            PeerMessage(from: 1, to: 2, body: .forwardWrite(requestID: 8, payload: [9, 9])),
        ]
        var body: [UInt8] = []
        for message in messages { PeerTransportBatch.append(PeerMessageCodec.encode(message), to: &body) }
        #expect(PeerTransportBatch.decode(body) == messages)
        #expect(PeerTransportBatch.decode(Array(body.dropLast())) == nil)
        #expect(PeerTransportBatch.decode([]) == [])
    }
}
