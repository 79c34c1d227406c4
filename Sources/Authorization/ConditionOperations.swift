/// The result of evaluating part of a condition: a value, undecided for want of parameters
/// (their names, sorted and unique), or an error with a message.
enum EvaluationResult: Sendable, Equatable {
    case value(ConditionValue)
    case unknown([String])
    case error(String)
}

/// How two values order: before (-1), same (0), after (1); unordered (a NaN is involved); or
/// incomparable kinds.
enum ValueOrdering: Equatable {
    case ordered(Int)
    case unordered
    case incomparable
}

/// The runtime semantics of the CEL operators and functions on `ConditionValue`s. Integer
/// arithmetic is overflow-checked, division and modulus by zero are errors, timestamps and
/// durations stay within CEL's ranges; nothing here traps.
enum ConditionOperations {
    // MARK: - Arithmetic

    static func arithmetic(_ op: BinaryOperator, _ left: ConditionValue, _ right: ConditionValue) -> EvaluationResult {
        switch (left, right) {
        case (.int(let a), .int(let b)): return integer(op, a, b)
        case (.uint(let a), .uint(let b)): return unsigned(op, a, b)
        case (.double(let a), .double(let b)):
            switch op {
            case .add: return .value(.double(a + b))
            case .subtract: return .value(.double(a - b))
            case .multiply: return .value(.double(a * b))
            case .divide: return .value(.double(a / b))
            default: break
            }
        case (.string(let a), .string(let b)) where op == .add: return .value(.string(a + b))
        case (.list(let a), .list(let b)) where op == .add: return .value(.list(a + b))
        default:
            if let result = temporal(op, left, right) { return result }
        }
        return .error("no such overload: \(left.kindName) \(op.rawValue) \(right.kindName)")
    }

    private static func integer(_ op: BinaryOperator, _ a: Int64, _ b: Int64) -> EvaluationResult {
        let result: (partialValue: Int64, overflow: Bool)
        switch op {
        case .add: result = a.addingReportingOverflow(b)
        case .subtract: result = a.subtractingReportingOverflow(b)
        case .multiply: result = a.multipliedReportingOverflow(by: b)
        case .divide:
            guard b != 0 else { return .error("division by zero") }
            result = a.dividedReportingOverflow(by: b)
        case .remainder:
            guard b != 0 else { return .error("modulus by zero") }
            result = a.remainderReportingOverflow(dividingBy: b)
        default: return .error("no such overload: int \(op.rawValue) int")
        }
        return result.overflow ? .error("int overflow") : .value(.int(result.partialValue))
    }

    private static func unsigned(_ op: BinaryOperator, _ a: UInt64, _ b: UInt64) -> EvaluationResult {
        let result: (partialValue: UInt64, overflow: Bool)
        switch op {
        case .add: result = a.addingReportingOverflow(b)
        case .subtract: result = a.subtractingReportingOverflow(b)
        case .multiply: result = a.multipliedReportingOverflow(by: b)
        case .divide:
            guard b != 0 else { return .error("division by zero") }
            result = a.dividedReportingOverflow(by: b)
        case .remainder:
            guard b != 0 else { return .error("modulus by zero") }
            result = a.remainderReportingOverflow(dividingBy: b)
        default: return .error("no such overload: uint \(op.rawValue) uint")
        }
        return result.overflow ? .error("uint overflow") : .value(.uint(result.partialValue))
    }

    /// Timestamp and duration arithmetic, or nil when the operands are not temporal.
    private static func temporal(_ op: BinaryOperator, _ left: ConditionValue, _ right: ConditionValue) -> EvaluationResult? {
        switch (op, left, right) {
        case (.add, .timestamp(let s, let n), .duration(let ds, let dn)), (.add, .duration(let ds, let dn), .timestamp(let s, let n)):
            return timestamp(TimeFormatting.total(seconds: s, nanos: n) + TimeFormatting.total(seconds: ds, nanos: dn))
        case (.subtract, .timestamp(let s, let n), .duration(let ds, let dn)):
            return timestamp(TimeFormatting.total(seconds: s, nanos: n) - TimeFormatting.total(seconds: ds, nanos: dn))
        case (.subtract, .timestamp(let s, let n), .timestamp(let os, let on)):
            return duration(TimeFormatting.total(seconds: s, nanos: n) - TimeFormatting.total(seconds: os, nanos: on))
        case (.add, .duration(let s, let n), .duration(let os, let on)):
            return duration(TimeFormatting.total(seconds: s, nanos: n) + TimeFormatting.total(seconds: os, nanos: on))
        case (.subtract, .duration(let s, let n), .duration(let os, let on)):
            return duration(TimeFormatting.total(seconds: s, nanos: n) - TimeFormatting.total(seconds: os, nanos: on))
        default:
            return nil
        }
    }

    private static func timestamp(_ nanoseconds: Int128) -> EvaluationResult {
        ConditionValue.timestamp(totalNanoseconds: nanoseconds).map(EvaluationResult.value) ?? .error("timestamp out of range")
    }

    private static func duration(_ nanoseconds: Int128) -> EvaluationResult {
        ConditionValue.duration(totalNanoseconds: nanoseconds).map(EvaluationResult.value) ?? .error("duration out of range")
    }

    static func negate(_ value: ConditionValue) -> EvaluationResult {
        switch value {
        case .int(let number):
            let result = Int64(0).subtractingReportingOverflow(number)
            return result.overflow ? .error("int overflow") : .value(.int(result.partialValue))
        case .double(let number): return .value(.double(-number))
        default: return .error("no such overload: -\(value.kindName)")
        }
    }

    // MARK: - Equality and ordering

    /// CEL equality: numbers compare by value across int, uint and double; other kinds must
    /// match (different kinds are unequal); strings compare by code points; NaN equals nothing.
    static func equals(_ left: ConditionValue, _ right: ConditionValue) -> Bool {
        switch (left, right) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.timestamp(let s, let n), .timestamp(let os, let on)), (.duration(let s, let n), .duration(let os, let on)):
            return TimeFormatting.total(seconds: s, nanos: n) == TimeFormatting.total(seconds: os, nanos: on)
        case (.list(let a), .list(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { equals($0, $1) }
        case (.map(let a), .map(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { equals(value, $0) } ?? false }
        default:
            return compareNumbers(left, right) == .ordered(0)
        }
    }

    /// Ordering for `< <= > >=`: numbers across kinds, strings by code points, bools
    /// (false < true), timestamps, durations.
    static func compare(_ left: ConditionValue, _ right: ConditionValue) -> ValueOrdering {
        switch (left, right) {
        case (.string(let a), .string(let b)):
            if a.utf8.elementsEqual(b.utf8) { return .ordered(0) }
            return .ordered(a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1)
        case (.bool(let a), .bool(let b)): return .ordered(a == b ? 0 : (a ? 1 : -1))
        case (.timestamp(let s, let n), .timestamp(let os, let on)), (.duration(let s, let n), .duration(let os, let on)):
            return order(TimeFormatting.total(seconds: s, nanos: n), TimeFormatting.total(seconds: os, nanos: on))
        default:
            return compareNumbers(left, right)
        }
    }

    /// Exact comparison of two numbers of any numeric kinds.
    static func compareNumbers(_ left: ConditionValue, _ right: ConditionValue) -> ValueOrdering {
        switch (left, right) {
        case (.int(let a), .int(let b)): return order(a, b)
        case (.uint(let a), .uint(let b)): return order(a, b)
        case (.double(let a), .double(let b)):
            if a.isNaN || b.isNaN { return .unordered }
            return order(a, b)
        case (.int(let a), .uint(let b)): return a < 0 ? .ordered(-1) : order(UInt64(a), b)
        case (.uint(let a), .int(let b)): return b < 0 ? .ordered(1) : order(a, UInt64(b))
        case (.int(let a), .double(let b)): return compareInteger(Int128(a), toDouble: b)
        case (.uint(let a), .double(let b)): return compareInteger(Int128(a), toDouble: b)
        case (.double(let a), .int(let b)): return flip(compareInteger(Int128(b), toDouble: a))
        case (.double(let a), .uint(let b)): return flip(compareInteger(Int128(b), toDouble: a))
        default: return .incomparable
        }
    }

    /// Compares an integer with a double without rounding the integer.
    private static func compareInteger(_ integer: Int128, toDouble number: Double) -> ValueOrdering {
        if number.isNaN { return .unordered }
        if number >= 18_446_744_073_709_551_616.0 { return .ordered(-1) }
        if number < -9_223_372_036_854_775_808.0 { return .ordered(1) }
        let floor = number.rounded(.down)
        let floorInteger = Int128(floor)
        if integer < floorInteger { return .ordered(-1) }
        if integer > floorInteger { return .ordered(1) }
        return .ordered(number > floor ? -1 : 0)
    }

    private static func order<Value: Comparable>(_ a: Value, _ b: Value) -> ValueOrdering {
        .ordered(a < b ? -1 : (a == b ? 0 : 1))
    }

    private static func flip(_ ordering: ValueOrdering) -> ValueOrdering {
        if case .ordered(let sign) = ordering { return .ordered(-sign) }
        return ordering
    }

    /// `<`, `<=`, `>`, `>=` as a bool, or an error for incomparable kinds; NaN makes every ordering false.
    static func relation(_ op: BinaryOperator, _ left: ConditionValue, _ right: ConditionValue) -> EvaluationResult {
        switch compare(left, right) {
        case .incomparable: return .error("no such overload: \(left.kindName) \(op.rawValue) \(right.kindName)")
        case .unordered: return .value(.bool(false))
        case .ordered(let sign):
            switch op {
            case .less: return .value(.bool(sign < 0))
            case .lessOrEqual: return .value(.bool(sign <= 0))
            case .greater: return .value(.bool(sign > 0))
            default: return .value(.bool(sign >= 0))
            }
        }
    }

    // MARK: - Containers

    static func membership(_ element: ConditionValue, _ container: ConditionValue) -> EvaluationResult {
        switch container {
        case .list(let elements): return .value(.bool(elements.contains { equals(element, $0) }))
        case .map(let members):
            guard case .string(let key) = element else { return .value(.bool(false)) }
            return .value(.bool(members[key] != nil))
        default: return .error("no such overload: \(element.kindName) in \(container.kindName)")
        }
    }

    static func select(_ target: ConditionValue, field: String) -> EvaluationResult {
        guard case .map(let members) = target else { return .error("cannot select field '\(field)' from \(target.kindName)") }
        guard let value = members[field] else { return .error("no such key: '\(field)'") }
        return .value(value)
    }

    static func has(_ target: ConditionValue, field: String) -> EvaluationResult {
        guard case .map(let members) = target else { return .error("has() needs a map, found \(target.kindName)") }
        return .value(.bool(members[field] != nil))
    }

    static func index(_ target: ConditionValue, _ key: ConditionValue) -> EvaluationResult {
        switch (target, key) {
        case (.list(let elements), .int(let position)):
            guard position >= 0, position < elements.count else { return .error("index \(position) out of range") }
            return .value(elements[Int(position)])
        case (.list(let elements), .uint(let position)):
            guard position < elements.count else { return .error("index \(position) out of range") }
            return .value(elements[Int(position)])
        case (.map(let members), .string(let name)):
            guard let value = members[name] else { return .error("no such key: '\(name.prefix(64))'") }
            return .value(value)
        default:
            return .error("cannot index \(target.kindName) with \(key.kindName)")
        }
    }
}

// MARK: - Functions

extension ConditionOperations {
    static func apply(_ function: ConditionFunction, _ argument: ConditionValue) -> EvaluationResult {
        switch function {
        case .size: return size(argument)
        case .int: return toInt(argument)
        case .uint: return toUnsigned(argument)
        case .double: return toDouble(argument)
        case .string: return toText(argument)
        case .timestamp:
            if case .timestamp = argument { return .value(argument) }
            guard case .string(let text) = argument else { return noOverload(function, argument) }
            guard let nanoseconds = TimeFormatting.parseTimestamp(text), let value = ConditionValue.timestamp(totalNanoseconds: nanoseconds) else {
                return .error("invalid timestamp \"\(text.prefix(64))\"")
            }
            return .value(value)
        case .duration:
            if case .duration = argument { return .value(argument) }
            guard case .string(let text) = argument else { return noOverload(function, argument) }
            guard let nanoseconds = TimeFormatting.parseDuration(text), let value = ConditionValue.duration(totalNanoseconds: nanoseconds) else {
                return .error("invalid duration \"\(text.prefix(64))\"")
            }
            return .value(value)
        }
    }

    private static func noOverload(_ function: ConditionFunction, _ argument: ConditionValue) -> EvaluationResult {
        .error("no such overload: \(function.rawValue)(\(argument.kindName))")
    }

    private static func size(_ argument: ConditionValue) -> EvaluationResult {
        switch argument {
        case .string(let text): return .value(.int(Int64(text.unicodeScalars.count)))
        case .list(let elements): return .value(.int(Int64(elements.count)))
        case .map(let members): return .value(.int(Int64(members.count)))
        default: return noOverload(.size, argument)
        }
    }

    private static func toInt(_ argument: ConditionValue) -> EvaluationResult {
        switch argument {
        case .int: return .value(argument)
        case .uint(let number):
            return Int64(exactly: number).map { .value(.int($0)) } ?? .error("int overflow")
        case .double(let number):
            guard number.isFinite, let value = Int64(exactly: number.rounded(.towardZero)) else { return .error("int overflow") }
            return .value(.int(value))
        case .string(let text):
            return Int64(text).map { .value(.int($0)) } ?? .error("cannot convert \"\(text.prefix(64))\" to int")
        case .timestamp(let seconds, _): return .value(.int(seconds))
        default: return noOverload(.int, argument)
        }
    }

    private static func toUnsigned(_ argument: ConditionValue) -> EvaluationResult {
        switch argument {
        case .uint: return .value(argument)
        case .int(let number):
            return UInt64(exactly: number).map { .value(.uint($0)) } ?? .error("uint overflow")
        case .double(let number):
            guard number.isFinite, let value = UInt64(exactly: number.rounded(.towardZero)) else { return .error("uint overflow") }
            return .value(.uint(value))
        case .string(let text):
            return UInt64(text).map { .value(.uint($0)) } ?? .error("cannot convert \"\(text.prefix(64))\" to uint")
        default: return noOverload(.uint, argument)
        }
    }

    private static func toDouble(_ argument: ConditionValue) -> EvaluationResult {
        switch argument {
        case .double: return .value(argument)
        case .int(let number): return .value(.double(Double(number)))
        case .uint(let number): return .value(.double(Double(number)))
        case .string(let text):
            return Double(text).map { .value(.double($0)) } ?? .error("cannot convert \"\(text.prefix(64))\" to double")
        default: return noOverload(.double, argument)
        }
    }

    private static func toText(_ argument: ConditionValue) -> EvaluationResult {
        switch argument {
        case .string: return .value(argument)
        case .int(let number): return .value(.string(String(number)))
        case .uint(let number): return .value(.string(String(number)))
        case .double(let number): return .value(.string(String(number)))
        case .bool(let flag): return .value(.string(flag ? "true" : "false"))
        case .timestamp, .duration:
            guard case .string(let text) = argument.json else { return noOverload(.string, argument) }
            return .value(.string(text))
        default: return noOverload(.string, argument)
        }
    }
}
