// MARK: - Limits

/// The bounds a request must fit in; each is checked while bytes arrive, before they are stored.
public struct HTTPLimits: Sendable, Equatable {
    /// The longest request line, CRLF excluded; longer → 414. 8 KiB is what common proxies allow.
    public var maximumRequestLineBytes: Int
    /// The largest header section (fields and their line ends); larger → 431.
    public var maximumHeaderBytes: Int
    /// The most header fields; more → 431. Bounds per-request allocation regardless of size.
    public var maximumHeaderFields: Int
    /// The largest body after de-chunking; larger → 413. Warden's writes are small JSON.
    public var maximumBodyBytes: Int
    /// The longest chunk-size line (size plus extensions); longer → 400.
    public var maximumChunkLineBytes: Int

    /// The defaults: 8 KiB request line, 16 KiB / 100 header fields, 1 MiB body, 4 KiB chunk line.
    public init(
        maximumRequestLineBytes: Int = 8 * 1024,
        maximumHeaderBytes: Int = 16 * 1024,
        maximumHeaderFields: Int = 100,
        maximumBodyBytes: Int = 1024 * 1024,
        maximumChunkLineBytes: Int = 4 * 1024
    ) {
        precondition(maximumRequestLineBytes > 0 && maximumHeaderBytes > 0 && maximumHeaderFields > 0)
        precondition(maximumBodyBytes >= 0 && maximumChunkLineBytes > 0)
        self.maximumRequestLineBytes = maximumRequestLineBytes
        self.maximumHeaderBytes = maximumHeaderBytes
        self.maximumHeaderFields = maximumHeaderFields
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumChunkLineBytes = maximumChunkLineBytes
    }
}

// MARK: - Errors

/// Why a request was refused, and the status code that says so.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The class of failure; each maps to one status code.
    public enum Kind: Sendable, Equatable {
        /// Syntax the grammar does not allow, or ambiguous framing → 400.
        case malformed
        /// The request line exceeds its bound → 414.
        case requestLineTooLong
        /// The header section (or trailer section) exceeds its bound → 431.
        case headersTooLarge
        /// The body exceeds its bound → 413.
        case bodyTooLarge
        /// A transfer coding other than `chunked` → 501.
        case unsupportedTransferEncoding
        /// An HTTP major version other than 1 → 505.
        case unsupportedVersion
        /// An `Expect` other than `100-continue` → 417.
        case unsupportedExpectation
    }

    /// The class of failure.
    public let kind: Kind
    /// A short human-readable reason, safe to send back to the client.
    public let reason: String

    /// An error of a kind with its reason.
    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// The response status for this failure.
    public var status: Int {
        switch kind {
        case .malformed: return 400
        case .requestLineTooLong: return 414
        case .headersTooLarge: return 431
        case .bodyTooLarge: return 413
        case .unsupportedTransferEncoding: return 501
        case .unsupportedVersion: return 505
        case .unsupportedExpectation: return 417
        }
    }

    /// `<status> <reason>`.
    public var description: String { "\(status) \(reason)" }
}

/// What the parser yields as bytes arrive.
public enum HTTPParserEvent: Sendable, Equatable {
    /// The head asked for `Expect: 100-continue` and its body has not been read yet.
    case continueExpected
    /// A complete request.
    case request(HTTPRequest)
}

// MARK: - Parser

/// An incremental HTTP/1.1 request parser: feed it byte chunks of any size, take events out.
///
/// It never touches a socket. After an error it stays failed: the connection must answer with
/// the error's status and close, because the framing of whatever follows is unknown.
public struct HTTPRequestParser: Sendable {
    /// How bodies are delimited, decided once the head is complete.
    private enum State: Sendable {
        case requestLine
        case headers
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed(HTTPParseError)
    }

    /// Empty lines tolerated before a request line (RFC 9112 §2.2 asks to ignore at least one).
    private static let maximumLeadingEmptyLines = 4
    /// Digits in a Content-Length or chunk size beyond which the value surely exceeds any limit.
    static let maximumLengthDigits = 18
    /// Consumed bytes kept at the front of the buffer before it is compacted.
    private static let compactionThreshold = 16 * 1024

    /// The limits every request is checked against.
    public let limits: HTTPLimits
    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes from `start` already searched for a line feed, so byte-by-byte feeding stays linear.
    private var scanned = 0
    private var state = State.requestLine
    private var request = HTTPRequest(method: "", target: "")
    private var sectionBytes = 0
    private var sectionFields = 0
    private var leadingEmptyLines = 0

    /// A parser that checks requests against `limits`.
    public init(limits: HTTPLimits = HTTPLimits()) { self.limits = limits }

    /// Bytes received but not yet turned into a request.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Whether a request has begun arriving (any byte of it buffered or parsed).
    public var isMidRequest: Bool {
        if case .requestLine = state { return bufferedByteCount > 0 }
        return true
    }

    /// Whether the head is complete and the body is what is still being read.
    public var isReadingBody: Bool {
        switch state {
        case .fixedBody, .chunkSize, .chunkData, .chunkDataEnd, .trailers: return true
        case .requestLine, .headers, .failed: return false
        }
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// The next event, or `nil` when more bytes are needed; throws once the input is refused.
    public mutating func next() throws(HTTPParseError) -> HTTPParserEvent? {
        if case .failed(let error) = state { throw error }
        do {
            return try advance()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func compactIfWorthwhile() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > Self.compactionThreshold && start * 2 > buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    // MARK: - The state machine

    private mutating func advance() throws(HTTPParseError) -> HTTPParserEvent? {
        while true {
            switch state {
            case .requestLine:
                guard let line = try takeLine(limit: limits.maximumRequestLineBytes, overflow: .requestLineTooLong) else { return nil }
                if line.isEmpty {
                    leadingEmptyLines += 1
                    if leadingEmptyLines > Self.maximumLeadingEmptyLines { throw HTTPParseError(.malformed, "empty lines before the request") }
                    continue
                }
                try parseRequestLine(line)
                state = .headers
            case .headers:
                let remaining = limits.maximumHeaderBytes - sectionBytes
                guard let line = try takeLine(limit: remaining, overflow: .headersTooLarge) else { return nil }
                sectionBytes += line.count + 2
                if line.isEmpty {
                    if let event = try finishHead() { return event }
                    continue
                }
                let field = try parseField(line)
                request.headers.add(name: field.name, value: field.value)
            case .fixedBody(let remaining):
                let taken = takeBody(upTo: remaining)
                if taken < remaining {
                    state = .fixedBody(remaining: remaining - taken)
                    return nil
                }
                return completeRequest()
            case .chunkSize:
                guard let line = try takeLine(limit: limits.maximumChunkLineBytes, overflow: .malformed) else { return nil }
                let size = try parseChunkSize(line)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
                if size == 0 { beginSection() }
            case .chunkData(let remaining):
                let taken = takeBody(upTo: remaining)
                if taken < remaining {
                    state = .chunkData(remaining: remaining - taken)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard let line = try takeLine(limit: 0, overflow: .malformed) else { return nil }
                if !line.isEmpty { throw HTTPParseError(.malformed, "chunk data longer than its size") }
                state = .chunkSize
            case .trailers:
                let remaining = limits.maximumHeaderBytes - sectionBytes
                guard let line = try takeLine(limit: remaining, overflow: .headersTooLarge) else { return nil }
                sectionBytes += line.count + 2
                if line.isEmpty { return completeRequest() }
                // Trailers are validated and counted, then dropped: nothing here may change
                // framing or routing after the fact.
                _ = try parseField(line)
            case .failed(let error):
                throw error
            }
        }
    }

    /// Takes one CRLF-terminated line (without its CRLF), or `nil` when it is incomplete.
    /// A line longer than `limit` fails with `overflow`; a bare LF is refused.
    private mutating func takeLine(limit: Int, overflow: HTTPParseError.Kind) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        var index = start + scanned
        while index < buffer.count, buffer[index] != ASCII.lineFeed { index += 1 }
        guard index < buffer.count else {
            scanned = buffer.count - start
            // The pending bytes may end in the CR of the terminator, which is not part of the line.
            let pending = buffer.count - start - (buffer.last == ASCII.carriageReturn ? 1 : 0)
            if pending > limit { throw HTTPParseError(overflow, Self.overflowReason(overflow)) }
            return nil
        }
        // The length is checked before the terminator so the verdict never depends on how the
        // bytes were split: a split feed may see the overflow before the line feed arrives.
        let hasCarriageReturn = index > start && buffer[index - 1] == ASCII.carriageReturn
        let lineEnd = hasCarriageReturn ? index - 1 : index
        if lineEnd - start > limit { throw HTTPParseError(overflow, Self.overflowReason(overflow)) }
        guard hasCarriageReturn else { throw HTTPParseError(.malformed, "line ended by a bare LF") }
        let line = buffer[start..<lineEnd]
        start = index + 1
        scanned = 0
        return line
    }

    private static func overflowReason(_ kind: HTTPParseError.Kind) -> String {
        switch kind {
        case .requestLineTooLong: return "request line too long"
        case .headersTooLarge: return "header section too large"
        default: return "line too long"
        }
    }

    private mutating func takeBody(upTo wanted: Int) -> Int {
        let taken = min(wanted, buffer.count - start)
        request.body.append(contentsOf: buffer[start..<(start + taken)])
        start += taken
        return taken
    }

    private mutating func beginSection() {
        sectionBytes = 0
        sectionFields = 0
    }

    private mutating func completeRequest() -> HTTPParserEvent {
        let complete = request
        request = HTTPRequest(method: "", target: "")
        state = .requestLine
        leadingEmptyLines = 0
        beginSection()
        return .request(complete)
    }
}

// MARK: - Grammar

extension HTTPRequestParser {
    /// `method SP request-target SP HTTP-version`, each part checked byte by byte.
    private mutating func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) {
        let parts = line.split(separator: ASCII.space, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw HTTPParseError(.malformed, "request line is not method, target and version")
        }
        guard parts[0].allSatisfy(ASCII.isTokenCharacter) else { throw HTTPParseError(.malformed, "invalid method") }
        guard parts[1].allSatisfy({ $0 > 32 && $0 < 127 }) else { throw HTTPParseError(.malformed, "invalid request target") }
        request.method = String(decoding: parts[0], as: UTF8.self)
        request.target = String(decoding: parts[1], as: UTF8.self)
        request.version = try Self.parseVersion(parts[2])
        beginSection()
    }

    private static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let text = Array(bytes)
        guard text.count == 8, text[0..<5].elementsEqual("HTTP/".utf8), text[6] == UInt8(ascii: "."),
              let major = ASCII.decimalValue(text[5]), let minor = ASCII.decimalValue(text[7])
        else { throw HTTPParseError(.malformed, "invalid HTTP version") }
        guard major == 1 else { throw HTTPParseError(.unsupportedVersion, "only HTTP/1.x is supported") }
        // A later 1.x minor version is answered as 1.1, the highest this server implements.
        return minor == 0 ? .http1_0 : .http1_1
    }

    /// Counts one more field in the current section and parses it.
    private mutating func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (name: String, value: String) {
        sectionFields += 1
        if sectionFields > limits.maximumHeaderFields { throw HTTPParseError(.headersTooLarge, "too many header fields") }
        return try Self.parseFieldLine(line)
    }

    /// `field-name ":" OWS field-value OWS`; obs-fold and whitespace before the colon are refused.
    static func parseFieldLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (name: String, value: String) {
        guard let first = line.first, first != ASCII.space, first != ASCII.tab else {
            throw HTTPParseError(.malformed, "obsolete line folding")
        }
        guard let colon = line.firstIndex(of: ASCII.colon), colon > line.startIndex else {
            throw HTTPParseError(.malformed, "header field without a name")
        }
        let name = line[line.startIndex..<colon]
        guard name.allSatisfy(ASCII.isTokenCharacter) else { throw HTTPParseError(.malformed, "invalid header field name") }
        var valueStart = colon + 1, valueEnd = line.endIndex
        while valueStart < valueEnd, line[valueStart] == ASCII.space || line[valueStart] == ASCII.tab { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == ASCII.space || line[valueEnd - 1] == ASCII.tab { valueEnd -= 1 }
        let value = line[valueStart..<valueEnd]
        guard value.allSatisfy(ASCII.isFieldValueCharacter) else { throw HTTPParseError(.malformed, "invalid header field value") }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// The header fields that decide framing, gathered in one pass over the head.
    private struct FramingFields {
        var hostCount = 0
        var transferEncodings: [String] = []
        var contentLengths: [String] = []
        var expectations: [String] = []

        init(_ headers: HTTPHeaders) {
            for field in headers {
                // Lengths differ for all four names, so most fields are rejected without comparing.
                switch field.name.utf8.count {
                case 4 where HTTPHeaders.namesEqual(field.name, "Host"): hostCount += 1
                case 6 where HTTPHeaders.namesEqual(field.name, "Expect"): expectations.append(field.value)
                case 14 where HTTPHeaders.namesEqual(field.name, "Content-Length"): contentLengths.append(field.value)
                case 17 where HTTPHeaders.namesEqual(field.name, "Transfer-Encoding"): transferEncodings.append(field.value)
                default: break
                }
            }
        }
    }

    /// Decides the body framing once the head is complete (RFC 9112 §6.3), refusing ambiguity.
    private mutating func finishHead() throws(HTTPParseError) -> HTTPParserEvent? {
        let fields = FramingFields(request.headers)
        if request.version == .http1_1 && fields.hostCount != 1 {
            throw HTTPParseError(.malformed, "an HTTP/1.1 request needs exactly one Host")
        }
        var bodyExpected = false
        if !fields.transferEncodings.isEmpty {
            if !fields.contentLengths.isEmpty { throw HTTPParseError(.malformed, "both Transfer-Encoding and Content-Length") }
            if request.version == .http1_0 { throw HTTPParseError(.malformed, "Transfer-Encoding in an HTTP/1.0 request") }
            let codings = fields.transferEncodings.flatMap { $0.split(separator: ",") }.map { String($0).trimmingSpaces() }
            guard codings.count == 1, HTTPHeaders.namesEqual(codings[0], "chunked") else {
                throw HTTPParseError(.unsupportedTransferEncoding, "only chunked transfer coding is supported")
            }
            state = .chunkSize
            bodyExpected = true
        } else if !fields.contentLengths.isEmpty {
            let length = try parseContentLength(fields.contentLengths)
            state = length == 0 ? .requestLine : .fixedBody(remaining: length)
            bodyExpected = length > 0
        } else {
            state = .requestLine
        }
        let expectContinue = try checkExpectation(fields.expectations)
        if !bodyExpected { return completeRequest() }
        return expectContinue && request.version == .http1_1 ? .continueExpected : nil
    }

    private func checkExpectation(_ expectations: [String]) throws(HTTPParseError) -> Bool {
        if expectations.isEmpty { return false }
        guard expectations.count == 1, HTTPHeaders.namesEqual(expectations[0], "100-continue") else {
            throw HTTPParseError(.unsupportedExpectation, "only Expect: 100-continue is supported")
        }
        return true
    }

    /// Every Content-Length value (and every comma-separated item) must be the same number.
    private func parseContentLength(_ values: [String]) throws(HTTPParseError) -> Int {
        var length: Int? = nil
        for item in values.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let digits = Array(String(item).trimmingSpaces().utf8)
            guard !digits.isEmpty, digits.allSatisfy({ ASCII.decimalValue($0) != nil }) else {
                throw HTTPParseError(.malformed, "invalid Content-Length")
            }
            let significant = digits.drop { $0 == UInt8(ascii: "0") }
            if significant.count > Self.maximumLengthDigits { throw HTTPParseError(.bodyTooLarge, "body too large") }
            let value = significant.reduce(0) { $0 * 10 + ASCII.decimalValue($1)! }
            if let previous = length, previous != value { throw HTTPParseError(.malformed, "conflicting Content-Length values") }
            length = value
        }
        guard let result = length else { throw HTTPParseError(.malformed, "invalid Content-Length") }
        if result > limits.maximumBodyBytes { throw HTTPParseError(.bodyTooLarge, "body too large") }
        return result
    }

    private func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        let size = try Self.parseChunkSizeLine(line)
        if request.body.count + size > limits.maximumBodyBytes { throw HTTPParseError(.bodyTooLarge, "body too large") }
        return size
    }

    /// `chunk-size [ chunk-ext ]`: hex digits, then optionally `;`-led extensions, which are ignored.
    static func parseChunkSizeLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var index = line.startIndex
        var size = 0
        while index < line.endIndex, let digit = ASCII.hexValue(line[index]) {
            if index - line.startIndex >= maximumLengthDigits - 3 { throw HTTPParseError(.bodyTooLarge, "body too large") }
            size = size * 16 + digit
            index += 1
        }
        guard index > line.startIndex else { throw HTTPParseError(.malformed, "invalid chunk size") }
        var rest = line[index...].drop { $0 == ASCII.space || $0 == ASCII.tab }
        if let first = rest.first {
            guard first == ASCII.semicolon else { throw HTTPParseError(.malformed, "invalid chunk size") }
            rest = rest.dropFirst()
            guard rest.allSatisfy(ASCII.isFieldValueCharacter) else { throw HTTPParseError(.malformed, "invalid chunk extension") }
        }
        return size
    }
}
