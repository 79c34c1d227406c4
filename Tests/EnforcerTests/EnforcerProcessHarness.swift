import Foundation
import Glibc
import HTTP
import JSON

// MARK: - Real processes on loopback

/// A 3-node cluster and enforcers as real `warden` processes from the build directory, on free
/// loopback ports, in a temporary folder. Every process is killed by pid in `shutdown()`;
/// every wait is bounded.
final class ProcessCluster {
    /// The longest any wait in these tests lasts.
    static let waitLimitSeconds = 30.0

    let directory: String
    let portBase: Int
    let adminKey: String
    var enforcerKey = ""
    private(set) var nodes: [Int: Process] = [:]
    private(set) var enforcers: [String: (process: Process, port: Int)] = [:]
    let client = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(1), responseTimeout: .seconds(15)))

    /// `…/debug/warden`, next to the test bundle.
    static var wardenPath: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidate = bundle
        while candidate.path != "/" {
            let path = candidate.appendingPathComponent("warden").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
            candidate = candidate.deletingLastPathComponent()
        }
        return bundle.appendingPathComponent("warden").path
    }

    /// Initializes a cluster (not started).
    init() throws {
        directory = NSTemporaryDirectory() + "warden-edge-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        portBase = Self.freePortBase(count: 3)
        let keyFile = directory + "/admin.key"
        let status = try Self.runToEnd([Self.wardenPath, "init", "--data", directory + "/data", "--nodes", "3",
                                        "--port-base", String(portBase), "--admin-key-file", keyFile])
        guard status == 0 else { throw HarnessError("warden init exited \(status)") }
        adminKey = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func nodeURL(_ node: Int) -> String { "http://127.0.0.1:\(portBase + node)" }

    /// Starts node `n` (1-based).
    func startNode(_ node: Int) throws {
        let log = directory + "/node-\(node).log"
        nodes[node] = try Self.spawn([Self.wardenPath, "serve", "--config", directory + "/data/node-\(node)/warden.conf"], log: log)
    }

    /// Kills node `n` (SIGKILL) and reaps it.
    func killNode(_ node: Int) {
        guard let process = nodes.removeValue(forKey: node) else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Starts all nodes and waits until one leads and an enforcer key exists.
    func startAll() throws {
        for node in 1...3 { try startNode(node) }
        try waitUntil("a leader and the bootstrap key") { (try? self.call(1, "GET", "/v1/cluster", key: self.adminKey))?.status == 200 }
        let created = try call(1, "POST", "/v1/keys", body: ["name": "edge", "role": "enforcer"], key: adminKey)
        guard let key = created.json["key"]?.stringValue else { throw HarnessError("no enforcer key: \(created.status)") }
        enforcerKey = key
    }

    /// Starts an enforcer over `cluster` (node numbers, in order) with `extra` options; waits for its port line.
    @discardableResult
    func startEnforcer(_ id: String, cluster: [Int], extra: [String] = []) throws -> Int {
        let port = Self.freePortBase(count: 1) + 1
        let keyFile = directory + "/\(id).key"
        try enforcerKey.write(toFile: keyFile, atomically: true, encoding: .utf8)
        let arguments = [Self.wardenPath, "enforcer", "--id", id, "--cluster", cluster.map(nodeURL).joined(separator: ","),
                         "--listen", "127.0.0.1:\(port)", "--key-file", keyFile] + extra
        let process = try Self.spawn(arguments, log: directory + "/\(id).log")
        enforcers[id] = (process, port)
        try waitUntil("enforcer \(id) listening") { (try? self.local(id, "GET", "/v1/status"))?.status == 200 }
        return port
    }

    /// Kills every process started, by pid, and removes the folder.
    func shutdown() {
        for (_, enforcer) in enforcers { kill(enforcer.process.processIdentifier, SIGKILL); enforcer.process.waitUntilExit() }
        enforcers = [:]
        for node in Array(nodes.keys) { killNode(node) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: Calls

    struct Answer {
        var status: Int
        var json: JSONValue
    }

    /// A call to node `n`.
    func call(_ node: Int, _ method: String, _ path: String, body: JSONValue? = nil, key: String? = nil) throws -> Answer {
        try send(port: portBase + node, method, path, body: body, key: key ?? adminKey)
    }

    /// A call to an enforcer's local API.
    func local(_ id: String, _ method: String, _ path: String, body: JSONValue? = nil) throws -> Answer {
        try send(port: enforcers[id]!.port, method, path, body: body, key: nil)
    }

    func send(port: Int, _ method: String, _ path: String, body: JSONValue?, key: String?, headers extra: [(String, String)] = []) throws -> Answer {
        var headers = HTTPHeaders([("Content-Type", "application/json")] + extra)
        if let key { headers.add(name: "Authorization", value: "Bearer " + key) }
        let request = HTTPClientRequest(method: method, target: path, headers: headers, body: body.map { JSONWriter().bytes($0) } ?? [])
        let response = try client.send(request, host: "127.0.0.1", port: port)
        return Answer(status: response.status, json: (try? JSONParser.parse(response.body)) ?? .null)
    }

    /// The local check of an enforcer for `agent` viewing document:1 as anne.
    func check(_ id: String, agent: String = "bot") throws -> JSONValue {
        try local(id, "POST", "/v1/check", body: ["agent": .string(agent), "on_behalf_of": "user:anne", "action": "viewer", "resource": "document:1"]).json
    }

    /// Model, agent `bot`, anne viewing document:1.
    func populate() throws {
        let model = """
            {"schema_version":"1.1","type_definitions":[{"type":"user"},{"type":"document","relations":{"viewer":{"this":{}}},
            "metadata":{"relations":{"viewer":{"directly_related_user_types":[{"type":"user"}]}}}}]}
            """
        try write(1, "PUT", "/v1/model", try JSONParser.parse(model))
        for agent in ["bot", "bot2"] {
            try write(2, "POST", "/v1/agents", ["id": .string(agent), "name": "Bot", "owner": "user:anne", "kind": "agent", "scopes": ["document:*"]])
        }
        try write(3, "POST", "/v1/tuples", ["writes": [["user": "user:anne", "relation": "viewer", "object": "document:1"]]])
    }

    /// A write retried (same idempotency key) until it applies: 503/504 while a leader is elected.
    func write(_ node: Int, _ method: String, _ path: String, _ body: JSONValue) throws {
        let key = "setup-\(UInt64.random(in: 0...UInt64.max))"
        try waitUntil("\(method) \(path) applies") {
            let answer = try send(port: portBase + node, method, path, body: body, key: adminKey, headers: [("Idempotency-Key", key)])
            return (200..<300).contains(answer.status)
        }
    }

    /// Polls `condition` every 20 ms until it holds; throws after `waitLimitSeconds`.
    func waitUntil(_ what: String, seconds: Double = waitLimitSeconds, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? condition()) == true { return }
            usleep(20_000)
        }
        throw HarnessError("timed out waiting for \(what)")
    }

    // MARK: Processes and ports

    static func spawn(_ arguments: [String], log: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    static func runToEnd(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A base such that base+1 … base+count are free loopback ports right now.
    static func freePortBase(count: Int) -> Int {
        for _ in 0..<200 {
            let base = Int.random(in: 20_000...(60_000 - count))
            if (1...count).allSatisfy({ isFree(base + $0) }) { return base }
        }
        return 61_000
    }

    static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// A harness failure, said in words.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
