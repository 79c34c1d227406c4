import Foundation
import Glibc
import Testing
@testable import HTTP

// MARK: - A blocking raw TCP client with bounded waits

/// Errors the raw test client reports instead of waiting forever.
struct RawClientError: Error, CustomStringConvertible {
    let description: String
}

/// A plain socket to 127.0.0.1 that sends exact bytes and reads responses, every wait bounded.
final class RawClient {
    /// The longest any single wait in a test may take; generous because the machines are shared.
    static let waitMilliseconds: Int32 = 10_000

    let descriptor: Int32
    private var parser: HTTPResponseParser
    private var closed = false

    init(port: Int, requestMethod: String = "GET") throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawClientError(description: "socket failed") }
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        parser = HTTPResponseParser(requestMethod: requestMethod)
        if result != 0 {
            Glibc.close(descriptor)
            throw RawClientError(description: "connect failed")
        }
    }

    deinit { if !closed { Glibc.close(descriptor) } }

    func close() {
        if !closed { Glibc.close(descriptor) }
        closed = true
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { throw RawClientError(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    /// Reads what arrives within the wait; empty with `ended` true at end of stream.
    func receive(milliseconds: Int32 = waitMilliseconds) throws -> (bytes: [UInt8], ended: Bool) {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, milliseconds)
        if ready == 0 { throw RawClientError(description: "timed out waiting for bytes") }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count < 0 { return ([], errno == ECONNRESET) }
        return (Array(buffer.prefix(count)), count == 0)
    }

    /// Reads one response, interim 1xx skipped.
    func readResponse() throws -> HTTPClientResponse {
        for _ in 0..<10_000 {
            if let response = try parser.next() { return response }
            let (bytes, ended) = try receive()
            if ended { return try parser.finish() }
            parser.append(bytes)
        }
        throw RawClientError(description: "response never completed")
    }

    /// Reads raw bytes until `marker` has arrived, returning everything read.
    func readUntil(_ marker: String) throws -> String {
        var text: [UInt8] = []
        for _ in 0..<10_000 {
            if String(decoding: text, as: UTF8.self).contains(marker) { return String(decoding: text, as: UTF8.self) }
            let (bytes, ended) = try receive()
            if ended { break }
            text += bytes
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Whether the server closes the connection within the wait (draining whatever it sends).
    func waitForClose(milliseconds: Int32 = waitMilliseconds) -> Bool {
        for _ in 0..<10_000 {
            guard let (_, ended) = try? receive(milliseconds: milliseconds) else { return false }
            if ended { return true }
        }
        return false
    }
}

// MARK: - Servers for tests

/// Starts a server on 127.0.0.1:0, runs `body` with it and its port, and always shuts it down.
func withServer<Result>(
    _ configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
    handler: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void,
    _ body: (HTTPServer, Int) throws -> Result
) throws -> Result {
    let server = HTTPServer(configuration: configuration, handler: HTTPHandlerFunction(handler))
    let port = try server.start()
    defer { server.shutdown(gracePeriod: .seconds(2)) }
    return try body(server, port)
}

/// Answers with method, target and body, so a test sees exactly what the server parsed.
let echoHandler: @Sendable (HTTPRequest, HTTPResponder) -> Void = { request, responder in
    let text = "\(request.method) \(request.target) \(String(decoding: request.body, as: UTF8.self))"
    responder.send(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain"], text: text))
}

/// Polls `condition` every 10 ms, for at most `milliseconds`; returns whether it became true.
func eventually(milliseconds: Int = 10_000, _ condition: () -> Bool) -> Bool {
    for _ in 0..<(milliseconds / 10) {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

extension HTTPClientResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
}
