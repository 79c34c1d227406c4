#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTP
import JSON
import Server
import Simulator

// MARK: - The cluster of real processes

/// Three `warden serve` processes in a temporary directory on free loopback ports. Every
/// process is started and stopped here, by pid; a node that exits without being killed is
/// recorded as a crash. With a `network`, the nodes reach each other only through its proxies
/// (clients still reach them directly on `ports`).
final class RealChaosCluster: @unchecked Sendable {
    static let nodeCount = 3
    let directory: String
    let adminKey: String
    let ports: [Int]
    let binary: String
    /// The peer proxies, when the run partitions the network.
    let network: RealChaosNetwork?
    private let lock = NSLock()
    private var processes: [Int: Process] = [:]
    private var paused: Set<Int> = []
    private var crashes: [String] = []
    private var closed = false
    let probe = RealChaosCluster.makeClient()

    init(binary: String, partitions: Bool) throws {
        self.binary = binary
        directory = NSTemporaryDirectory() + "warden-chaos-real-\(UUID().uuidString)"
        ports = try Self.freePorts(Self.nodeCount)
        let addresses = ports.map { PeerAddress(host: "127.0.0.1", port: $0) }
        adminKey = try ClusterBootstrap.initialize(dataDirectory: directory, addresses: addresses, httpThreads: 2).adminKey
        network = partitions ? try RealChaosNetwork(upstreamPorts: ports) : nil
        network?.start()
    }

    /// `warden serve` arguments for `node`: its config, and with a network, the proxy it is
    /// known by (`--advertise`, also what its batches announce) and its peers' proxies.
    func serveArguments(_ node: Int) -> [String] {
        var arguments = ["serve", "--config", "\(directory)/node-\(node + 1)/warden.conf"]
        if let network {
            let peers = (0..<Self.nodeCount).map { "\($0 + 1)=\(network.address(of: $0))" }.joined(separator: ",")
            arguments += ["--advertise", network.address(of: node), "--peers", peers]
        }
        return arguments
    }

    /// An HTTP client with the run's timeouts; each client thread owns one (its keep-alive pool).
    static func makeClient() -> HTTPClient {
        HTTPClient(configuration: HTTPClientConfiguration(
            connectTimeout: RealChaosBounds.connectTimeout, responseTimeout: RealChaosBounds.responseTimeout,
            maximumIdleConnectionsPerHost: 2, maximumResponseBodyBytes: 4 * 1024 * 1024))
    }

    var logPaths: [String] { (0..<Self.nodeCount).map { "\(directory)/node-\($0 + 1).log" } }

    /// Node crashes seen so far: exits nobody asked for.
    var unexpectedExits: [String] { lock.withLock { crashes } }

    // MARK: Process control

    /// Starts node `node` (0-based) unless it runs; its stderr is appended to its log.
    func start(_ node: Int) throws {
        try lock.withLock {
            if closed { return }
            if let process = processes[node], process.isRunning { return }
            let path = logPaths[node]
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            guard let log = FileHandle(forWritingAtPath: path) else { throw NodeConfigurationError("cannot open \(path)") }
            log.seekToEndOfFile()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = serveArguments(node)
            process.standardError = log
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            processes[node] = process
            paused.remove(node)
        }
    }

    /// kill -9: the process and its memory are gone; what it saved stays.
    func crash(_ node: Int) {
        let process: Process? = lock.withLock {
            noteUnexpectedExit(node)
            paused.remove(node)
            return processes.removeValue(forKey: node)
        }
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGSTOP (`true`) or SIGCONT (`false`).
    func pause(_ node: Int, _ stop: Bool) {
        lock.withLock {
            guard let process = processes[node], process.isRunning else { return }
            kill(process.processIdentifier, stop ? SIGSTOP : SIGCONT)
            if stop { paused.insert(node) } else { paused.remove(node) }
        }
    }

    /// Heals the network, resumes every paused node and restarts every dead one (recording
    /// exits nobody caused).
    func heal() {
        network?.healAll()
        for node in 0..<Self.nodeCount {
            pause(node, false)
            lock.withLock { noteUnexpectedExit(node) }
            do { try start(node) } catch { lock.withLock { crashes.append("node \(node + 1) failed to restart: \(error)") } }
        }
    }

    /// Kills every process this run started (by pid) and removes the directory unless kept;
    /// afterwards nothing starts again (a restart racing the shutdown is refused).
    func shutdown(keepData: Bool) {
        lock.withLock { closed = true }
        network?.shutdown()
        for node in 0..<Self.nodeCount {
            let process: Process? = lock.withLock { processes.removeValue(forKey: node) }
            guard let process else { continue }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if !keepData { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Must hold `lock`. A process that is gone though nobody killed it crashed on its own.
    private func noteUnexpectedExit(_ node: Int) {
        guard let process = processes[node], !process.isRunning else { return }
        crashes.append("node \(node + 1) exited on its own with status \(process.terminationStatus)")
        processes[node] = nil
    }

    /// `count` distinct free loopback ports: each is held open until all are chosen.
    static func freePorts(_ count: Int) throws -> [Int] {
        var held: [(descriptor: Int32, port: Int)] = []
        defer { for socket in held { close(socket.descriptor) } }
        while held.count < count { held.append(try RealChaosSocket.listen()) }
        return held.map(\.port)
    }
}
