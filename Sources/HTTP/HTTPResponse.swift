// MARK: - Response

/// The status line and header fields of a response, without its body.
public struct HTTPResponseHead: Sendable, Equatable {
    /// The status code (100–599).
    public var status: Int
    /// The header fields the application sets; framing fields are added by the writer.
    public var headers: HTTPHeaders

    /// A head from a status and headers.
    public init(status: Int, headers: HTTPHeaders = HTTPHeaders()) {
        precondition((100...599).contains(status), "status \(status) out of range")
        self.status = status
        self.headers = headers
    }
}

/// A complete response: what a handler passes to `HTTPResponder.send`.
public struct HTTPResponse: Sendable, Equatable {
    /// The status and header fields.
    public var head: HTTPResponseHead
    /// The body; ignored on the wire for HEAD requests and for 1xx, 204 and 304.
    public var body: [UInt8]

    /// A response from its parts.
    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.head = HTTPResponseHead(status: status, headers: headers)
        self.body = body
    }

    /// A response with a UTF-8 text body.
    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), text: String) {
        self.init(status: status, headers: headers, body: Array(text.utf8))
    }

    /// The status code.
    public var status: Int { head.status }
    /// The header fields.
    public var headers: HTTPHeaders { head.headers }
}

// MARK: - Writer

/// Serialises responses for one request: framing, keep-alive and HEAD semantics.
public struct HTTPResponseWriter: Sendable {
    /// The version of the request being answered (decides defaults and whether chunking exists).
    public let requestVersion: HTTPVersion
    /// Whether the request was HEAD, whose response carries headers but never a body.
    public let isHeadRequest: Bool
    /// Whether the connection stays open after this response (already decided by the caller).
    public let keepAlive: Bool

    /// A writer for a response to a request with this version, method and keep-alive decision.
    public init(requestVersion: HTTPVersion, isHeadRequest: Bool, keepAlive: Bool) {
        self.requestVersion = requestVersion
        self.isHeadRequest = isHeadRequest
        self.keepAlive = keepAlive
    }

    /// Whether the status forbids a body (RFC 9110 §6.4.1).
    public static func statusForbidsBody(_ status: Int) -> Bool {
        status < 200 || status == 204 || status == 304
    }

    /// Whether a streamed response to this request is chunked; HTTP/1.0 has no chunking, so its
    /// streams are delimited by closing the connection.
    public var streamsChunked: Bool { requestVersion == .http1_1 }

    /// Appends a complete response with `Content-Length` framing.
    public func write(_ response: HTTPResponse, into output: inout [UInt8]) {
        let forbidsBody = Self.statusForbidsBody(response.status)
        var headers = response.headers
        headers.remove(name: "Transfer-Encoding")
        if forbidsBody {
            headers.remove(name: "Content-Length")
        } else {
            headers.replace(name: "Content-Length", value: String(response.body.count))
        }
        writeHead(status: response.status, headers: headers, into: &output)
        if !forbidsBody && !isHeadRequest { output.append(contentsOf: response.body) }
    }

    /// Appends the head of a streamed response: chunked on HTTP/1.1, close-delimited on 1.0.
    public func writeStreamHead(_ head: HTTPResponseHead, into output: inout [UInt8]) {
        var headers = head.headers
        headers.remove(name: "Content-Length")
        headers.remove(name: "Transfer-Encoding")
        if streamsChunked && !Self.statusForbidsBody(head.status) {
            headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        writeHead(status: head.status, headers: headers, into: &output)
    }

    /// Appends one chunk of a streamed body; empty chunks are skipped (an empty chunk ends a stream).
    public func writeStreamChunk(_ chunk: [UInt8], into output: inout [UInt8]) {
        if chunk.isEmpty || isHeadRequest { return }
        if streamsChunked {
            output.append(contentsOf: String(chunk.count, radix: 16).utf8)
            output.append(contentsOf: [ASCII.carriageReturn, ASCII.lineFeed])
            output.append(contentsOf: chunk)
            output.append(contentsOf: [ASCII.carriageReturn, ASCII.lineFeed])
        } else {
            output.append(contentsOf: chunk)
        }
    }

    /// Appends the end of a streamed body.
    public func writeStreamEnd(into output: inout [UInt8]) {
        if streamsChunked && !isHeadRequest { output.append(contentsOf: "0\r\n\r\n".utf8) }
    }

    /// Whether a streamed response keeps the connection: a close-delimited body cannot.
    public var streamKeepsAlive: Bool { keepAlive && streamsChunked }

    private func writeHead(status: Int, headers: HTTPHeaders, into output: inout [UInt8]) {
        var headers = headers
        headers.remove(name: "Connection")
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if requestVersion == .http1_0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        output.append(contentsOf: "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n".utf8)
        for field in headers {
            precondition(Self.isSafeFieldText(field.name) && Self.isSafeFieldText(field.value), "header field with CR or LF")
            output.append(contentsOf: field.name.utf8)
            output.append(contentsOf: ": ".utf8)
            output.append(contentsOf: field.value.utf8)
            output.append(contentsOf: [ASCII.carriageReturn, ASCII.lineFeed])
        }
        output.append(contentsOf: [ASCII.carriageReturn, ASCII.lineFeed])
    }

    /// A header that contains CR or LF would let one response inject another: never write it.
    private static func isSafeFieldText(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in !bytes.contains { $0 == ASCII.carriageReturn || $0 == ASCII.lineFeed } }
    }

    /// The standard reason phrase for a status code.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}
