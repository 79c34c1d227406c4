import Authorization

// MARK: - Condition values in binary

/// Binary encoding of condition values and attribute maps: one tag byte, then the payload.
/// Map entries are written in sorted key order, so equal values give equal bytes (digests).
enum ConditionValueCoding {
    static let tagNull: UInt8 = 0, tagFalse: UInt8 = 1, tagTrue: UInt8 = 2, tagInt: UInt8 = 3
    static let tagUInt: UInt8 = 4, tagDouble: UInt8 = 5, tagString: UInt8 = 6, tagList: UInt8 = 7
    static let tagMap: UInt8 = 8, tagTimestamp: UInt8 = 9, tagDuration: UInt8 = 10

    static func write(_ value: ConditionValue, into writer: inout ByteWriter) {
        switch value {
        case .null: writer.byte(tagNull)
        case .bool(let flag): writer.byte(flag ? tagTrue : tagFalse)
        case .int(let number): writer.byte(tagInt); writer.signed(number)
        case .uint(let number): writer.byte(tagUInt); writer.unsigned(number)
        case .double(let number): writer.byte(tagDouble); writer.double(number)
        case .string(let text): writer.byte(tagString); writer.string(text)
        case .list(let elements):
            writer.byte(tagList)
            writer.count(elements.count)
            for element in elements { write(element, into: &writer) }
        case .map(let members):
            writer.byte(tagMap)
            writeMap(members, into: &writer)
        case .timestamp(let seconds, let nanos):
            writer.byte(tagTimestamp); writer.signed(seconds); writer.signed(Int64(nanos))
        case .duration(let seconds, let nanos):
            writer.byte(tagDuration); writer.signed(seconds); writer.signed(Int64(nanos))
        }
    }

    static func writeMap(_ members: [String: ConditionValue], into writer: inout ByteWriter) {
        writer.count(members.count)
        for key in members.keys.sorted() {
            writer.string(key)
            write(members[key]!, into: &writer)
        }
    }

    static func read(_ reader: inout ByteReader, depth: Int = 0) throws(CommandDecodingError) -> ConditionValue {
        guard depth <= GovernanceLimits.maximumValueNesting else { throw reader.failure("value nested too deeply") }
        let tag = try reader.byte()
        switch tag {
        case tagNull: return .null
        case tagFalse: return .bool(false)
        case tagTrue: return .bool(true)
        case tagInt: return .int(try reader.signed())
        case tagUInt: return .uint(try reader.unsigned())
        case tagDouble: return .double(try reader.double())
        case tagString: return .string(try reader.string(maximum: GovernanceLimits.maximumValueStringBytes, "string value"))
        case tagList:
            let number = try reader.count(maximum: GovernanceLimits.maximumValueElements, "list length")
            var elements: [ConditionValue] = []
            elements.reserveCapacity(number)
            for _ in 0..<number { elements.append(try read(&reader, depth: depth + 1)) }
            return .list(elements)
        case tagMap: return .map(try readMap(&reader, depth: depth + 1))
        case tagTimestamp, tagDuration:
            let seconds = try reader.signed()
            let nanos = try reader.signed()
            guard nanos > -1_000_000_000, nanos < 1_000_000_000 else { throw reader.failure("nanoseconds out of range") }
            return tag == tagTimestamp ? .timestamp(seconds: seconds, nanos: Int32(nanos)) : .duration(seconds: seconds, nanos: Int32(nanos))
        default: throw reader.failure("unknown value tag \(tag)")
        }
    }

    static func readMap(_ reader: inout ByteReader, depth: Int = 0) throws(CommandDecodingError) -> [String: ConditionValue] {
        guard depth <= GovernanceLimits.maximumValueNesting else { throw reader.failure("value nested too deeply") }
        let number = try reader.count(maximum: GovernanceLimits.maximumValueElements, "map size")
        var members: [String: ConditionValue] = [:]
        members.reserveCapacity(number)
        for _ in 0..<number {
            let key = try reader.string(maximum: GovernanceLimits.maximumValueStringBytes, "map key")
            guard members[key] == nil else { throw reader.failure("duplicate map key") }
            members[key] = try read(&reader, depth: depth + 1)
        }
        return members
    }

    /// The encoded size of an attribute or context map, computed without encoding it: the
    /// measure the byte bounds on attributes and decision contexts apply to.
    static func encodedSize(_ members: [String: ConditionValue]) -> Int {
        var size = varintSize(UInt64(members.count))
        for (key, value) in members { size += stringSize(key) + encodedSize(value) }
        return size
    }

    static func encodedSize(_ value: ConditionValue) -> Int {
        switch value {
        case .null, .bool: return 1
        case .int(let number): return 1 + varintSize(UInt64(bitPattern: (number << 1) ^ (number >> 63)))
        case .uint(let number): return 1 + varintSize(number)
        case .double: return 9
        case .string(let text): return 1 + stringSize(text)
        case .list(let elements): return elements.reduce(1 + varintSize(UInt64(elements.count))) { $0 + encodedSize($1) }
        case .map(let members): return 1 + encodedSize(members)
        case .timestamp(let seconds, let nanos), .duration(let seconds, let nanos):
            let zigzagSeconds = UInt64(bitPattern: (seconds << 1) ^ (seconds >> 63))
            let wideNanos = Int64(nanos)
            return 1 + varintSize(zigzagSeconds) + varintSize(UInt64(bitPattern: (wideNanos << 1) ^ (wideNanos >> 63)))
        }
    }

    @inline(__always)
    static func stringSize(_ text: String) -> Int {
        let count = text.utf8.count
        return varintSize(UInt64(count)) + count
    }

    @inline(__always)
    static func varintSize(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }
}
