// MARK: - HTTP/1.1 chunked bodies, decoded incrementally

/// Decodes a `Transfer-Encoding: chunked` body as bytes arrive, in any split (RFC 9112 §7.1).
/// Chunk extensions and trailers are skipped. Bounded: a size line longer than
/// `maximumLineBytes` is an error. Pure: bytes in, body bytes out.
public struct ChunkedBodyDecoder: Sendable {
    /// Longest chunk-size line (with extensions) accepted.
    public static let maximumLineBytes = 1_024

    /// Why the body is malformed.
    public struct Failure: Error, Sendable, Equatable {
        /// What was wrong.
        public let message: String
    }

    private enum Phase: Sendable {
        case sizeLine
        case data(remaining: Int)
        case dataEnd
        case trailer
        case done
    }

    private var phase = Phase.sizeLine
    private var line: [UInt8] = []

    /// A decoder at the start of a body.
    public init() {}

    /// Whether the last chunk and the trailer have been read.
    public var isComplete: Bool {
        if case .done = phase { return true }
        return false
    }

    /// Feeds bytes; returns the body bytes they carry.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> [UInt8] {
        var body: [UInt8] = []
        var index = 0
        while index < bytes.count {
            switch phase {
            case .data(let remaining):
                let take = min(remaining, bytes.count - index)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]))
                index += take
                phase = remaining - take == 0 ? .dataEnd : .data(remaining: remaining - take)
            case .done:
                return body
            case .sizeLine, .dataEnd, .trailer:
                let byte = bytes[index]
                index += 1
                guard byte == 0x0A else {
                    if byte != 0x0D { line.append(byte) }
                    guard line.count <= Self.maximumLineBytes else { throw Failure(message: "chunk line too long") }
                    continue
                }
                try endLine()
            }
        }
        return body
    }

    private mutating func endLine() throws(Failure) {
        defer { line.removeAll(keepingCapacity: true) }
        switch phase {
        case .sizeLine:
            let digits = line.prefix { $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: " ") }
            guard !digits.isEmpty, digits.count <= 15, let size = Int(String(decoding: digits, as: UTF8.self), radix: 16) else {
                throw Failure(message: "bad chunk size")
            }
            phase = size == 0 ? .trailer : .data(remaining: size)
        case .dataEnd:
            guard line.isEmpty else { throw Failure(message: "chunk data longer than its size") }
            phase = .sizeLine
        case .trailer:
            if line.isEmpty { phase = .done }
        case .data, .done:
            break
        }
    }
}
