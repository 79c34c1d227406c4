import Foundation
import Glibc
import HTTP

// MARK: - A lean blocking HTTP/1.1 client, to measure what HTTPClient costs

/// One blocking keep-alive connection with kernel-side timeouts: a request is one `send` and
/// usually one `recv` (HTTPClient adds a liveness poll and a non-blocking read + poll per request).
/// Understands only `Content-Length` framing, which Warden and etcd's gateway use for these answers.
final class BenchRawClient {
    /// Largest response accepted (these workloads answer in well under a kilobyte).
    static let maximumResponseBytes = 1 << 20
    /// Receive buffer per read call.
    static let receiveBytes = 16 * 1024

    private let endpoint: BenchEndpoint
    private let timeoutMilliseconds: Int
    private var descriptor: Int32 = -1
    private var buffer = [UInt8](repeating: 0, count: receiveBytes)

    /// A client for one endpoint; connects lazily.
    init(endpoint: BenchEndpoint, timeoutMilliseconds: Int) {
        self.endpoint = endpoint
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    deinit { disconnect() }

    /// Sends a request and returns (status, body); throws (and drops the connection) on any failure.
    func send(_ request: HTTPClientRequest) throws -> (status: Int, body: [UInt8]) {
        if descriptor < 0 { try connect() }
        var head = "\(request.method) \(request.target) HTTP/1.1\r\nHost: \(endpoint.host):\(endpoint.port)\r\n"
        for field in request.headers { head += "\(field.name): \(field.value)\r\n" }
        head += "Content-Length: \(request.body.count)\r\n\r\n"
        let bytes = Array(head.utf8) + request.body
        do {
            try writeAll(bytes)
            return try readResponse()
        } catch {
            disconnect()
            throw error
        }
    }

    /// Closes the connection.
    func disconnect() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    private func connect() throws {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw BenchError("socket: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(socketDescriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socketDescriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(socketDescriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(endpoint.port).bigEndian)
        address.sin_addr.s_addr = inet_addr(endpoint.host == "localhost" ? "127.0.0.1" : endpoint.host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(socketDescriptor)
            throw BenchError("connect \(endpoint): errno \(code)")
        }
        descriptor = socketDescriptor
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw BenchError("send: errno \(errno)") }
            offset += written
        }
    }

    /// Reads one response: head up to CRLFCRLF, then exactly Content-Length body bytes.
    private func readResponse() throws -> (status: Int, body: [UInt8]) {
        var received: [UInt8] = []
        var headEnd: Int? = nil
        var bodyLength = 0
        while true {
            if headEnd == nil, let end = Self.headEnd(received) {
                headEnd = end
                bodyLength = try Self.contentLength(received[..<end])
            }
            if let end = headEnd, received.count >= end + bodyLength {
                let status = Int(String(decoding: received[9..<min(12, received.count)], as: UTF8.self)) ?? 0
                return (status, Array(received[end..<(end + bodyLength)]))
            }
            guard received.count < Self.maximumResponseBytes else { throw BenchError("response too large") }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw BenchError(count == 0 ? "connection closed" : "recv: errno \(errno) (timeout?)") }
            received.append(contentsOf: buffer[0..<count])
        }
    }

    /// Index just past the blank line ending the head, if received.
    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }

    /// The Content-Length of a response head (0 when absent); chunked framing is refused.
    private static func contentLength(_ head: ArraySlice<UInt8>) throws -> Int {
        for line in String(decoding: head, as: UTF8.self).split(separator: "\r\n") {
            let lowered = line.lowercased()
            if lowered.hasPrefix("transfer-encoding:") { throw BenchError("chunked response: use the pooled client") }
            if lowered.hasPrefix("content-length:"), let value = Int(lowered.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) {
                return value
            }
        }
        return 0
    }
}
