import Foundation
import Glibc
import HTTP
import Synchronization

// MARK: - Targets and requests

/// A loopback host:port a load client talks to.
struct BenchEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Host name or address.
    var host: String
    /// TCP port.
    var port: Int

    /// `http://host:port` parsed, or nil when not of that form.
    init?(url: String) {
        var rest = Substring(url)
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        let parts = rest.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
        host = String(parts[0])
        self.port = port
    }

    /// An endpoint from its parts.
    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    var description: String { "http://\(host):\(port)" }
}

/// Builds the request that client `client` sends as its `sequence`-th request, and says which
/// HTTP statuses count as success.
struct BenchRequestSource: Sendable {
    /// The request for (client index, per-client sequence number).
    var make: @Sendable (_ client: Int, _ sequence: Int) -> HTTPClientRequest
    /// Statuses that count as a successful operation.
    var successStatuses: Set<Int> = [200, 201]
    /// Bytes a successful answer's body must contain (nil: any body), e.g. `"allowed":true`.
    var requiredBody: [UInt8]? = nil

    /// Whether an answer counts as a success.
    func succeeded(status: Int, body: [UInt8]) -> Bool {
        guard successStatuses.contains(status) else { return false }
        guard let requiredBody, !requiredBody.isEmpty else { return true }
        return Self.contains(body, requiredBody)
    }

    /// Whether `needle` occurs in `haystack`.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}

/// Monotonic clock in nanoseconds.
func benchNowNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

// MARK: - Results

/// What one closed-loop run measured.
struct BenchRunResult: Sendable {
    /// Workload name (`kill`, `etcd-put`, …).
    var workload: String
    /// Concurrent clients.
    var clients: Int
    /// Measured seconds (after warm-up).
    var seconds: Double
    /// Successful operations in the measured window.
    var successes: Int
    /// Failed operations (transport errors or unexpected statuses) in the measured window.
    var errors: Int
    /// Latency of successful operations.
    var histogram: BenchHistogram
    /// Successful operations completed in each whole second of the run, warm-up included.
    var perSecond: [Int]
    /// Up to a few distinct error descriptions, for the report.
    var errorSamples: [String]

    /// Successful operations per second.
    var throughput: Double { seconds > 0 ? Double(successes) / seconds : 0 }
}

/// One completed request, kept when a run records its timeline (failover).
struct BenchEvent: Sendable {
    /// Monotonic start time.
    var start: UInt64
    /// Monotonic completion time.
    var end: UInt64
    /// Whether it succeeded.
    var succeeded: Bool
}

// MARK: - Runner

/// A closed-loop load generator: `clients` threads, each with its own keep-alive connection
/// (one `HTTPClient` per thread), sending the next request as soon as the previous one answers,
/// for a bounded time. Prints a progress line once a second.
struct BenchLoadRunner: Sendable {
    /// Seconds at the start of every run that are not measured (connections open, caches warm).
    static let warmupSeconds = 1.0
    /// Longest a single request may take before it counts as an error.
    static let requestTimeoutMilliseconds = 2_000
    /// The same bound as a `Duration`.
    static let requestTimeout = Duration.milliseconds(requestTimeoutMilliseconds)
    /// Distinct error descriptions kept per run.
    static let maximumErrorSamples = 5
    /// Pause after any failure before the next try: a dead node refuses and a leaderless one answers
    /// 503 in microseconds, and spinning on them would starve the election on a small machine.
    static let errorBackoffMicroseconds: UInt32 = 10_000

    /// Nodes the clients spread over (client i starts on endpoint i mod count).
    var endpoints: [BenchEndpoint]
    /// Which HTTP client each thread uses.
    var clientKind = BenchClientKind.pooled
    /// Whether to print the once-a-second progress line.
    var showsProgress = true

    /// Runs one workload at one concurrency for `seconds` (plus warm-up).
    /// `recordEvents` keeps every request's timing (for failover analysis).
    func run(workload: String, clients: Int, seconds: Double, source: BenchRequestSource,
             recordEvents: Bool = false) -> (BenchRunResult, [BenchEvent]) {
        precondition(clients > 0 && seconds > 0 && !endpoints.isEmpty)
        let shared = BenchRunShared()
        let start = benchNowNanoseconds()
        let measureFrom = start + UInt64(Self.warmupSeconds * 1e9)
        let deadline = measureFrom + UInt64(seconds * 1e9)
        let done = DispatchSemaphore(value: 0)
        for client in 0..<clients {
            let worker = BenchClientWorker(
                client: client, endpoints: endpoints, clientKind: clientKind, source: source, measureFrom: measureFrom, deadline: deadline,
                recordEvents: recordEvents, shared: shared)
            let thread = Thread { worker.run(); done.signal() }
            thread.stackSize = 1 << 20
            thread.start()
        }
        let perSecond = monitor(workload: workload, clients: clients, start: start, deadline: deadline, shared: shared)
        for _ in 0..<clients { done.wait() }
        let measured = shared.merged()
        let result = BenchRunResult(
            workload: workload, clients: clients, seconds: seconds, successes: Int(measured.histogram.count),
            errors: measured.errors, histogram: measured.histogram, perSecond: perSecond, errorSamples: measured.errorSamples)
        return (result, measured.events.sorted { $0.start < $1.start })
    }

    /// Prints progress each second until the deadline; returns successes per second.
    private func monitor(workload: String, clients: Int, start: UInt64, deadline: UInt64, shared: BenchRunShared) -> [Int] {
        var perSecond: [Int] = []
        var previous = 0
        var tick = start
        while tick < deadline {
            tick = min(tick + 1_000_000_000, deadline)
            let now = benchNowNanoseconds()
            if tick > now { usleep(UInt32((tick - now) / 1000)) }
            let total = shared.completed.load(ordering: .relaxed)
            perSecond.append(total - previous)
            previous = total
            if showsProgress {
                let elapsed = Double(tick - start) / 1e9
                let errors = shared.failed.load(ordering: .relaxed)
                let line = "  \(workload) c=\(clients)  t=\(BenchFormat.fixed(elapsed, 1))s  ok=\(total)  "
                    + "\(perSecond.last ?? 0)/s  errors=\(errors)"
                FileHandleOutput.standardError(line)
            }
        }
        return perSecond
    }
}

/// State the client threads of one run share: live counters for the progress line and the
/// per-thread results handed back at the end.
final class BenchRunShared: Sendable {
    /// Successful requests so far (warm-up included), for progress.
    let completed = Atomic<Int>(0)
    /// Failed requests so far, for progress.
    let failed = Atomic<Int>(0)
    private let results = Mutex<[BenchClientResult]>([])

    /// Hands one thread's result over.
    func deliver(_ result: BenchClientResult) { results.withLock { $0.append(result) } }

    /// Every delivered result merged into one.
    func merged() -> BenchClientResult {
        results.withLock { all in
            var total = BenchClientResult()
            for result in all {
                total.histogram.merge(result.histogram)
                total.errors += result.errors
                total.events += result.events
                for sample in result.errorSamples where !total.errorSamples.contains(sample)
                    && total.errorSamples.count < BenchLoadRunner.maximumErrorSamples {
                    total.errorSamples.append(sample)
                }
            }
            return total
        }
    }
}

/// What one client thread measured.
struct BenchClientResult: Sendable {
    var histogram = BenchHistogram()
    var errors = 0
    var errorSamples: [String] = []
    var events: [BenchEvent] = []
}

/// One client thread: a private `HTTPClient` (so one keep-alive connection), closed loop until the deadline.
struct BenchClientWorker: Sendable {
    let client: Int
    let endpoints: [BenchEndpoint]
    let clientKind: BenchClientKind
    let source: BenchRequestSource
    let measureFrom: UInt64
    let deadline: UInt64
    let recordEvents: Bool
    let shared: BenchRunShared

    func run() {
        let connection = BenchConnection(kind: clientKind)
        var result = BenchClientResult()
        var endpointIndex = client % endpoints.count
        var sequence = 0
        while true {
            let start = benchNowNanoseconds()
            if start >= deadline { break }
            let endpoint = endpoints[endpointIndex]
            let request = source.make(client, sequence)
            var failure: String? = nil
            do {
                let (status, body) = try connection.send(request, to: endpoint)
                if !source.succeeded(status: status, body: body) {
                    failure = "HTTP \(status): \(String(decoding: body.prefix(160), as: UTF8.self))"
                }
                // A 5xx (no leader, leadership lost) is retried as the same operation, so a
                // kill/reinstate pool stays in step; any other answer moves on.
                if status < 500 { sequence += 1 }
            } catch {
                failure = "\(endpoint): \(error)"
                endpointIndex = (endpointIndex + 1) % endpoints.count
            }
            let end = benchNowNanoseconds()
            record(&result, start: start, end: end, failure: failure)
            if failure != nil { usleep(BenchLoadRunner.errorBackoffMicroseconds) }
        }
        connection.close()
        shared.deliver(result)
    }

    private func record(_ result: inout BenchClientResult, start: UInt64, end: UInt64, failure: String?) {
        if recordEvents { result.events.append(BenchEvent(start: start, end: end, succeeded: failure == nil)) }
        if let failure {
            shared.failed.add(1, ordering: .relaxed)
            guard start >= measureFrom && end <= deadline else { return }
            result.errors += 1
            if result.errorSamples.count < BenchLoadRunner.maximumErrorSamples && !result.errorSamples.contains(failure) {
                result.errorSamples.append(failure)
            }
        } else {
            shared.completed.add(1, ordering: .relaxed)
            guard start >= measureFrom && end <= deadline else { return }
            result.histogram.record(nanoseconds: end - start)
        }
    }
}

// MARK: - Client choice

/// The HTTP client a load thread uses.
enum BenchClientKind: String, Sendable {
    /// The project's `HTTPClient` (keep-alive pool of one per thread).
    case pooled
    /// `BenchRawClient`: blocking socket, one send and one recv per request.
    case raw
}

/// One thread's connection, through either client; follows the endpoint it is asked for.
final class BenchConnection {
    private let kind: BenchClientKind
    private let pooled: HTTPClient
    private var raw: (endpoint: BenchEndpoint, client: BenchRawClient)? = nil

    init(kind: BenchClientKind) {
        self.kind = kind
        pooled = HTTPClient(configuration: HTTPClientConfiguration(
            connectTimeout: .milliseconds(500), responseTimeout: BenchLoadRunner.requestTimeout, maximumIdleConnectionsPerHost: 1))
    }

    /// Sends one request to an endpoint; returns (status, body).
    func send(_ request: HTTPClientRequest, to endpoint: BenchEndpoint) throws -> (Int, [UInt8]) {
        switch kind {
        case .pooled:
            let response = try pooled.send(request, host: endpoint.host, port: endpoint.port)
            return (response.status, response.body)
        case .raw:
            if raw?.endpoint != endpoint {
                raw?.client.disconnect()
                raw = (endpoint, BenchRawClient(endpoint: endpoint, timeoutMilliseconds: BenchLoadRunner.requestTimeoutMilliseconds))
            }
            let answer = try raw!.client.send(request)
            return (answer.status, answer.body)
        }
    }

    /// Closes whichever connection is open.
    func close() {
        pooled.closeIdleConnections()
        raw?.client.disconnect()
    }
}
