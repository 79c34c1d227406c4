// MARK: - Errors

/// Why bytes could not be decoded (a log entry payload, an audit record or a snapshot body).
public struct CommandDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset where decoding stopped.
    public let offset: Int
    /// What was wrong there.
    public let message: String

    /// A one-line explanation.
    public var description: String { "undecodable bytes at offset \(offset): \(message)" }
}

// MARK: - Writer

/// Appends the compact binary encoding: LEB128 varints, zigzag for signed integers,
/// IEEE-754 bit patterns for doubles, length-prefixed UTF-8 and byte strings.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func unsigned(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    mutating func signed(_ value: Int64) {
        unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func count(_ value: Int) { unsigned(UInt64(value)) }

    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func double(_ value: Double) { fixed64(value.bitPattern) }

    mutating func fixed32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func fixed64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func string(_ value: String) {
        var copy = value
        copy.withUTF8 { utf8 in
            count(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func data(_ value: [UInt8]) {
        count(value.count)
        bytes.append(contentsOf: value)
    }

    mutating func strings(_ values: [String]) {
        count(values.count)
        for value in values { string(value) }
    }

    mutating func optionalString(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }

    mutating func optionalSigned(_ value: Int64?) {
        bool(value != nil)
        if let value { signed(value) }
    }

    mutating func optionalUnsigned(_ value: UInt64?) {
        bool(value != nil)
        if let value { unsigned(value) }
    }
}

// MARK: - Reader

/// Reads what `ByteWriter` wrote. Every length is checked against a caller-supplied bound and
/// against the bytes left, so garbage fails with an error and never traps or over-allocates.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = start
        self.end = end ?? bytes.count
    }

    var isAtEnd: Bool { offset == end }

    func failure(_ message: String) -> CommandDecodingError {
        CommandDecodingError(offset: offset, message: message)
    }

    mutating func byte() throws(CommandDecodingError) -> UInt8 {
        guard offset < end else { throw failure("unexpected end of input") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func unsigned() throws(CommandDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            if shift == 63 && next > 1 { throw failure("varint overflows 64 bits") }
            value |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return value }
            shift += 7
            guard shift <= 63 else { throw failure("varint longer than 10 bytes") }
        }
    }

    mutating func signed() throws(CommandDecodingError) -> Int64 {
        let raw = try unsigned()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func count(maximum: Int, _ what: String) throws(CommandDecodingError) -> Int {
        let value = try unsigned()
        guard value <= UInt64(maximum) else { throw failure("\(what): \(value) exceeds the bound \(maximum)") }
        guard value <= UInt64(end - offset) else { throw failure("\(what): \(value) exceeds the bytes left") }
        return Int(value)
    }

    /// An unsigned number written with `ByteWriter.count`, at most `maximum`.
    mutating func number(maximum: Int, _ what: String) throws(CommandDecodingError) -> Int {
        let value = try unsigned()
        guard value <= UInt64(maximum) else { throw failure("\(what): \(value) exceeds \(maximum)") }
        return Int(value)
    }

    mutating func bool() throws(CommandDecodingError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw failure("boolean byte is neither 0 nor 1")
        }
    }

    mutating func fixed32() throws(CommandDecodingError) -> UInt32 {
        var value: UInt32 = 0
        for shift in stride(from: 0, to: 32, by: 8) { value |= UInt32(try byte()) << UInt32(shift) }
        return value
    }

    mutating func fixed64() throws(CommandDecodingError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { value |= UInt64(try byte()) << UInt64(shift) }
        return value
    }

    mutating func double() throws(CommandDecodingError) -> Double {
        let value = Double(bitPattern: try fixed64())
        guard value.isFinite else { throw failure("non-finite number") }
        return value
    }

    mutating func data(maximum: Int, _ what: String) throws(CommandDecodingError) -> [UInt8] {
        let length = try count(maximum: maximum, what)
        defer { offset += length }
        return Array(bytes[offset..<(offset + length)])
    }

    mutating func string(maximum: Int, _ what: String) throws(CommandDecodingError) -> String {
        let length = try count(maximum: maximum, what)
        let slice = bytes[offset..<(offset + length)]
        guard let text = String(validating: slice, as: UTF8.self) else { throw failure("\(what) is not UTF-8") }
        offset += length
        return text
    }

    mutating func strings(maximumCount: Int, maximumBytes: Int, _ what: String) throws(CommandDecodingError) -> [String] {
        let number = try count(maximum: maximumCount, what)
        var values: [String] = []
        values.reserveCapacity(number)
        for _ in 0..<number { values.append(try string(maximum: maximumBytes, what)) }
        return values
    }

    mutating func optionalString(maximum: Int, _ what: String) throws(CommandDecodingError) -> String? {
        try bool() ? try string(maximum: maximum, what) : nil
    }

    mutating func optionalSigned() throws(CommandDecodingError) -> Int64? {
        try bool() ? try signed() : nil
    }

    mutating func optionalUnsigned() throws(CommandDecodingError) -> UInt64? {
        try bool() ? try unsigned() : nil
    }
}
