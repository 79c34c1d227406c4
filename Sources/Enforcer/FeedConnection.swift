import Glibc

// MARK: - Where a node is

/// `http://host:port` split into its parts (no TLS at this layer; terminate it in front).
public struct NodeAddress: Sendable, Hashable, CustomStringConvertible {
    /// Host name or address.
    public var host: String
    /// TCP port.
    public var port: Int

    /// Parses `http://host[:port][/]`; nil for anything else.
    public init?(url: String) {
        guard url.hasPrefix("http://") else { return nil }
        var rest = url.dropFirst("http://".count)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard !rest.isEmpty else { return nil }
        if let colon = rest.lastIndex(of: ":") {
            guard let port = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(port) else { return nil }
            self.host = String(rest[..<colon])
            self.port = port
        } else {
            self.host = String(rest)
            self.port = 80
        }
    }

    /// `http://host:port`.
    public var description: String { "http://\(host):\(port)" }
}

// MARK: - A streamed feed response over one socket

/// Why a feed connection failed or ended.
enum FeedConnectionError: Error, Equatable {
    /// The TCP connection could not be made.
    case connectFailed(errno: Int32)
    /// The node closed the connection.
    case closed
    /// Nothing arrived within the receive timeout.
    case timedOut
    /// The node answered something other than a well-formed event stream.
    case refused(String)
}

/// One `GET /v1/feed` SSE response read as it streams: a blocking socket with a receive
/// timeout (heartbeats arrive every ≤ 100 ms, so a silent second means the node is gone or
/// has no leader), the response head, then chunked or close-delimited body bytes into the SSE
/// parser. Owned by one thread at a time (handed over once, never shared), hence unchecked `Sendable`.
final class FeedConnection: @unchecked Sendable {
    /// Largest response head accepted.
    static let maximumHeadBytes = 16 * 1_024
    /// Bytes read per `recv`.
    static let readBufferBytes = 64 * 1_024

    private let descriptor: Int32
    private var chunked: ChunkedBodyDecoder?
    private var parser = ServerSentEventParser()
    private var buffer = [UInt8](repeating: 0, count: readBufferBytes)

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Connects, sends the request and reads the head; throws unless it is a 200 event stream.
    static func open(
        _ node: NodeAddress, target: String, headers: [(String, String)], timeoutMilliseconds: Int
    ) throws(FeedConnectionError) -> FeedConnection {
        let connection = FeedConnection(descriptor: try connectSocket(node, timeoutMilliseconds: timeoutMilliseconds))
        var request = "GET \(target) HTTP/1.1\r\nHost: \(node.host):\(node.port)\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try connection.sendAll(Array(request.utf8))
        try connection.readHead()
        return connection
    }

    /// Waits for the next events (up to the receive timeout); nil when the stream ended.
    func nextEvents() throws(FeedConnectionError) -> [ServerSentEvent]? {
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count == 0 { return nil }
        guard count > 0 else { throw FeedConnectionError.timedOut }
        return try events(fromBodyBytes: count)
    }

    // MARK: Internals

    private var leftover: [UInt8] = []

    private func events(fromBodyBytes count: Int) throws(FeedConnectionError) -> [ServerSentEvent] {
        do {
            let body: [UInt8]
            if var decoder = chunked {
                body = try buffer.withUnsafeBytes { raw throws(ChunkedBodyDecoder.Failure) in
                    try decoder.append(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
                }
                chunked = decoder
            } else {
                body = Array(buffer[0..<count])
            }
            return try parser.append(body)
        } catch {
            throw FeedConnectionError.refused("feed body: \(error)")
        }
    }

    private func readHead() throws(FeedConnectionError) {
        var head: [UInt8] = []
        let terminator: [UInt8] = [13, 10, 13, 10]
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw count == 0 ? FeedConnectionError.closed : FeedConnectionError.timedOut }
            head += buffer[0..<count]
            guard let end = Self.find(terminator, in: head) else {
                guard head.count <= Self.maximumHeadBytes else { throw FeedConnectionError.refused("head too large") }
                continue
            }
            try checkHead(String(decoding: head[..<end], as: UTF8.self))
            let rest = Array(head[(end + 4)...])
            if !rest.isEmpty {
                buffer.replaceSubrange(0..<rest.count, with: rest)
                leftoverEvents = try events(fromBodyBytes: rest.count)
            }
            return
        }
    }

    /// Events that arrived together with the head.
    var leftoverEvents: [ServerSentEvent] = []

    private func checkHead(_ text: String) throws(FeedConnectionError) {
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let status = lines.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        guard status == 200 else { throw FeedConnectionError.refused("feed answered \(status)") }
        for line in lines.dropFirst() {
            let lower = line.lowercased()
            if lower.hasPrefix("transfer-encoding:"), lower.contains("chunked") { chunked = ChunkedBodyDecoder() }
        }
    }

    private func sendAll(_ bytes: [UInt8]) throws(FeedConnectionError) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw FeedConnectionError.closed }
            sent += count
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    private static func connectSocket(_ node: NodeAddress, timeoutMilliseconds: Int) throws(FeedConnectionError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(node.host, String(node.port), &hints, &list) == 0, let first = list else {
            throw FeedConnectionError.connectFailed(errno: 0)
        }
        defer { freeaddrinfo(list) }
        let descriptor = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw FeedConnectionError.connectFailed(errno: errno) }
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1_000, tv_usec: (timeoutMilliseconds % 1_000) * 1_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        guard connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let code = errno
            close(descriptor)
            throw FeedConnectionError.connectFailed(errno: code)
        }
        return descriptor
    }
}
