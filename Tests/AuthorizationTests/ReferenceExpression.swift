import Authorization

/// A fixed-seed generator (SplitMix64) so every differential case replays exactly from its seed.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Uniform in `0..<bound` (the modulo bias is irrelevant for test generation).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    /// True with probability `numerator / denominator`.
    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { below(denominator) < numerator }

    mutating func pick<Element>(_ elements: [Element]) -> Element { elements[below(elements.count)] }
}

/// The reference CEL subset: a syntax tree the generator builds, prints as source text for the
/// real compiler, and evaluates itself by the plain rules of the language (no short-circuits,
/// no folding, wide arithmetic with explicit range checks).
indirect enum ReferenceExpression: Sendable {
    case literal(ConditionValue)
    case parameter(String)
    case not(ReferenceExpression)
    case negate(ReferenceExpression)
    case binary(String, ReferenceExpression, ReferenceExpression)
    case conditional(ReferenceExpression, ReferenceExpression, ReferenceExpression)
    case list([ReferenceExpression])
    case size(ReferenceExpression)
    case select(ReferenceExpression, String)
    case has(ReferenceExpression, String)
    case index(ReferenceExpression, ReferenceExpression)

    /// CEL source, fully parenthesized so precedence never matters.
    var source: String {
        switch self {
        case .literal(let value): return Self.literalSource(value)
        case .parameter(let name): return name
        case .not(let operand): return "(!\(operand.source))"
        case .negate(let operand): return "(-\(operand.source))"
        case .binary(let op, let left, let right): return "(\(left.source) \(op) \(right.source))"
        case .conditional(let condition, let then, let otherwise): return "(\(condition.source) ? \(then.source) : \(otherwise.source))"
        case .list(let elements): return "[" + elements.map(\.source).joined(separator: ", ") + "]"
        case .size(let operand): return "size(\(operand.source))"
        case .select(let target, let field): return "\(target.source).\(field)"
        case .has(let target, let field): return "has(\(target.source).\(field))"
        case .index(let target, let key): return "\(target.source)[\(key.source)]"
        }
    }

    private static func literalSource(_ value: ConditionValue) -> String {
        switch value {
        case .int(let number): return number < 0 ? "(\(number))" : "\(number)"
        case .double(let number): return number < 0 ? "(\(number))" : "\(number)"
        case .string(let text): return "'\(text)'"
        case .bool(let flag): return flag ? "true" : "false"
        default: preconditionFailure("the generator makes no other literals")
        }
    }
}

/// What a reference evaluation produced.
enum ReferenceResult: Equatable {
    case value(ConditionValue)
    case unknown(Set<String>)
    case error
}

/// Evaluates reference expressions over the three contexts.
struct ReferenceEvaluator {
    let types: [String: ConditionType]
    let tupleContext: [String: ConditionValue]
    let reserved: [String: ConditionValue]
    let request: [String: ConditionValue]

    func evaluate(_ expression: ReferenceExpression) -> ReferenceResult {
        switch expression {
        case .literal(let value): return .value(value)
        case .parameter(let name): return parameter(name)
        case .not(let operand):
            return unary(evaluate(operand)) { value in
                guard case .bool(let flag) = value else { return .error }
                return .value(.bool(!flag))
            }
        case .negate(let operand):
            return unary(evaluate(operand)) { value in
                switch value {
                case .int(let number): return Self.integer(-Int128(number))
                case .double(let number): return .value(.double(-number))
                default: return .error
                }
            }
        case .binary("&&", let left, let right): return logical(evaluate(left), evaluate(right), decisive: false)
        case .binary("||", let left, let right): return logical(evaluate(left), evaluate(right), decisive: true)
        case .binary(let op, let left, let right):
            return both(evaluate(left), evaluate(right)) { Self.binary(op, $0, $1) }
        case .conditional(let condition, let then, let otherwise):
            let chosen = evaluate(condition)
            guard case .value(let value) = chosen else { return chosen }
            guard case .bool(let flag) = value else { return .error }
            return evaluate(flag ? then : otherwise)
        case .list(let elements):
            let results = elements.map(evaluate)
            if let undecided = results.reduce(nil, { Self.firstUndecided($0, $1) }) { return undecided }
            return .value(.list(results.map { if case .value(let value) = $0 { return value } else { return .null } }))
        case .size(let operand):
            return unary(evaluate(operand)) { value in
                switch value {
                case .list(let elements): return .value(.int(Int64(elements.count)))
                case .string(let text): return .value(.int(Int64(text.unicodeScalars.count)))
                case .map(let members): return .value(.int(Int64(members.count)))
                default: return .error
                }
            }
        case .select(let target, let field):
            return unary(evaluate(target)) { value in
                guard case .map(let members) = value, let member = members[field] else { return .error }
                return .value(member)
            }
        case .has(let target, let field):
            return unary(evaluate(target)) { value in
                guard case .map(let members) = value else { return .error }
                return .value(.bool(members[field] != nil))
            }
        case .index(let target, let key):
            return both(evaluate(target), evaluate(key)) { container, position in
                guard case .list(let elements) = container, case .int(let offset) = position, offset >= 0, offset < elements.count else { return .error }
                return .value(elements[Int(offset)])
            }
        }
    }

    // MARK: - Parameters

    private func parameter(_ name: String) -> ReferenceResult {
        let raw = tupleContext[name] ?? (name == "subject" || name == "agent" ? reserved[name] : nil) ?? request[name]
        guard let raw else { return .unknown([name]) }
        switch (types[name]!, raw) {
        case (.int, .int), (.double, .double), (.string, .string), (.dynamic, _), (.map, .map): return .value(raw)
        case (.int, .double(let number)):
            guard number == number.rounded(), abs(number) < 9e18 else { return .error }
            return .value(.int(Int64(number)))
        case (.double, .int(let number)): return .value(.double(Double(number)))
        case (.list(.int), .list(let elements)):
            var converted: [ConditionValue] = []
            for element in elements {
                guard case .int = element else { return .error }
                converted.append(element)
            }
            return .value(.list(converted))
        default: return .error
        }
    }

    // MARK: - Combining

    /// Unknowns merge and outrank errors.
    static func firstUndecided(_ left: ReferenceResult?, _ right: ReferenceResult) -> ReferenceResult? {
        switch (left, right) {
        case (.unknown(let a)?, .unknown(let b)): return .unknown(a.union(b))
        case (.unknown?, _): return left
        case (_, .unknown): return right
        case (.error?, _): return left
        case (_, .error): return .error
        default: return left
        }
    }

    private func unary(_ operand: ReferenceResult, _ body: (ConditionValue) -> ReferenceResult) -> ReferenceResult {
        guard case .value(let value) = operand else { return operand }
        return body(value)
    }

    private func both(_ left: ReferenceResult, _ right: ReferenceResult, _ body: (ConditionValue, ConditionValue) -> ReferenceResult) -> ReferenceResult {
        guard case .value(let a) = left, case .value(let b) = right else { return Self.firstUndecided(left, right)! }
        return body(a, b)
    }

    /// `&&` (decisive false) and `||` (decisive true): the decisive value wins over anything.
    private func logical(_ left: ReferenceResult, _ right: ReferenceResult, decisive: Bool) -> ReferenceResult {
        func asBool(_ result: ReferenceResult) -> ReferenceResult {
            if case .value(let value) = result, case .bool = value { return result }
            if case .value = result { return .error }
            return result
        }
        let (a, b) = (asBool(left), asBool(right))
        if a == .value(.bool(decisive)) || b == .value(.bool(decisive)) { return .value(.bool(decisive)) }
        if case .value = a, case .value = b { return .value(.bool(!decisive)) }
        return Self.firstUndecided(a, b)!
    }

    // MARK: - Operators

    static func integer(_ wide: Int128) -> ReferenceResult {
        guard wide >= Int128(Int64.min), wide <= Int128(Int64.max) else { return .error }
        return .value(.int(Int64(wide)))
    }

    static func binary(_ op: String, _ left: ConditionValue, _ right: ConditionValue) -> ReferenceResult {
        switch op {
        case "==": return .value(.bool(equal(left, right)))
        case "!=": return .value(.bool(!equal(left, right)))
        case "<", "<=", ">", ">=": return order(op, left, right)
        case "in":
            guard case .list(let elements) = right else { return .error }
            return .value(.bool(elements.contains { equal(left, $0) }))
        default: return arithmetic(op, left, right)
        }
    }

    private static func arithmetic(_ op: String, _ left: ConditionValue, _ right: ConditionValue) -> ReferenceResult {
        switch (left, right) {
        case (.int(let a), .int(let b)):
            let (x, y) = (Int128(a), Int128(b))
            switch op {
            case "+": return integer(x + y)
            case "-": return integer(x - y)
            case "*": return integer(x * y)
            case "/": return y == 0 ? .error : integer(x / y)
            // CEL (as cel-go does) reports Int64.min % -1 as an overflow, though the wide remainder is 0.
            default: return y == 0 || (a == Int64.min && b == -1) ? .error : integer(x % y)
            }
        case (.double(let a), .double(let b)):
            switch op {
            case "+": return .value(.double(a + b))
            case "-": return .value(.double(a - b))
            case "*": return .value(.double(a * b))
            case "/": return .value(.double(a / b))
            default: return .error
            }
        case (.string(let a), .string(let b)) where op == "+": return .value(.string(a + b))
        case (.list(let a), .list(let b)) where op == "+": return .value(.list(a + b))
        default: return .error
        }
    }

    /// The sign of `left - right` for two numbers (int or double), nil when either is not a number
    /// and `.some(nil)` when unordered (NaN). An int and a double compare through the double unless
    /// the int rounds onto it, in which case that double is integral and compares exactly.
    private static func numericSign(_ left: ConditionValue, _ right: ConditionValue) -> Int?? {
        func sign<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
        switch (left, right) {
        case (.int(let a), .int(let b)): return sign(a, b)
        case (.double(let a), .double(let b)): return a.isNaN || b.isNaN ? .some(nil) : sign(a, b)
        case (.int(let a), .double(let b)):
            if b.isNaN { return .some(nil) }
            return Double(a) == b ? sign(Int128(a), Int128(b)) : sign(Double(a), b)
        case (.double, .int):
            guard let flipped = numericSign(right, left) else { return nil }
            return flipped.map { -$0 }
        default: return nil
        }
    }

    static func equal(_ left: ConditionValue, _ right: ConditionValue) -> Bool {
        if let sign = numericSign(left, right) { return sign == 0 }
        switch (left, right) {
        case (.string(let a), .string(let b)): return Array(a.utf8) == Array(b.utf8)
        case (.bool(let a), .bool(let b)): return a == b
        case (.list(let a), .list(let b)): return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.null, .null): return true
        default: return false
        }
    }

    private static func order(_ op: String, _ left: ConditionValue, _ right: ConditionValue) -> ReferenceResult {
        let sign: Int
        if let numeric = numericSign(left, right) {
            guard let known = numeric else { return .value(.bool(false)) }
            sign = known
        } else if case .string(let a) = left, case .string(let b) = right {
            let (x, y) = (Array(a.utf8), Array(b.utf8))
            sign = x == y ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
        } else if case .bool(let a) = left, case .bool(let b) = right {
            sign = a == b ? 0 : (a ? 1 : -1)
        } else {
            return .error
        }
        switch op {
        case "<": return .value(.bool(sign < 0))
        case "<=": return .value(.bool(sign <= 0))
        case ">": return .value(.bool(sign > 0))
        default: return .value(.bool(sign >= 0))
        }
    }
}
