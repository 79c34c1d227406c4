#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTP
import JSON
import Server
import Simulator

// MARK: - Command

/// `warden chaos-real`: a bounded chaos run against three real `warden serve` processes on
/// loopback. Clients register, kill, reinstate and check agents through every node while a
/// seeded nemesis kill -9s, pauses (SIGSTOP/SIGCONT) and restarts nodes; at the end the history
/// goes through the simulator's linearizability checker with `WardenKillSwitchModel`, plus direct
/// kill-switch, lost-write, convergence and audit-chain checks. Exit 0 only when every check passes.
enum RealChaosCommand {
    static let usage = "usage: warden chaos-real --seconds S [--seed N] [--clients C] [--keep-data]"

    /// The command line, parsed.
    struct Options {
        var seconds = 0
        var seed = UInt64(RealChaosClock.wallSeconds())
        var clients = RealChaosBounds.defaultClients
        var keepData = false

        init?(_ arguments: [String]) {
            var index = 0
            func value() -> String? {
                index += 1
                return index < arguments.count ? arguments[index] : nil
            }
            while index < arguments.count {
                switch arguments[index] {
                case "--seconds": guard let count = value().flatMap(Int.init), count > 0 else { return nil }; seconds = count
                case "--seed": guard let number = value().flatMap(UInt64.init) else { return nil }; seed = number
                case "--clients":
                    guard let count = value().flatMap(Int.init), (1...RealChaosBounds.maximumClients).contains(count) else { return nil }
                    clients = count
                case "--keep-data": keepData = true
                default: return nil
                }
                index += 1
            }
            if seconds == 0 { return nil }
        }

        /// The command that reruns this configuration (timing differs: real processes do not replay exactly).
        var replayCommand: String {
            "warden chaos-real --seconds \(seconds) --seed \(seed) --clients \(clients) --keep-data"
        }
    }

    static func run(_ arguments: [String]) -> Int32 {
        guard let options = Options(arguments) else {
            FileHandleOutput.standardError(usage)
            return 2
        }
        let cluster: RealChaosCluster
        do {
            cluster = try RealChaosCluster(binary: executablePath())
        } catch {
            FileHandleOutput.standardError("chaos-real: cannot initialize a cluster: \(error)")
            return 1
        }
        RealChaosSignals.install(cluster: cluster, keepData: options.keepData)
        let passed = RealChaosRun(options: options, cluster: cluster).execute()
        cluster.shutdown(keepData: options.keepData || !passed)
        if !passed {
            RealChaosCommand.say("chaos-real: FAILED (seed \(options.seed)); data kept in \(cluster.directory)")
            RealChaosCommand.say("replay: \(options.replayCommand)")
        } else {
            RealChaosCommand.say("chaos-real: passed (seed \(options.seed))")
        }
        return passed ? 0 : 1
    }

    /// Prints a line and flushes it, so a run cut short by CI's timeout still shows how far it got.
    static func say(_ text: String) {
        print(text)
        fflush(nil)
    }

    /// This executable, so the nodes run the very build under test.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

// MARK: - Bounds

/// Every bound of the run, named with its reason.
enum RealChaosBounds {
    /// Clients by default: enough concurrency per agent to make the checker work, few enough for 2 cores.
    static let defaultClients = 6
    /// More client threads than this only measure CPU starvation.
    static let maximumClients = 32
    /// Agents the workload spreads over; each is one partition of the linearizability check.
    static let agentCount = 8
    /// Operations per agent: keeps each partition's search small enough to finish (not `unknown`);
    /// 5,000 per agent checks in a few seconds when few operations are ambiguous.
    static let maximumOperationsPerAgent = 5_000
    /// Attempts per write (the same idempotency key each time, a different node each time).
    static let writeAttempts = 4
    /// Attempts per check; a check that never answers is dropped (a read has no effect).
    static let checkAttempts = 3
    /// Pause between attempts, so a fresh election can finish.
    static let retryPauseMilliseconds: UInt64 = 150
    /// Client timeouts: a paused node holds a request at most this long.
    static let connectTimeout = Duration.seconds(1)
    static let responseTimeout = Duration.seconds(5)
    /// Liveness waits: generous (a loaded 2-core host elects slowly) but bounded.
    static let readyWaitSeconds = 120.0
    static let convergeWaitSeconds = 120.0
    static let setupWaitSeconds = 120.0
    /// Polling interval of the liveness waits.
    static let pollMilliseconds: UInt64 = 100
    /// Nemesis: a fault every 1–3 s, each lasting 0.5–2 s.
    static let faultGapMilliseconds: ClosedRange<UInt64> = 1_000...3_000
    static let faultLengthMilliseconds: ClosedRange<UInt64> = 500...2_000
    /// Node log lines printed when a node misbehaves.
    static let logTailLines = 20
    /// Evidence lines printed per failed check.
    static let evidenceLines = 10
}

// MARK: - Time and signals

/// The monotonic clock every history time is read from (the checker's real-time order).
enum RealChaosClock {
    static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    static func wallSeconds() -> Int { Int(time(nil)) }

    static func sleep(milliseconds: UInt64) {
        usleep(useconds_t(min(milliseconds * 1_000, UInt64(UInt32.max))))
    }
}

/// Stops every node this process started, and removes the data unless kept, when the run is
/// interrupted or terminated (Ctrl-C, CI `timeout`): the signals are blocked in every thread
/// and one thread waits for them, so the cleanup runs as ordinary code, not in a handler.
enum RealChaosSignals {
    static let handled = [SIGINT, SIGTERM, SIGHUP]

    /// Call before any other thread starts, so every thread inherits the blocked mask.
    static func install(cluster: RealChaosCluster, keepData: Bool) {
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in handled { sigaddset(&signals, number) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let waited = signals
        Thread {
            var set = waited
            var received: Int32 = 0
            sigwait(&set, &received)
            RealChaosCommand.say("chaos-real: signal \(received): stopping every node this run started")
            cluster.shutdown(keepData: keepData)
            exit(128 + received)
        }.start()
    }
}

// MARK: - The cluster of real processes

/// Three `warden serve` processes in a temporary directory on free loopback ports. Every
/// process is started and stopped here, by pid; a node that exits without being killed is
/// recorded as a crash.
final class RealChaosCluster: @unchecked Sendable {
    static let nodeCount = 3
    let directory: String
    let adminKey: String
    let ports: [Int]
    let binary: String
    private let lock = NSLock()
    private var processes: [Int: Process] = [:]
    private var paused: Set<Int> = []
    private var crashes: [String] = []
    private var closed = false
    private let probe = RealChaosCluster.makeClient()

    init(binary: String) throws {
        self.binary = binary
        directory = NSTemporaryDirectory() + "warden-chaos-real-\(UUID().uuidString)"
        ports = try Self.freePorts(Self.nodeCount)
        let addresses = ports.map { PeerAddress(host: "127.0.0.1", port: $0) }
        adminKey = try ClusterBootstrap.initialize(dataDirectory: directory, addresses: addresses, httpThreads: 2).adminKey
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
            process.arguments = ["serve", "--config", "\(directory)/node-\(node + 1)/warden.conf"]
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

    /// Resumes every paused node and restarts every dead one (recording exits nobody caused).
    func heal() {
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

    static func freePorts(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        while ports.count < count {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            sockets.append(descriptor)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
                }
            }
            guard bound else { throw NodeConfigurationError("no free loopback port") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}

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

    /// The last lines of a node's log, for a report.
    func logTail(_ node: Int) -> String {
        let text = (try? String(contentsOfFile: logPaths[node], encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(RealChaosBounds.logTailLines).map { "    \($0)" }.joined(separator: "\n")
    }
}

// MARK: - The history

/// The run's history of kill-switch operations, shared by the client threads. Times are read
/// under the lock, so invocations enter in time order as `History` requires.
final class RealChaosRecorder: @unchecked Sendable {
    typealias Input = WardenKillSwitchModel.Input
    typealias Output = WardenKillSwitchModel.Output
    typealias Operation = HistoryOperation<Input, Output>

    private let lock = NSLock()
    private let origin = RealChaosClock.nanoseconds()
    private var history = History<Input, Output>()
    private var revisions: [Int: UInt64] = [:]
    private var reservedByAgent: [String: Int] = [:]
    private var unansweredAttempts: [String: Int] = [:]

    private func now() -> VirtualNanoseconds { RealChaosClock.nanoseconds() - origin }

    /// Claims one operation slot on `agent`; false once the agent has its bounded share.
    func reserve(_ agent: String) -> Bool {
        lock.withLock {
            guard reservedByAgent[agent, default: 0] < RealChaosBounds.maximumOperationsPerAgent else { return false }
            reservedByAgent[agent, default: 0] += 1
            return true
        }
    }

    func invoke(client: Int, _ input: Input) -> Int {
        lock.withLock { history.invoke(client: client, input: input, at: now()) }
    }

    /// Acknowledged with `output`; `revision` is the applied revision a write answered with.
    func complete(_ id: Int, _ output: Output, revision: UInt64? = nil) {
        lock.withLock {
            history.complete(id, output: output, at: now())
            if let revision { revisions[id] = revision }
        }
    }

    func fail(_ id: Int) { lock.withLock { history.fail(id, at: now()) } }

    func markAmbiguous(_ id: Int) { lock.withLock { history.markAmbiguous(id, at: now()) } }

    var operations: [Operation] { lock.withLock { history.operations } }

    /// Counts an attempt that gave no definite answer and was retried (or given up on), by cause.
    func noteUnanswered(_ kind: String, _ answer: RealChaosAnswer?) {
        let cause = answer.map { "HTTP \($0.status)" } ?? "no answer"
        lock.withLock { unansweredAttempts["\(kind) \(cause)", default: 0] += 1 }
    }

    /// The retried attempts, one line: evidence that the faults reached the clients.
    var unansweredSummary: String {
        lock.withLock { unansweredAttempts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") }
    }

    var acknowledgedRevisions: [Int: UInt64] { lock.withLock { revisions } }
}

// MARK: - Clients

/// One client thread: keep-alive connections to every node, one operation at a time on a random
/// agent through a random node. Writes carry an idempotency key and are retried on other nodes
/// with the same key; a write whose every attempt was uncertain is recorded as ambiguous.
final class RealChaosClient: @unchecked Sendable {
    /// How one attempt ended.
    enum Attempt {
        case answered(RealChaosRecorder.Output, revision: UInt64?)
        case notApplied
        case uncertain
    }

    let index: Int
    let cluster: RealChaosCluster
    let recorder: RealChaosRecorder
    let agents: [String]
    let deadline: UInt64
    /// The least time between this client's invocations, so the bounded operations spread over
    /// the whole budget instead of running out while the nemesis is still at work.
    let pacingNanoseconds: UInt64
    private var random: SeededRandom
    private let http = RealChaosCluster.makeClient()
    private var sequence = 0
    let keyPrefix: String

    init(index: Int, clients: Int, seed: UInt64, cluster: RealChaosCluster, recorder: RealChaosRecorder, agents: [String], deadline: UInt64) {
        self.index = index
        self.cluster = cluster
        self.recorder = recorder
        self.agents = agents
        self.deadline = deadline
        let budget = deadline - RealChaosClock.nanoseconds()
        pacingNanoseconds = budget * UInt64(clients) / UInt64(agents.count * RealChaosBounds.maximumOperationsPerAgent)
        random = SeededRandom(seed: seed, stream: 100 + UInt64(index))
        keyPrefix = "chaos-real-\(seed)-\(index)"
    }

    /// Runs operations until the deadline or until every agent has its bounded share.
    func run() {
        var exhausted: Set<String> = []
        var nextInvocation = RealChaosClock.nanoseconds()
        while RealChaosClock.nanoseconds() < deadline && exhausted.count < agents.count {
            let now = RealChaosClock.nanoseconds()
            if now < nextInvocation { RealChaosClock.sleep(milliseconds: (nextInvocation - now) / 1_000_000) }
            nextInvocation = max(nextInvocation, now) + pacingNanoseconds
            guard let agent = random.pick(agents), !exhausted.contains(agent) else { continue }
            guard recorder.reserve(agent) else { exhausted.insert(agent); continue }
            switch random.uniform(in: 0..<4) {
            case 0: write(.kill(agent), path: "/v1/agents/\(agent)/kill")
            case 1: write(.reinstate(agent), path: "/v1/agents/\(agent)/reinstate")
            default: check(agent)
            }
        }
    }

    private func randomNode() -> Int { random.uniform(in: 0..<RealChaosCluster.nodeCount) }

    private func write(_ input: RealChaosRecorder.Input, path: String) {
        sequence += 1
        let key = "\(keyPrefix)-\(sequence)"
        let id = recorder.invoke(client: index, input)
        var node = randomNode()
        var uncertain = false
        for attempt in 0..<RealChaosBounds.writeAttempts {
            if attempt > 0 {
                RealChaosClock.sleep(milliseconds: RealChaosBounds.retryPauseMilliseconds)
                node = (node + 1 + random.uniform(in: 0..<(RealChaosCluster.nodeCount - 1))) % RealChaosCluster.nodeCount
            }
            let answer = cluster.send(http, to: node, "POST", path, json: #"{"reason":"chaos-real"}"#, idempotencyKey: key)
            switch Self.classifyWrite(answer) {
            case .answered(let output, let revision):
                recorder.complete(id, output, revision: revision)
                return
            case .notApplied: recorder.noteUnanswered("write", answer)
            case .uncertain: recorder.noteUnanswered("write", answer); uncertain = true
            }
        }
        if uncertain { recorder.markAmbiguous(id) } else { recorder.fail(id) }
    }

    /// 200 applied; 404/412 applied as a rejection (state unchanged); 503 definitely not
    /// applied (API contract); anything else (504, other 5xx, no answer) may have applied.
    static func classifyWrite(_ answer: RealChaosAnswer?) -> Attempt {
        guard let answer else { return .uncertain }
        switch answer.status {
        case 200:
            let revision = answer.body?["revision"]?.integerValue.map { UInt64($0) }
            return .answered(.done, revision: revision)
        case 404, 412: return .answered(.rejected, revision: nil)
        case 503: return .notApplied
        default: return .uncertain
        }
    }

    private func check(_ agent: String) {
        let id = recorder.invoke(client: index, .check(agent))
        var node = randomNode()
        for attempt in 0..<RealChaosBounds.checkAttempts {
            if attempt > 0 {
                RealChaosClock.sleep(milliseconds: RealChaosBounds.retryPauseMilliseconds)
                node = (node + 1) % RealChaosCluster.nodeCount
            }
            if let allowed = Self.linearizableCheck(cluster: cluster, http: http, node: node, agent: agent, recorder: recorder) {
                recorder.complete(id, .allowed(allowed))
                return
            }
        }
        recorder.fail(id)
    }

    /// `POST /v1/check` with `consistency: linearizable`; the decision, or nil without one.
    static func linearizableCheck(
        cluster: RealChaosCluster, http: HTTPClient, node: Int, agent: String, recorder: RealChaosRecorder? = nil
    ) -> Bool? {
        let body = #"{"agent":"\#(agent)","action":"approve","resource":"invoice:1","consistency":"linearizable"}"#
        let answer = cluster.send(http, to: node, "POST", "/v1/check", json: body)
        guard let answer, answer.status == 200, let allowed = answer.body?["allowed"]?.boolValue else {
            recorder?.noteUnanswered("check", answer)
            return nil
        }
        return allowed
    }
}

// MARK: - Nemesis

/// The seeded nemesis: every 1–3 s one fault, never more than one node down at a time —
/// kill -9 a random node and restart it, pause one with SIGSTOP then SIGCONT, or kill -9 the leader.
final class RealChaosNemesis: @unchecked Sendable {
    private var random: SeededRandom
    let cluster: RealChaosCluster
    let deadline: UInt64
    private(set) var actions: [String: Int] = [:]
    private(set) var timeline: [String] = []
    private let origin = RealChaosClock.nanoseconds()

    init(seed: UInt64, cluster: RealChaosCluster, deadline: UInt64) {
        random = SeededRandom(seed: seed, stream: 1)
        self.cluster = cluster
        self.deadline = deadline
    }

    func run() {
        while true {
            let gap = random.uniform(in: RealChaosBounds.faultGapMilliseconds)
            let length = random.uniform(in: RealChaosBounds.faultLengthMilliseconds)
            guard RealChaosClock.nanoseconds() + (gap + length) * 1_000_000 < deadline else { return }
            RealChaosClock.sleep(milliseconds: gap)
            let choice = random.uniform(in: 0..<3)
            var node = random.uniform(in: 0..<RealChaosCluster.nodeCount)
            if choice == 2, let leader = cluster.leader() { node = leader }
            let name = ["kill -9 node", "SIGSTOP node", "kill -9 leader"][choice]
            note("\(name) \(node + 1) for \(length) ms")
            actions[name, default: 0] += 1
            if choice == 1 {
                cluster.pause(node, true)
                RealChaosClock.sleep(milliseconds: length)
                cluster.pause(node, false)
            } else {
                cluster.crash(node)
                RealChaosClock.sleep(milliseconds: length)
                do { try cluster.start(node) } catch { note("restart of node \(node + 1) failed: \(error)") }
            }
        }
    }

    private func note(_ text: String) {
        let milliseconds = (RealChaosClock.nanoseconds() - origin) / 1_000_000
        timeline.append("  +\(milliseconds) ms \(text)")
    }
}

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
        RealChaosCommand.say("chaos-real: partitions not exercised: this run injects process faults only (kill -9, SIGSTOP/SIGCONT, restart)")
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
        probeFinalState()
        let statuses = finalStatuses()
        let verdict = RealChaosVerdict.evaluate(
            operations: recorder.operations, revisions: recorder.acknowledgedRevisions,
            finalRevision: finalRevision, statuses: statuses, audit: auditHeads(), crashes: cluster.unexpectedExits)
        RealChaosCommand.say(RealChaosVerdict.outcomeTable(recorder.operations))
        RealChaosCommand.say("chaos-real: attempts without a definite answer (retried): \(recorder.unansweredSummary)")
        RealChaosCommand.say("chaos-real: nemesis: " + nemesis.actions.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        RealChaosCommand.say("chaos-real: converged at revision \(finalRevision)")
        verdict.lines.forEach { RealChaosCommand.say($0) }
        RealChaosCommand.say("chaos-real: total \(ContinuousClock.now - started)")
        if !verdict.passed { printLogTails() }
        return verdict.passed
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

// MARK: - The checks

/// The end-of-run checks and their report lines; `passed` only when every one holds.
struct RealChaosVerdict {
    typealias Operation = RealChaosRecorder.Operation
    var lines: [String] = []
    var passed = true

    static func evaluate(
        operations: [Operation], revisions: [Int: UInt64], finalRevision: UInt64,
        statuses: [String: [String?]], audit: [AuditHead?], crashes: [String]
    ) -> RealChaosVerdict {
        var verdict = RealChaosVerdict()
        verdict.checkLinearizability(operations)
        verdict.record("kill-switch safety (allowed after an acknowledged kill, no reinstate in between)", killSwitchViolations(operations))
        verdict.record("no lost acknowledged writes", lostWrites(operations, revisions: revisions, finalRevision: finalRevision, statuses: statuses))
        verdict.record("audit chains verify and agree", auditProblems(audit))
        verdict.record("no node exited on its own", crashes)
        verdict.record("the workload exercised the kill switch", vacuity(operations))
        return verdict
    }

    /// A run that never saw an acknowledged kill, an allowed check and a denied check proves nothing.
    static func vacuity(_ operations: [Operation]) -> [String] {
        var problems: [String] = []
        if !operations.contains(where: { isKill($0) && $0.output == .done }) { problems.append("no kill was acknowledged") }
        if !operations.contains(where: { $0.output == .allowed(true) }) { problems.append("no check was allowed") }
        if !operations.contains(where: { $0.output == .allowed(false) }) { problems.append("no check was denied") }
        return problems
    }

    private mutating func record(_ name: String, _ problems: [String]) {
        lines.append("chaos-real: \(problems.isEmpty ? "PASS" : "FAIL") \(name): \(problems.count) violation(s)")
        lines.append(contentsOf: problems.prefix(RealChaosBounds.evidenceLines).map { "    \($0)" })
        if !problems.isEmpty { passed = false }
    }

    /// (1) The simulator's checker with the model of exactly what Governance does. `unknown`
    /// (budget exhausted) is reported as a failure to prove, not a pass.
    private mutating func checkLinearizability(_ operations: [Operation]) {
        let started = ContinuousClock.now
        let result = LinearizabilityChecker(model: WardenKillSwitchModel()).check(operations)
        let elapsed = ContinuousClock.now - started
        switch result {
        case .linearizable:
            lines.append("chaos-real: PASS linearizability (\(operations.count) operations, per agent) in \(elapsed)")
        case .notLinearizable(let witness):
            passed = false
            lines.append("chaos-real: FAIL linearizability in \(elapsed): a violation")
            lines.append(witness.description)
        case .unknown(let exhausted):
            passed = false
            lines.append("chaos-real: FAIL linearizability not proven in \(elapsed): \(exhausted.description)")
        }
    }

    static func render(_ operation: Operation) -> String {
        let end = operation.completedAt.map { String($0 / 1_000_000) } ?? "∞"
        return "#\(operation.id) client \(operation.client) [\(operation.invokedAt / 1_000_000)..\(end) ms] \(WardenKillSwitchModel().describe(operation))"
    }

    private static func isKill(_ operation: Operation) -> Bool {
        if case .kill = operation.input { return true }
        return false
    }

    private static func isReinstate(_ operation: Operation) -> Bool {
        if case .reinstate = operation.input { return true }
        return false
    }

    /// A write that changed (or may have changed) the agent's status: acknowledged `done`, or uncertain.
    private static func mayHaveApplied(_ operation: Operation) -> Bool {
        switch operation.outcome {
        case .ok(let output): return output == .done
        case .ambiguous, .pending: return true
        case .failed: return false
        }
    }

    /// (2) Directly, without search: an allowed check that began after an acknowledged kill had
    /// completed, with no reinstate that could have applied between the two.
    static func killSwitchViolations(_ operations: [Operation]) -> [String] {
        var problems: [String] = []
        let byAgent = Dictionary(grouping: operations) { $0.input.agent }
        for (_, ops) in byAgent {
            let kills = ops.filter { isKill($0) && $0.output == .done }
            let reinstates = ops.filter { isReinstate($0) && mayHaveApplied($0) }
            for check in ops where check.output == .allowed(true) {
                guard let checkEnd = check.completedAt else { continue }
                for kill in kills {
                    guard let killEnd = kill.completedAt, killEnd < check.invokedAt else { continue }
                    let intervening = reinstates.contains { reinstate in
                        reinstate.invokedAt < checkEnd && (reinstate.isUncertain || (reinstate.completedAt ?? .max) > kill.invokedAt)
                    }
                    if !intervening {
                        problems.append("\(render(check)) after \(render(kill))")
                        break
                    }
                }
            }
        }
        return problems
    }

    /// (3) Every acknowledged write's revision is applied everywhere, and each node's final
    /// status of an agent matches the last acknowledged write when that write is determinate
    /// (every other write that may have applied finished before it began).
    static func lostWrites(
        _ operations: [Operation], revisions: [Int: UInt64], finalRevision: UInt64, statuses: [String: [String?]]
    ) -> [String] {
        var problems: [String] = []
        for (id, revision) in revisions.sorted(by: { $0.key < $1.key }) where revision > finalRevision {
            problems.append("\(render(operations[id])) acknowledged at revision \(revision) > final applied \(finalRevision)")
        }
        let byAgent = Dictionary(grouping: operations) { $0.input.agent }
        for (agent, ops) in byAgent.sorted(by: { $0.key < $1.key }) {
            let writes = ops.filter { (isKill($0) || isReinstate($0)) && mayHaveApplied($0) }
            var expected = "active"
            if let last = writes.filter({ !$0.isUncertain }).max(by: { ($0.completedAt ?? 0) < ($1.completedAt ?? 0) }) {
                let determinate = writes.allSatisfy { $0.id == last.id || (!$0.isUncertain && ($0.completedAt ?? .max) < last.invokedAt) }
                guard determinate else { continue }
                expected = isKill(last) ? "killed" : "active"
            } else if !writes.isEmpty {
                continue
            }
            for (node, status) in (statuses[agent] ?? []).enumerated() where status != expected {
                problems.append("agent \(agent): node \(node + 1) says \(status ?? "nothing"), last acknowledged write says \(expected)")
            }
        }
        return problems
    }

    /// One node's answer to `GET /v1/audit/verify`.
    struct AuditHead {
        let ok: Bool
        let records: Int64
        let head: String
        let revision: Int64
    }

    /// (4) Every node's audit chain verifies, and at one applied revision all have the same
    /// length and head hash.
    static func auditProblems(_ audit: [AuditHead?]) -> [String] {
        var problems: [String] = []
        for (node, answer) in audit.enumerated() {
            guard let answer else { problems.append("node \(node + 1): /v1/audit/verify did not answer"); continue }
            if !answer.ok { problems.append("node \(node + 1): audit chain does not verify") }
        }
        let revisions = Set(audit.compactMap { $0?.revision })
        if revisions.count > 1 { problems.append("nodes never settled on one revision: \(revisions.sorted())") }
        let heads = Set(audit.compactMap { $0.map { "revision \($0.revision): \($0.records) records, head \($0.head)" } })
        if heads.count > 1 { problems.append("audit heads differ: \(heads.sorted().joined(separator: " | "))") }
        return problems
    }

    /// Operations by kind and outcome, one line.
    static func outcomeTable(_ operations: [Operation]) -> String {
        var counts: [String: Int] = [:]
        for operation in operations {
            let kind: String
            switch operation.input {
            case .register: kind = "register"
            case .kill: kind = "kill"
            case .reinstate: kind = "reinstate"
            case .check: kind = "check"
            }
            let outcome: String
            switch operation.outcome {
            case .ok(.done): outcome = "ok"
            case .ok(.rejected): outcome = "rejected"
            case .ok(.allowed(let allowed)): outcome = allowed ? "allowed" : "denied"
            case .failed: outcome = "failed"
            case .ambiguous, .pending: outcome = "ambiguous"
            }
            counts["\(kind) \(outcome)", default: 0] += 1
        }
        let table = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "chaos-real: \(operations.count) operations: \(table)"
    }
}
