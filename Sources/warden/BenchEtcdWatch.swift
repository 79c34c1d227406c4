import Enforcer
import Foundation
import Glibc
import HTTP
import JSON

// MARK: - etcd watch latency (the baseline for the feed workload)

/// `watch` against etcd's JSON gateway, shaped like Warden's `feed`: `subscribers` streaming
/// `POST /v3/watch` on one key (spread over the nodes, one blocking reader thread each), then one
/// put at a time, each awaited at every watcher before the next: put → each watcher decoding the
/// event. Events are matched by revision (`mod_revision` of the event, `header.revision` of the
/// put). Rows `etcd-watch` (every watcher × put) and `etcd-watch-all` (put → the last watcher).
enum BenchEtcdWatch {
    /// Longest wait for one put to reach every watcher.
    static let perPutTimeoutNanoseconds: UInt64 = 5_000_000_000
    /// Longest wait for every watch to be created.
    static let createTimeoutNanoseconds: UInt64 = 30_000_000_000
    /// Receive timeout of a watch stream (it may be idle between puts; the reader just loops).
    static let receiveTimeoutMilliseconds = 1_000
    /// Puts at most per run.
    static let maximumPuts = 100_000

    /// Runs the workload; the two rows and the summary.
    static func run(endpoints: [BenchEndpoint], subscribers: Int, seconds: Double, prefix: String) throws -> ([BenchRunResult], BenchSummary) {
        let key = BenchBase64.encode(Array("\(prefix)/watch".utf8))
        let arrivals = FeedLatencyBenchmark.Arrivals()
        var readers: [Thread] = []
        let finished = DispatchSemaphore(value: 0)
        defer {
            arrivals.stop()
            for _ in readers where finished.wait(timeout: .now() + 15) == .timedOut { break }
        }
        let watchBody = Array(#"{"create_request":{"key":"\#(key)"}}"#.utf8)
        for index in 0..<subscribers {
            let endpoint = endpoints[index % endpoints.count]
            let connection = try BenchStreamConnection.open(endpoint, method: "POST", target: "/v3/watch", body: watchBody,
                                                            timeoutMilliseconds: receiveTimeoutMilliseconds)
            let thread = Thread {
                readWatch(connection, into: arrivals)
                finished.signal()
            }
            thread.stackSize = 256 * 1024
            thread.start()
            readers.append(thread)
        }
        let createDeadline = benchNowNanoseconds() + createTimeoutNanoseconds
        while arrivals.readyCount < subscribers {
            guard benchNowNanoseconds() < createDeadline else { throw BenchError("only \(arrivals.readyCount) of \(subscribers) watches created") }
            usleep(1_000)
        }
        let client = HTTPClient()
        let headers = HTTPHeaders([("Content-Type", "application/json")])
        let began = benchNowNanoseconds()
        let end = began + UInt64(seconds * 1e9)
        var each = BenchHistogram(), all = BenchHistogram()
        var puts = 0, missing = 0, incomplete = 0
        var lastProgress = began
        while puts < maximumPuts && benchNowNanoseconds() < end {
            let value = BenchBase64.encode(Array("put-\(puts)".utf8))
            let request = HTTPClientRequest(method: "POST", target: "/v3/kv/put", headers: headers,
                                            body: Array(#"{"key":"\#(key)","value":"\#(value)"}"#.utf8))
            let start = benchNowNanoseconds()
            let response = try client.send(request, host: endpoints[0].host, port: endpoints[0].port)
            guard response.status == 200, let revision = (try? JSONParser.parse(response.body))?["header"]?["revision"]?.stringValue else {
                throw BenchError("etcd put answered \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))")
            }
            while benchNowNanoseconds() - start < perPutTimeoutNanoseconds, arrivals.count(of: revision) < subscribers { usleep(200) }
            let times = arrivals.take(revision)
            puts += 1
            for time in times { each.record(nanoseconds: time > start ? time - start : 0) }
            missing += max(0, subscribers - times.count)
            if times.count >= subscribers, let last = times.max() { all.record(nanoseconds: last > start ? last - start : 0) } else { incomplete += 1 }
            let now = benchNowNanoseconds()
            if now - lastProgress >= 1_000_000_000 {
                lastProgress = now
                FileHandleOutput.standardError("  etcd-watch s=\(subscribers)  puts=\(puts) last put → all \(times.count)/\(subscribers) in "
                    + "\(BenchFormat.milliseconds((times.max() ?? start) - start)) ms")
            }
        }
        let measured = Double(benchNowNanoseconds() - began) / 1e9
        let rows = [
            BenchRunResult(workload: "etcd-watch", clients: subscribers, seconds: measured, successes: Int(each.count), errors: missing,
                           histogram: each, perSecond: [], errorSamples: []),
            BenchRunResult(workload: "etcd-watch-all", clients: subscribers, seconds: measured, successes: Int(all.count), errors: incomplete,
                           histogram: all, perSecond: [], errorSamples: []),
        ]
        let line = "etcd watch: \(puts) puts, \(subscribers) watchers over \(endpoints.count) nodes: put → one watcher p50 "
            + "\(BenchFormat.milliseconds(each.value(atQuantile: 0.5))) ms p99 \(BenchFormat.milliseconds(each.value(atQuantile: 0.99))) ms; "
            + "put → all p50 \(BenchFormat.milliseconds(all.value(atQuantile: 0.5))) ms p99 \(BenchFormat.milliseconds(all.value(atQuantile: 0.99))) ms; "
            + "\(missing) arrivals missing"
        return (rows, BenchSummary(name: "watch", lines: [line], json: .object([
            "puts": .integer(Int64(puts)), "watchers": .integer(Int64(subscribers)), "missing_arrivals": .integer(Int64(missing)),
            "incomplete_puts": .integer(Int64(incomplete)),
        ])))
    }

    /// One watch stream's reader: newline-delimited JSON messages; the first (`created`) marks it ready,
    /// then each event's `kv.mod_revision` is timestamped after the message is decoded.
    private static func readWatch(_ connection: BenchStreamConnection, into arrivals: FeedLatencyBenchmark.Arrivals) {
        var pending: [UInt8] = []
        var isReady = false
        while !arrivals.isStopped {
            guard let bytes = connection.next() else { return }
            pending += bytes
            while let newline = pending.firstIndex(of: 10) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                guard let message = try? JSONParser.parse(line), let result = message["result"] else { continue }
                if !isReady && result["created"]?.boolValue == true { isReady = true; arrivals.markReady() }
                guard case .array(let events)? = result["events"] else { continue }
                let now = benchNowNanoseconds()
                for event in events {
                    if let revision = event["kv"]?["mod_revision"]?.stringValue { arrivals.record(revision, at: now) }
                }
            }
        }
    }
}

// MARK: - A streamed HTTP response

/// One request whose response is read as it streams (chunked or close-delimited), on a blocking
/// socket with a receive timeout. Owned by one reader thread.
final class BenchStreamConnection: @unchecked Sendable {
    /// Largest response head accepted.
    static let maximumHeadBytes = 16 * 1024

    private let descriptor: Int32
    private var chunked: ChunkedBodyDecoder? = nil
    private var leftover: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    private init(descriptor: Int32) { self.descriptor = descriptor }
    deinit { close(descriptor) }

    /// Connects, sends the request and reads the head; throws unless the status is 200.
    static func open(_ endpoint: BenchEndpoint, method: String, target: String, body: [UInt8], timeoutMilliseconds: Int) throws -> BenchStreamConnection {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw BenchError("socket: errno \(errno)") }
        let connection = BenchStreamConnection(descriptor: descriptor)
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(endpoint.port).bigEndian)
        address.sin_addr.s_addr = inet_addr(endpoint.host == "localhost" ? "127.0.0.1" : endpoint.host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw BenchError("connect \(endpoint): errno \(errno)") }
        let head = "\(method) \(target) HTTP/1.1\r\nHost: \(endpoint.host):\(endpoint.port)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.count)\r\n\r\n"
        let request = Array(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let count = request.withUnsafeBytes { send(descriptor, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw BenchError("send to \(endpoint): errno \(errno)") }
            sent += count
        }
        try connection.readHead(endpoint)
        return connection
    }

    /// The next body bytes (possibly none after a timeout); nil once the stream ended or broke.
    func next() -> [UInt8]? {
        if !leftover.isEmpty {
            defer { leftover = [] }
            return decode(leftover)
        }
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return [] }
        guard count > 0 else { return nil }
        return decode(Array(buffer[0..<count]))
    }

    private func decode(_ bytes: [UInt8]) -> [UInt8]? {
        guard var decoder = chunked else { return bytes }
        defer { chunked = decoder }
        return bytes.withUnsafeBytes { try? decoder.append($0) }
    }

    private func readHead(_ endpoint: BenchEndpoint) throws {
        var head: [UInt8] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw BenchError("\(endpoint) closed or timed out before answering") }
            head += buffer[0..<count]
            if let end = (0..<max(0, head.count - 3)).first(where: { head[$0] == 13 && head[$0 + 1] == 10 && head[$0 + 2] == 13 && head[$0 + 3] == 10 }) {
                let text = String(decoding: head[..<end], as: UTF8.self)
                let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                guard status == 200 else { throw BenchError("\(endpoint) answered \(status)") }
                if text.lowercased().contains("transfer-encoding: chunked") { chunked = ChunkedBodyDecoder() }
                leftover = Array(head[(end + 4)...])
                return
            }
            guard head.count <= Self.maximumHeadBytes else { throw BenchError("\(endpoint): response head too large") }
        }
    }
}
