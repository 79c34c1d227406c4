import JSON

/// A value in a condition context or a CEL evaluation.
///
/// Timestamps are UTC instants and durations signed spans; both keep whole seconds and a
/// nanosecond part. Values built by this module are normalized so that `0 <= nanos < 1e9`,
/// which keeps equal instants equal under `Hashable`.
public enum ConditionValue: Sendable, Hashable {
    /// CEL `null`.
    case null
    /// A boolean.
    case bool(Bool)
    /// A signed 64-bit integer (CEL `int`).
    case int(Int64)
    /// An unsigned 64-bit integer (CEL `uint`).
    case uint(UInt64)
    /// A double-precision number (CEL `double`).
    case double(Double)
    /// A string (CEL `string`).
    case string(String)
    /// A list of values (CEL `list`).
    case list([ConditionValue])
    /// A map with string keys (CEL `map<string, …>`).
    case map([String: ConditionValue])
    /// A UTC instant: seconds since 1970-01-01T00:00:00Z plus nanoseconds.
    case timestamp(seconds: Int64, nanos: Int32)
    /// A signed span of time: seconds plus nanoseconds.
    case duration(seconds: Int64, nanos: Int32)
}

// MARK: - JSON conversion

extension ConditionValue {
    /// Converts JSON without a declared type: integers become `.int`, other numbers `.double`,
    /// strings stay strings (a declared timestamp or duration parameter converts them later).
    public init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .integer(let number): self = .int(number)
        case .double(let number): self = .double(number)
        case .string(let text): self = .string(text)
        case .array(let elements): self = .list(elements.map(ConditionValue.init(json:)))
        case .object(let members): self = .map(members.mapValues(ConditionValue.init(json:)))
        }
    }

    /// The value as JSON: timestamps as RFC 3339 strings, durations as seconds with an `s`
    /// suffix (`"1.5s"`), unsigned integers beyond `Int64.max` as decimal strings.
    public var json: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .integer(number)
        case .uint(let number):
            if let exact = Int64(exactly: number) { return .integer(exact) }
            return .string(String(number))
        case .double(let number): return .double(number)
        case .string(let text): return .string(text)
        case .list(let elements): return .array(elements.map(\.json))
        case .map(let members): return .object(members.mapValues(\.json))
        case .timestamp(let seconds, let nanos):
            return .string(TimeFormatting.rfc3339(nanoseconds: TimeFormatting.total(seconds: seconds, nanos: nanos)))
        case .duration(let seconds, let nanos):
            return .string(TimeFormatting.durationText(nanoseconds: TimeFormatting.total(seconds: seconds, nanos: nanos)))
        }
    }
}

// MARK: - Normalized construction

extension ConditionValue {
    /// A timestamp from nanoseconds since the epoch, or nil outside CEL's range (years 1–9999).
    static func timestamp(totalNanoseconds: Int128) -> ConditionValue? {
        guard totalNanoseconds >= TimeFormatting.minimumTimestampNanoseconds,
            totalNanoseconds <= TimeFormatting.maximumTimestampNanoseconds
        else { return nil }
        let (seconds, nanos) = TimeFormatting.split(totalNanoseconds)
        return .timestamp(seconds: seconds, nanos: nanos)
    }

    /// A duration from total nanoseconds, or nil beyond CEL's range (about ±10,000 years).
    static func duration(totalNanoseconds: Int128) -> ConditionValue? {
        guard totalNanoseconds >= -TimeFormatting.maximumDurationNanoseconds,
            totalNanoseconds <= TimeFormatting.maximumDurationNanoseconds
        else { return nil }
        let (seconds, nanos) = TimeFormatting.split(totalNanoseconds)
        return .duration(seconds: seconds, nanos: nanos)
    }

    /// A short name of the kind of value, for error messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .uint: return "uint"
        case .double: return "double"
        case .string: return "string"
        case .list: return "list"
        case .map: return "map"
        case .timestamp: return "timestamp"
        case .duration: return "duration"
        }
    }
}

// MARK: - Conversion to a declared parameter type

extension ConditionValue {
    /// Whether this value already has `type` exactly (no conversion needed).
    func conforms(to type: ConditionType) -> Bool {
        switch (type, self) {
        case (.dynamic, _), (.null, .null), (.bool, .bool), (.int, .int), (.uint, .uint), (.double, .double),
            (.string, .string), (.timestamp, .timestamp), (.duration, .duration), (.list(.dynamic), .list), (.map(.dynamic), .map):
            return true
        case (.list(let elementType), .list(let elements)):
            return elements.allSatisfy { $0.conforms(to: elementType) }
        case (.map(let valueType), .map(let members)):
            return members.values.allSatisfy { $0.conforms(to: valueType) }
        default:
            return false
        }
    }

    /// This value as a parameter declared with `type`, or nil when it cannot be one. JSON has no
    /// timestamps, durations or unsigned integers, so RFC 3339 strings become timestamps,
    /// duration strings durations, and numbers with an exact value in the target type convert.
    func coerced(to type: ConditionType) -> ConditionValue? {
        if conforms(to: type) { return self }
        switch (type, self) {
        case (.int, .uint(let number)): return Int64(exactly: number).map(ConditionValue.int)
        case (.int, .double(let number)): return Int64(exactly: number).map(ConditionValue.int)
        case (.uint, .int(let number)): return UInt64(exactly: number).map(ConditionValue.uint)
        case (.uint, .double(let number)): return UInt64(exactly: number).map(ConditionValue.uint)
        case (.double, .int(let number)): return .double(Double(number))
        case (.double, .uint(let number)): return .double(Double(number))
        case (.timestamp, .string(let text)):
            return TimeFormatting.parseTimestamp(text).flatMap { ConditionValue.timestamp(totalNanoseconds: $0) }
        case (.duration, .string(let text)):
            return TimeFormatting.parseDuration(text).flatMap { ConditionValue.duration(totalNanoseconds: $0) }
        case (.list(let elementType), .list(let elements)):
            var converted: [ConditionValue] = []
            converted.reserveCapacity(elements.count)
            for element in elements {
                guard let value = element.coerced(to: elementType) else { return nil }
                converted.append(value)
            }
            return .list(converted)
        case (.map(let valueType), .map(let members)):
            var converted: [String: ConditionValue] = [:]
            for (key, member) in members {
                guard let value = member.coerced(to: valueType) else { return nil }
                converted[key] = value
            }
            return .map(converted)
        default:
            return nil
        }
    }

    /// A short description for error messages: the kind, and short scalars themselves.
    var briefDescription: String {
        switch self {
        case .string(let text): return "string \"\(text.prefix(32))\""
        case .int(let number): return "int \(number)"
        case .uint(let number): return "uint \(number)"
        case .double(let number): return "double \(number)"
        case .bool(let flag): return "bool \(flag)"
        default: return kindName
        }
    }
}
