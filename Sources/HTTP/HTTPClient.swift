import CLinuxIO
import Glibc
import Synchronization

// MARK: - Configuration, requests and errors

/// Timeouts and bounds for an `HTTPClient`.
public struct HTTPClientConfiguration: Sendable {
    /// The longest a TCP connect may take.
    public var connectTimeout: Duration
    /// The longest from sending a request to having its whole response.
    public var responseTimeout: Duration
    /// Idle keep-alive connections kept per host:port; more are closed when returned.
    public var maximumIdleConnectionsPerHost: Int
    /// The largest response body accepted.
    public var maximumResponseBodyBytes: Int

    /// Defaults for peer traffic on a LAN: 2 s to connect, 10 s per response, 8 idle
    /// connections per peer, 64 MiB bodies (room for snapshot transfers).
    public init(
        connectTimeout: Duration = .seconds(2),
        responseTimeout: Duration = .seconds(10),
        maximumIdleConnectionsPerHost: Int = 8,
        maximumResponseBodyBytes: Int = 64 * 1024 * 1024
    ) {
        precondition(maximumIdleConnectionsPerHost >= 0 && maximumResponseBodyBytes >= 0)
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.maximumIdleConnectionsPerHost = maximumIdleConnectionsPerHost
        self.maximumResponseBodyBytes = maximumResponseBodyBytes
    }
}

/// A request as the client sends it; `Host` and `Content-Length` are added by the client.
public struct HTTPClientRequest: Sendable {
    /// The method token.
    public var method: String
    /// The origin-form target: path plus optional query.
    public var target: String
    /// Extra header fields.
    public var headers: HTTPHeaders
    /// The body.
    public var body: [UInt8]

    /// A request from its parts.
    public init(method: String = "GET", target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

/// Why a client request failed.
public enum HTTPClientError: Error, Sendable, Equatable {
    /// The host name did not resolve.
    case unresolvable(host: String)
    /// Every address refused or failed the connection.
    case connectFailed(errno: Int32)
    /// The connection did not complete within `connectTimeout`.
    case connectTimedOut
    /// The whole response did not arrive within `responseTimeout`.
    case responseTimedOut
    /// The connection failed or closed before the response was complete.
    case connectionLost
    /// The server's response broke the protocol or a bound.
    case invalidResponse(HTTPParseError)
}

// MARK: - Client

/// A blocking HTTP/1.1 client with a keep-alive pool per host:port, for peer traffic and
/// forwarding. `send` blocks the calling thread (never call it on an event loop thread); every
/// wait is bounded by the configured timeouts. One request per connection at a time (no pipelining).
public final class HTTPClient: Sendable {
    /// Read size per receive call.
    private static let receiveBufferBytes = 64 * 1024

    /// The configuration every request uses.
    public let configuration: HTTPClientConfiguration
    private let idle = Mutex<[String: [Int32]]>([:])

    /// A client with an empty pool.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        _ = System.ignoreBrokenPipe
        self.configuration = configuration
    }

    deinit { closeIdleConnections() }

    /// Sends a request and returns its response. A pooled connection that turns out to be closed
    /// is retried once on a fresh one, but only for idempotent methods: a POST that may have
    /// reached the server is reported as `connectionLost`, never sent twice.
    public func send(_ request: HTTPClientRequest, host: String, port: Int) throws(HTTPClientError) -> HTTPClientResponse {
        let key = "\(host):\(port)"
        let bytes = Self.serialize(request, host: host, port: port)
        if let pooled = takeIdle(key) {
            do {
                return try exchange(bytes, method: request.method, on: pooled, key: key)
            } catch .connectionLost where Self.isIdempotent(request.method) {
                // The server closed the idle connection under us: fall through to a fresh one.
            }
        }
        let descriptor = try connect(host: host, port: port)
        return try exchange(bytes, method: request.method, on: descriptor, key: key)
    }

    /// Closes every pooled connection.
    public func closeIdleConnections() {
        let all = idle.withLock { pool in
            defer { pool.removeAll() }
            return pool.values.flatMap { $0 }
        }
        for descriptor in all { System.close(descriptor: descriptor) }
    }

    /// Idle connections pooled for a host:port (for tests and metrics).
    public func idleConnectionCount(host: String, port: Int) -> Int {
        idle.withLock { $0["\(host):\(port)"]?.count ?? 0 }
    }

    private static func isIdempotent(_ method: String) -> Bool {
        ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"].contains(method)
    }

    // MARK: - Pool

    /// A pooled connection that has not been closed by the server meanwhile, if any.
    private func takeIdle(_ key: String) -> Int32? {
        while let descriptor = idle.withLock({ $0[key]?.popLast() }) {
            // An idle HTTP connection has nothing to read: readable means closed (or broken).
            let events = (try? System.poll(descriptor, events: Int16(POLLIN), timeoutMilliseconds: 0)) ?? Int16(POLLERR)
            if events == 0 { return descriptor }
            System.close(descriptor: descriptor)
        }
        return nil
    }

    private func giveBack(_ descriptor: Int32, key: String) {
        let kept = idle.withLock { pool -> Bool in
            guard pool[key, default: []].count < configuration.maximumIdleConnectionsPerHost else { return false }
            pool[key, default: []].append(descriptor)
            return true
        }
        if !kept { System.close(descriptor: descriptor) }
    }
}

// MARK: - Wire

extension HTTPClient {
    private static func isLineBreak(_ byte: UInt8) -> Bool { byte == ASCII.carriageReturn || byte == ASCII.lineFeed }

    static func serialize(_ request: HTTPClientRequest, host: String, port: Int) -> [UInt8] {
        var headers = request.headers
        headers.remove(name: "Host")
        headers.remove(name: "Content-Length")
        headers.remove(name: "Transfer-Encoding")
        var text = "\(request.method) \(request.target) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for field in headers {
            precondition(!field.value.utf8.contains(where: Self.isLineBreak) && !field.name.utf8.contains(where: Self.isLineBreak),
                         "header field with CR or LF")
            text += "\(field.name): \(field.value)\r\n"
        }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            text += "Content-Length: \(request.body.count)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8) + request.body
    }

    /// Writes a request and reads its response on one connection, which is pooled again or closed.
    private func exchange(_ bytes: [UInt8], method: String, on descriptor: Int32, key: String) throws(HTTPClientError) -> HTTPClientResponse {
        let deadline = System.monotonicNanoseconds() + HTTPServerConfiguration.nanoseconds(configuration.responseTimeout)
        do {
            try write(bytes, to: descriptor, deadline: deadline)
            let response = try read(from: descriptor, method: method, deadline: deadline)
            if response.keepAlive { giveBack(descriptor, key: key) } else { System.close(descriptor: descriptor) }
            return response
        } catch {
            System.close(descriptor: descriptor)
            throw error
        }
    }

    private func write(_ bytes: [UInt8], to descriptor: Int32, deadline: UInt64) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let result: IOResult
            do {
                result = try bytes.withUnsafeBytes { buffer throws(SystemError) in
                    try System.send(descriptor, UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                }
            } catch {
                throw .connectionLost
            }
            switch result {
            case .processed(let count): offset += count
            case .wouldBlock: try wait(descriptor, for: Int16(POLLOUT), until: deadline, timeout: .responseTimedOut)
            }
        }
    }

    private func read(from descriptor: Int32, method: String, deadline: UInt64) throws(HTTPClientError) -> HTTPClientResponse {
        var parser = HTTPResponseParser(requestMethod: method, maximumBodyBytes: configuration.maximumResponseBodyBytes)
        var buffer = [UInt8](repeating: 0, count: Self.receiveBufferBytes)
        while true {
            do {
                if let response = try parser.next() { return response }
            } catch {
                throw .invalidResponse(error)
            }
            let result: IOResult
            do {
                result = try buffer.withUnsafeMutableBytes { bytes throws(SystemError) in try System.read(descriptor, into: bytes) }
            } catch {
                throw .connectionLost
            }
            switch result {
            case .processed(0):
                do { return try parser.finish() } catch { throw .connectionLost }
            case .processed(let count):
                buffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            case .wouldBlock:
                try wait(descriptor, for: Int16(POLLIN), until: deadline, timeout: .responseTimedOut)
            }
        }
    }

    /// Waits until the descriptor is ready for `events` or the deadline passes.
    private func wait(_ descriptor: Int32, for events: Int16, until deadline: UInt64, timeout: HTTPClientError) throws(HTTPClientError) {
        let now = System.monotonicNanoseconds()
        guard now < deadline else { throw timeout }
        let milliseconds = Int32(min((deadline - now) / 1_000_000 + 1, UInt64(Int32.max)))
        let ready: Int16
        do { ready = try System.poll(descriptor, events: events, timeoutMilliseconds: milliseconds) } catch { throw .connectionLost }
        if ready == 0 { throw timeout }
    }
}

// MARK: - Connecting

extension HTTPClient {
    /// Resolves the host and connects to the first address that answers, within the connect timeout.
    func connect(host: String, port: Int) throws(HTTPClientError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw .unresolvable(host: host)
        }
        defer { freeaddrinfo(list) }
        let deadline = System.monotonicNanoseconds() + HTTPServerConfiguration.nanoseconds(configuration.connectTimeout)
        var lastError = HTTPClientError.connectFailed(errno: ECONNREFUSED)
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            do {
                return try connect(address.pointee, deadline: deadline)
            } catch {
                lastError = error
                if error == .connectTimedOut { break }
            }
            entry = address.pointee.ai_next
        }
        throw lastError
    }

    private func connect(_ address: addrinfo, deadline: UInt64) throws(HTTPClientError) -> Int32 {
        let descriptor: Int32
        do { descriptor = try System.socket(family: address.ai_family) } catch { throw .connectFailed(errno: error.code) }
        do throws(HTTPClientError) {
            let completed: Bool
            do { completed = try System.connect(descriptor, address.ai_addr, address.ai_addrlen) } catch { throw HTTPClientError.connectFailed(errno: error.code) }
            if !completed {
                try wait(descriptor, for: Int16(POLLOUT), until: deadline, timeout: .connectTimedOut)
                let code = System.pendingSocketError(descriptor)
                if code != 0 { throw HTTPClientError.connectFailed(errno: code) }
            }
            try? System.setOption(descriptor, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
            return descriptor
        } catch {
            System.close(descriptor: descriptor)
            throw error
        }
    }
}
