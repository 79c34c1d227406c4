import Foundation
import Glibc
import HTTP
import Synchronization

// MARK: - Loading a fixed number of writes as fast as the cluster takes them

/// Sends items 0..<count, each exactly once as far as the cluster is concerned (one
/// `Idempotency-Key` per item, retried on 5xx or a lost connection), from `clients` closed-loop
/// threads spread over the nodes. Prints progress once a second, with `status()` appended (e.g.
/// each node's resident memory). For the restart and scale workloads' setup, which need a state
/// of a given size rather than a duration.
struct BenchBulkLoader: Sendable {
    /// How long one item is retried through 5xx answers and lost connections (elections, a
    /// leader stalled by a large snapshot) before the load gives up.
    static let retrySeconds = 120.0
    /// Pause after a failed try.
    static let retryMicroseconds: UInt32 = 20_000
    /// How often the progress loop looks whether every thread is done.
    static let pollMicroseconds: UInt32 = 20_000

    /// Nodes the clients spread over.
    var endpoints: [BenchEndpoint]
    /// Concurrent clients.
    var clients = 64
    /// Name in progress lines and the result.
    var name: String
    /// Appended to each progress line.
    var status: @Sendable () -> String = { "" }

    /// Sends `count` items built by `make(item)`; throws when an item still fails after every try.
    /// The result's histogram holds every successful request's latency.
    func run(count: Int, make: @escaping @Sendable (Int) -> HTTPClientRequest) throws -> BenchRunResult {
        let next = Atomic<Int>(0)
        let shared = BenchRunShared()
        let failure = Mutex<String?>(nil)
        let finished = Atomic<Int>(0)
        let start = benchNowNanoseconds()
        let threads = max(1, min(clients, count))
        for client in 0..<threads {
            let thread = Thread {
                defer { finished.add(1, ordering: .releasing) }
                let connection = BenchConnection(kind: .pooled)
                defer { connection.close() }
                var result = BenchClientResult()
                var endpointIndex = client % endpoints.count
                while failure.withLock({ $0 == nil }) {
                    let item = next.add(1, ordering: .relaxed).oldValue
                    guard item < count else { break }
                    var request = make(item)
                    request.headers.replace(name: "Idempotency-Key", value: "\(name)-\(start)-\(item)")
                    var attempt = 0
                    var giveUp = false
                    let retryUntil = benchNowNanoseconds() + UInt64(Self.retrySeconds * 1e9)
                    while true {
                        attempt += 1
                        let began = benchNowNanoseconds()
                        var problem: String? = nil
                        do {
                            let (status, body) = try connection.send(request, to: endpoints[endpointIndex])
                            if !(200..<300).contains(status) {
                                problem = "HTTP \(status): \(String(decoding: body.prefix(160), as: UTF8.self))"
                                if status < 500 { giveUp = true }
                            }
                        } catch {
                            problem = "\(endpoints[endpointIndex]): \(error)"
                            endpointIndex = (endpointIndex + 1) % endpoints.count
                        }
                        guard let problem else {
                            result.histogram.record(nanoseconds: benchNowNanoseconds() - began)
                            shared.completed.add(1, ordering: .relaxed)
                            break
                        }
                        shared.failed.add(1, ordering: .relaxed)
                        result.errors += 1
                        if result.errorSamples.count < BenchLoadRunner.maximumErrorSamples && !result.errorSamples.contains(problem) {
                            result.errorSamples.append(problem)
                        }
                        if giveUp || benchNowNanoseconds() >= retryUntil {
                            failure.withLock { $0 = $0 ?? "item \(item) failed \(attempt) time(s), last: \(problem)" }
                            break
                        }
                        usleep(Self.retryMicroseconds)
                    }
                }
                shared.deliver(result)
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        var perSecond: [Int] = []
        var previous = 0
        var tick = start
        while finished.load(ordering: .acquiring) < threads {
            tick += 1_000_000_000
            while finished.load(ordering: .acquiring) < threads && benchNowNanoseconds() < tick { usleep(Self.pollMicroseconds) }
            let total = shared.completed.load(ordering: .relaxed)
            perSecond.append(total - previous)
            previous = total
            let elapsed = Double(benchNowNanoseconds() - start) / 1e9
            FileHandleOutput.standardError("  \(name)  t=\(BenchFormat.fixed(elapsed, 0))s  done=\(total)/\(count)  "
                + "\(perSecond.last ?? 0)/s  retries=\(shared.failed.load(ordering: .relaxed))\(status())")
        }
        let seconds = Double(benchNowNanoseconds() - start) / 1e9
        if let failure = failure.withLock({ $0 }) { throw BenchError("\(name): \(failure)") }
        let merged = shared.merged()
        return BenchRunResult(
            workload: name, clients: threads, seconds: seconds, successes: Int(merged.histogram.count), errors: merged.errors,
            histogram: merged.histogram, perSecond: perSecond, errorSamples: merged.errorSamples)
    }
}
