import Foundation
import Testing

/// A `warden storage-torture` process with its standard output on a pipe, killed by pid.
final class TortureWriter {
    /// How long to wait for the writer's acknowledgements before failing the test.
    static let acknowledgementTimeout: Duration = .seconds(120)
    /// How long to wait, after the kill, for the pipe to deliver what the writer printed.
    static let drainTimeout: Duration = .seconds(10)

    /// Serializes creating pipes and spawning, so no writer inherits another's pipe.
    private static let spawnLock = NSLock()

    let processID: pid_t
    private let outputDescriptor: Int32
    private var pending: [UInt8] = []
    private var reaped = false
    private var outputClosed = false
    /// The highest index the writer printed `acked` for.
    private(set) var acknowledgedIndex: UInt64 = 0

    /// Starts `warden storage-torture --path path`; its standard error goes to `errorPath`.
    init(binary: String, path: String, errorPath: String) throws {
        // Between pipe() and fcntl() another writer's spawn could inherit the pipe; the lock closes that window.
        Self.spawnLock.lock()
        defer { Self.spawnLock.unlock() }
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        _ = fcntl(descriptors[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(descriptors[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, descriptors[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let arguments = [binary, "storage-torture", "--path", path]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment: [UnsafeMutablePointer<CChar>?] =
            ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { environment.forEach { free($0) } }
        var processID: pid_t = 0
        let result = posix_spawn(&processID, binary, &actions, nil, argv, environment)
        close(descriptors[1])
        guard result == 0 else {
            close(descriptors[0])
            throw POSIXError(.init(rawValue: result) ?? .EIO)
        }
        self.processID = processID
        outputDescriptor = descriptors[0]
    }

    deinit {
        killAndReap()
        close(outputDescriptor)
    }

    /// Reads acknowledgements until one reaches `index`; false when the writer exited or time ran out.
    func waitForAcknowledgement(atLeast index: UInt64) -> Bool {
        let deadline = ContinuousClock.now + Self.acknowledgementTimeout
        while acknowledgedIndex < index {
            guard !outputClosed, ContinuousClock.now < deadline else { return false }
            readAvailable(waitMilliseconds: 100)
        }
        return true
    }

    /// Sends SIGKILL (once), waits for the process to end, then reads every acknowledgement it
    /// printed before dying.
    func killAndReap() {
        guard !reaped else { return }
        kill(processID, SIGKILL)
        var status: Int32 = 0
        while waitpid(processID, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        let deadline = ContinuousClock.now + Self.drainTimeout
        while !outputClosed && ContinuousClock.now < deadline { readAvailable(waitMilliseconds: 100) }
    }

    private func readAvailable(waitMilliseconds: Int32) {
        var poller = pollfd(fd: outputDescriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, waitMilliseconds) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(outputDescriptor, $0.baseAddress, $0.count) }
        if count <= 0 {
            if count == 0 || errno != EINTR { outputClosed = true }
            return
        }
        pending.append(contentsOf: buffer[..<count])
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeSubrange(...newline)
            if line.hasPrefix("acked "), let index = UInt64(line.dropFirst(6)) {
                acknowledgedIndex = max(acknowledgedIndex, index)
            }
        }
    }

    /// The `warden` executable built beside the test bundle (or in the package's `.build/debug`).
    static func binaryPath() -> String? {
        var candidates: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("warden").path)
        }
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).deletingLastPathComponent().appendingPathComponent("warden").path)
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/warden").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
