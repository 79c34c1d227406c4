import Foundation
import Glibc

// MARK: - A local cluster the benchmark starts and stops itself

/// A 3-node Warden cluster on loopback that the benchmark started (`--start`): `warden init`
/// in a temporary directory, then one `warden serve` per node; every process is stopped by its pid.
final class BenchLocalCluster {
    /// Nodes started.
    static let nodeCount = 3
    /// Longest to wait for every node to answer `/readyz` after a start.
    static let readySeconds = 60.0
    /// Longest to wait for a node to exit after SIGTERM before SIGKILL.
    static let stopSeconds = 5.0
    /// Attempts at finding a free run of ports.
    static let portAttempts = 50
    /// Ports tried: below the kernel's default ephemeral range (32768 and up), so no outgoing
    /// connection can be holding one of them.
    static let portRange = 20_000..<32_000

    /// The temporary directory holding configs, data and logs.
    let directory: String
    /// The admin API key `warden init` printed.
    let adminKey: String
    /// Node endpoints, node 1 first.
    let endpoints: [BenchEndpoint]
    private let binary: String
    /// Extra `warden serve` flags every node gets (e.g. `--election-timeout-ms 1000`).
    private let serveFlags: [String]
    private var processes: [Int: Process] = [:]

    /// Initializes and starts a cluster on free loopback ports, waiting until every node is ready.
    init(serveFlags: [String] = []) throws {
        binary = Self.executablePath()
        self.serveFlags = serveFlags
        let template = "/tmp/warden-bench-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { throw BenchError("mkdtemp failed: errno \(errno)") }
        directory = String(cString: made)
        let portBase = try Self.freePortBase(count: Self.nodeCount)
        let keyFile = directory + "/admin.key"
        let status = try Self.runToEnd(binary, ["init", "--data", directory, "--nodes", "\(Self.nodeCount)",
                                                "--port-base", "\(portBase)", "--admin-key-file", keyFile])
        guard status == 0 else { throw BenchError("warden init exited with \(status)") }
        adminKey = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        endpoints = (1...Self.nodeCount).map { BenchEndpoint(host: "127.0.0.1", port: portBase + $0) }
        for node in 1...Self.nodeCount { try start(node: node) }
        for node in 1...Self.nodeCount { try waitUntilReady(node: node) }
    }

    /// Starts (or restarts) node `node` (1-based) with its config; its output goes to `node-N/serve.log`.
    func start(node: Int) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--config", "\(directory)/node-\(node)/warden.conf"] + serveFlags
        let logPath = "\(directory)/node-\(node)/serve.log"
        if !FileManager.default.fileExists(atPath: logPath) && !FileManager.default.createFile(atPath: logPath, contents: nil) {
            throw BenchError("cannot create \(logPath)")
        }
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw BenchError("cannot open \(logPath)") }
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        processes[node] = process
    }

    /// The pid of a running node.
    func pid(of node: Int) -> Int32? { processes[node].map { $0.processIdentifier } }

    /// `kill -9` one node, as a crash.
    func crash(node: Int) {
        guard let process = processes[node] else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        processes[node] = nil
    }

    /// Polls `/readyz` until 200, bounded by `readySeconds`.
    func waitUntilReady(node: Int) throws {
        let admin = BenchAdmin(endpoint: endpoints[node - 1], key: adminKey)
        let deadline = benchNowNanoseconds() + UInt64(Self.readySeconds * 1e9)
        while benchNowNanoseconds() < deadline {
            if (try? admin.call("GET", "/readyz")) != nil { return }
            if let process = processes[node], !process.isRunning {
                throw BenchError("node \(node) exited (\(process.terminationStatus)); see \(directory)/node-\(node)/serve.log")
            }
            usleep(100_000)
        }
        throw BenchError("node \(node) not ready after \(Int(Self.readySeconds)) s; see \(directory)/node-\(node)/serve.log")
    }

    /// SIGTERM every node by pid, SIGKILL any still running after `stopSeconds`.
    func stop() {
        for process in processes.values where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = benchNowNanoseconds() + UInt64(Self.stopSeconds * 1e9)
        for process in processes.values {
            while process.isRunning && benchNowNanoseconds() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        processes.removeAll()
    }

    /// This executable's absolute path.
    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs a process to completion and returns its exit status (output discarded).
    static func runToEnd(_ path: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A base port B such that B+1…B+count are free on 127.0.0.1 right now.
    static func freePortBase(count: Int) throws -> Int {
        for _ in 0..<portAttempts {
            let base = Int.random(in: portRange.lowerBound..<(portRange.upperBound - count))
            if (1...count).allSatisfy({ isFree(port: base + $0) }) { return base }
        }
        throw BenchError("no free run of \(count) loopback ports found")
    }

    /// Whether a TCP port can be bound on 127.0.0.1.
    static func isFree(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
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
