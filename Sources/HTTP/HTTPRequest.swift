// MARK: - Version

/// An HTTP version as it appears on the request or status line.
public struct HTTPVersion: Sendable, Equatable, CustomStringConvertible {
    /// The major number (1 for every version this module speaks).
    public let major: Int
    /// The minor number.
    public let minor: Int

    /// HTTP/1.0: connections close after each exchange unless asked otherwise.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1: persistent connections by default.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// A version from its two numbers.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// `HTTP/<major>.<minor>`.
    public var description: String { "HTTP/\(major).\(minor)" }
}

// MARK: - Request

/// A complete HTTP request: what the parser yields and the handler receives.
public struct HTTPRequest: Sendable, Equatable {
    /// The method token, case-sensitive as sent (`GET`, `POST`).
    public var method: String
    /// The request target as sent: path plus optional `?query`.
    public var target: String
    /// The protocol version.
    public var version: HTTPVersion
    /// The header fields, in order.
    public var headers: HTTPHeaders
    /// The body, de-chunked; empty when there is none.
    public var body: [UInt8]

    /// A request from its parts.
    public init(method: String, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// The target up to the first `?`.
    public var path: String {
        guard let mark = target.firstIndex(of: "?") else { return target }
        return String(target[..<mark])
    }

    /// The target after the first `?`, or `nil` when there is no query.
    public var query: String? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: mark)...])
    }

    /// Whether the client asked to keep the connection open after this exchange.
    public var keepAlive: Bool {
        if headers.hasToken("close", in: "Connection") { return false }
        if version == .http1_0 { return headers.hasToken("keep-alive", in: "Connection") }
        return true
    }
}
