// MARK: - Client-side response

/// A response as the client receives it.
public struct HTTPClientResponse: Sendable, Equatable {
    /// The status code.
    public var status: Int
    /// The header fields, in order.
    public var headers: HTTPHeaders
    /// The body, de-chunked.
    public var body: [UInt8]
    /// Whether the server lets the connection be reused after this response.
    public var keepAlive: Bool
}

// MARK: - Parser

/// An incremental HTTP/1.x response parser for the client: bytes in, one response out.
///
/// Interim 1xx responses are skipped. A response with neither `Content-Length` nor chunking is
/// delimited by the end of the stream, which the caller reports with `finish()`.
struct HTTPResponseParser {
    /// The largest response head accepted; a peer sending more is broken or hostile.
    static let maximumHeadBytes = 64 * 1024
    /// The most header fields accepted in a response head (or trailer section).
    static let maximumHeaderFields = 200
    /// The longest chunk-size line accepted.
    static let maximumChunkLineBytes = 4 * 1024

    private enum Framing {
        case none
        case length(Int)
        case chunked
        case untilClose
    }

    private enum ChunkState {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers(fields: Int)
    }

    private let isHeadRequest: Bool
    private let maximumBodyBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var response: HTTPClientResponse? = nil
    private var framing = Framing.none
    private var chunkState = ChunkState.size

    /// A parser for the response to a request with this method, bounding the body.
    init(requestMethod: String, maximumBodyBytes: Int = 64 * 1024 * 1024) {
        isHeadRequest = requestMethod == "HEAD"
        self.maximumBodyBytes = maximumBodyBytes
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }

    mutating func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    /// Drops the bytes of responses already returned, so a long-lived pipelined connection's
    /// buffer holds only what is not parsed yet.
    mutating func discardConsumed() {
        guard start > 0 else { return }
        buffer.removeFirst(start)
        start = 0
    }

    /// The complete response, or `nil` when more bytes are needed.
    mutating func next() throws(HTTPParseError) -> HTTPClientResponse? {
        while response == nil {
            guard try parseHead() else { return nil }
        }
        return try readBody()
    }

    /// Called at end of stream: completes a close-delimited body, or fails a truncated response.
    mutating func finish() throws(HTTPParseError) -> HTTPClientResponse {
        if let complete = try next() { return complete }
        guard var complete = response, case .untilClose = framing else {
            throw HTTPParseError(.malformed, "connection closed before the response was complete")
        }
        complete.body.append(contentsOf: buffer[start...])
        complete.keepAlive = false
        return complete
    }

    // MARK: - Head

    /// Parses one head if it is complete; returns false when more bytes are needed.
    private mutating func parseHead() throws(HTTPParseError) -> Bool {
        guard let end = findHeadEnd() else {
            if buffer.count - start > Self.maximumHeadBytes { throw HTTPParseError(.headersTooLarge, "response head too large") }
            return false
        }
        let lines = buffer[start..<end].split(separator: ASCII.lineFeed, omittingEmptySubsequences: false)
            .map { $0.last == ASCII.carriageReturn ? $0.dropLast() : $0 }
        start = end + 4
        guard let statusLine = lines.first, lines.count - 1 <= Self.maximumHeaderFields else {
            throw HTTPParseError(.headersTooLarge, "too many response header fields")
        }
        let (version, status) = try Self.parseStatusLine(statusLine)
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            let field = try HTTPRequestParser.parseFieldLine(line)
            headers.add(name: field.name, value: field.value)
        }
        if status < 200 { return true }
        framing = try Self.framing(status: status, headers: headers, isHeadRequest: isHeadRequest, maximumBodyBytes: maximumBodyBytes)
        var keepAlive = version == .http1_1 ? !headers.hasToken("close", in: "Connection") : headers.hasToken("keep-alive", in: "Connection")
        if case .untilClose = framing { keepAlive = false }
        response = HTTPClientResponse(status: status, headers: headers, body: [], keepAlive: keepAlive)
        chunkState = .size
        return true
    }

    private func findHeadEnd() -> Int? {
        var index = start
        while index + 3 < buffer.count {
            if buffer[index] == ASCII.carriageReturn && buffer[index + 1] == ASCII.lineFeed
                && buffer[index + 2] == ASCII.carriageReturn && buffer[index + 3] == ASCII.lineFeed {
                return index
            }
            index += 1
        }
        return nil
    }

    private static func parseStatusLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (HTTPVersion, Int) {
        let parts = line.split(separator: ASCII.space, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].elementsEqual("HTTP/1.1".utf8) || parts[0].elementsEqual("HTTP/1.0".utf8),
              parts[1].count == 3, parts[1].allSatisfy({ ASCII.decimalValue($0) != nil })
        else { throw HTTPParseError(.malformed, "invalid status line") }
        let status = parts[1].reduce(0) { $0 * 10 + ASCII.decimalValue($1)! }
        guard status >= 100 else { throw HTTPParseError(.malformed, "invalid status code") }
        return (parts[0].last == UInt8(ascii: "0") ? .http1_0 : .http1_1, status)
    }

    private static func framing(status: Int, headers: HTTPHeaders, isHeadRequest: Bool, maximumBodyBytes: Int) throws(HTTPParseError) -> Framing {
        if isHeadRequest || status == 204 || status == 304 { return .none }
        if let encoding = headers["Transfer-Encoding"] {
            guard HTTPHeaders.namesEqual(encoding, "chunked"), !headers.contains("Content-Length") else {
                throw HTTPParseError(.unsupportedTransferEncoding, "unsupported response transfer coding")
            }
            return .chunked
        }
        let lengths = Set(headers.values(for: "Content-Length"))
        guard let text = lengths.first else { return .untilClose }
        guard lengths.count == 1, let length = Int(text), length >= 0 else {
            throw HTTPParseError(.malformed, "invalid response Content-Length")
        }
        if length > maximumBodyBytes { throw HTTPParseError(.bodyTooLarge, "response body too large") }
        return .length(length)
    }

    // MARK: - Body

    private mutating func readBody() throws(HTTPParseError) -> HTTPClientResponse? {
        guard var complete = response else { return nil }
        switch framing {
        case .none:
            break
        case .length(let length):
            guard buffer.count - start >= length else { return nil }
            complete.body = Array(buffer[start..<(start + length)])
            start += length
        case .chunked:
            guard try readChunks() else { return nil }
            complete.body = response?.body ?? []
        case .untilClose:
            if buffer.count - start > maximumBodyBytes { throw HTTPParseError(.bodyTooLarge, "response body too large") }
            return nil
        }
        response = nil
        return complete
    }

    /// Consumes chunks until the last one; returns true when the body is complete.
    private mutating func readChunks() throws(HTTPParseError) -> Bool {
        while true {
            switch chunkState {
            case .size:
                guard let line = try takeLine(limit: Self.maximumChunkLineBytes) else { return false }
                let size = try HTTPRequestParser.parseChunkSizeLine(line)
                if (response?.body.count ?? 0) + size > maximumBodyBytes { throw HTTPParseError(.bodyTooLarge, "response body too large") }
                chunkState = size == 0 ? .trailers(fields: 0) : .data(remaining: size)
            case .data(let remaining):
                let taken = min(remaining, buffer.count - start)
                response?.body.append(contentsOf: buffer[start..<(start + taken)])
                start += taken
                if taken < remaining {
                    chunkState = .data(remaining: remaining - taken)
                    return false
                }
                chunkState = .dataEnd
            case .dataEnd:
                guard let line = try takeLine(limit: 0) else { return false }
                if !line.isEmpty { throw HTTPParseError(.malformed, "chunk data longer than its size") }
                chunkState = .size
            case .trailers(let fields):
                guard let line = try takeLine(limit: Self.maximumHeadBytes) else { return false }
                if line.isEmpty { return true }
                if fields >= Self.maximumHeaderFields { throw HTTPParseError(.headersTooLarge, "too many trailer fields") }
                chunkState = .trailers(fields: fields + 1)
            }
        }
    }

    private mutating func takeLine(limit: Int) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        guard let lineFeed = buffer[start...].firstIndex(of: ASCII.lineFeed) else {
            if buffer.count - start > limit + 1 { throw HTTPParseError(.malformed, "line too long") }
            return nil
        }
        guard lineFeed > start, buffer[lineFeed - 1] == ASCII.carriageReturn else {
            throw HTTPParseError(.malformed, "line ended by a bare LF")
        }
        let line = buffer[start..<(lineFeed - 1)]
        if line.count > limit { throw HTTPParseError(.malformed, "line too long") }
        start = lineFeed + 1
        return line
    }
}
