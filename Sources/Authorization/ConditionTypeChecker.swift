/// An expression with its static type.
struct TypedExpression {
    let expression: CompiledExpression
    let type: ConditionType
}

/// Type-checks CEL syntax against declared parameters and compiles it.
///
/// Static rules follow CEL: no implicit numeric conversion in arithmetic (`int + double` is an
/// error), but comparisons and equality across int, uint and double are allowed (CEL's
/// heterogeneous numeric comparison). A `dyn` operand defers the check to evaluation. Subtrees
/// whose operands are all constants are folded here, so literal lists and `duration("1h")`
/// cost nothing per check.
struct ConditionTypeChecker {
    let parameters: [String: ConditionType]
    /// Parameter names by slot, in first-use order.
    private(set) var slotNames: [String] = []

    init(parameters: [String: ConditionType]) { self.parameters = parameters }

    mutating func check(_ syntax: ConditionSyntax, depth: Int) throws(ConditionCompileError) -> TypedExpression {
        guard depth <= ConditionParser.maximumDepth else {
            throw ConditionCompileError(offset: syntax.offset, message: "expression nests deeper than \(ConditionParser.maximumDepth) levels")
        }
        switch syntax {
        case .literal(let value, _):
            return TypedExpression(expression: .constant(value), type: Self.staticType(of: value))
        case .identifier(let name, let offset):
            return try parameter(name, offset: offset)
        case .list(let elements, _):
            var compiled: [CompiledExpression] = []
            var elementType: ConditionType?
            for element in elements {
                let typed = try check(element, depth: depth + 1)
                compiled.append(typed.expression)
                elementType = elementType.map { Self.unify($0, typed.type) } ?? typed.type
            }
            return folded(.list(compiled), type: .list(elementType ?? .dynamic))
        case .map(let entries, _):
            return try mapLiteral(entries, depth: depth)
        case .unary(let op, let operand, let offset):
            return try unary(op, operand, offset: offset, depth: depth)
        case .binary(let op, let left, let right, let offset):
            return try binary(op, left, right, offset: offset, depth: depth)
        case .conditional(let condition, let then, let otherwise, let offset):
            let typedCondition = try check(condition, depth: depth + 1)
            try require(typedCondition.type, isOneOf: [.bool], for: "the condition of '?:'", offset: offset)
            let typedThen = try check(then, depth: depth + 1)
            let typedOtherwise = try check(otherwise, depth: depth + 1)
            return folded(
                .conditional(typedCondition.expression, then: typedThen.expression, otherwise: typedOtherwise.expression),
                type: Self.unify(typedThen.type, typedOtherwise.type))
        case .select(let target, let field, let offset):
            let typedTarget = try check(target, depth: depth + 1)
            return folded(.select(typedTarget.expression, field: field), type: try fieldType(of: typedTarget.type, field: field, offset: offset))
        case .index(let target, let key, let offset):
            return try index(target, key, offset: offset, depth: depth)
        case .call(let name, let target, let arguments, let offset):
            return try call(name, target: target, arguments: arguments, offset: offset, depth: depth)
        }
    }

    // MARK: - Leaves and aggregates

    private mutating func parameter(_ name: String, offset: Int) throws(ConditionCompileError) -> TypedExpression {
        guard let type = parameters[name] else {
            throw ConditionCompileError(offset: offset, message: "undeclared identifier '\(name)' (declare it as a parameter of the condition)")
        }
        let slot: Int
        if let existing = slotNames.firstIndex(of: name) {
            slot = existing
        } else {
            slot = slotNames.count
            slotNames.append(name)
        }
        return TypedExpression(expression: .parameter(slot), type: type)
    }

    private mutating func mapLiteral(_ entries: [(key: ConditionSyntax, value: ConditionSyntax)], depth: Int) throws(ConditionCompileError) -> TypedExpression {
        var keys: [CompiledExpression] = []
        var values: [CompiledExpression] = []
        var valueType: ConditionType?
        for entry in entries {
            let key = try check(entry.key, depth: depth + 1)
            try require(key.type, isOneOf: [.string], for: "a map key (maps have string keys)", offset: entry.key.offset)
            let value = try check(entry.value, depth: depth + 1)
            keys.append(key.expression)
            values.append(value.expression)
            valueType = valueType.map { Self.unify($0, value.type) } ?? value.type
        }
        return folded(.map(keys: keys, values: values), type: .map(valueType ?? .dynamic))
    }

    private mutating func unary(_ op: UnaryOperator, _ operand: ConditionSyntax, offset: Int, depth: Int) throws(ConditionCompileError) -> TypedExpression {
        let typed = try check(operand, depth: depth + 1)
        switch op {
        case .not:
            try require(typed.type, isOneOf: [.bool], for: "'!'", offset: offset)
            return folded(.not(typed.expression), type: .bool)
        case .negate:
            try require(typed.type, isOneOf: [.int, .double], for: "unary '-'", offset: offset)
            return folded(.negate(typed.expression), type: typed.type)
        }
    }

    private mutating func index(_ target: ConditionSyntax, _ key: ConditionSyntax, offset: Int, depth: Int) throws(ConditionCompileError) -> TypedExpression {
        let typedTarget = try check(target, depth: depth + 1)
        let typedKey = try check(key, depth: depth + 1)
        let resultType: ConditionType
        switch typedTarget.type {
        case .list(let element):
            try require(typedKey.type, isOneOf: [.int, .uint], for: "a list index", offset: key.offset)
            resultType = element
        case .map(let value):
            try require(typedKey.type, isOneOf: [.string], for: "a map key", offset: key.offset)
            resultType = value
        case .dynamic:
            resultType = .dynamic
        default:
            throw ConditionCompileError(offset: offset, message: "cannot index a value of type \(typedTarget.type)")
        }
        return folded(.index(typedTarget.expression, typedKey.expression), type: resultType)
    }

    private func fieldType(of type: ConditionType, field: String, offset: Int) throws(ConditionCompileError) -> ConditionType {
        switch type {
        case .map(let value): return value
        case .dynamic: return .dynamic
        default: throw ConditionCompileError(offset: offset, message: "field selection '.\(field)' needs a map, found \(type)")
        }
    }

    // MARK: - Binary operators

    private mutating func binary(
        _ op: BinaryOperator, _ left: ConditionSyntax, _ right: ConditionSyntax, offset: Int, depth: Int
    ) throws(ConditionCompileError) -> TypedExpression {
        let typedLeft = try check(left, depth: depth + 1)
        let typedRight = try check(right, depth: depth + 1)
        let (leftType, rightType) = (typedLeft.type, typedRight.type)
        let resultType: ConditionType
        switch op {
        case .and, .or:
            try require(leftType, isOneOf: [.bool], for: "'\(op.rawValue)'", offset: left.offset)
            try require(rightType, isOneOf: [.bool], for: "'\(op.rawValue)'", offset: right.offset)
            let expression: CompiledExpression = op == .and
                ? .and(typedLeft.expression, typedRight.expression) : .or(typedLeft.expression, typedRight.expression)
            return folded(expression, type: .bool)
        case .add, .subtract, .multiply, .divide, .remainder:
            guard let type = Self.arithmeticType(op, leftType, rightType) else {
                throw ConditionCompileError(offset: offset, message: "no overload of '\(op.rawValue)' for (\(leftType), \(rightType))")
            }
            resultType = type
        case .equal, .notEqual:
            guard Self.areComparableForEquality(leftType, rightType) else {
                throw ConditionCompileError(offset: offset, message: "cannot compare \(leftType) and \(rightType) with '\(op.rawValue)'")
            }
            resultType = .bool
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard Self.areOrderable(leftType, rightType) else {
                throw ConditionCompileError(offset: offset, message: "cannot order \(leftType) and \(rightType) with '\(op.rawValue)'")
            }
            resultType = .bool
        case .member:
            try checkMembership(leftType, rightType, offset: offset)
            resultType = .bool
        }
        return folded(.binary(op, typedLeft.expression, typedRight.expression), type: resultType)
    }

    private func checkMembership(_ element: ConditionType, _ container: ConditionType, offset: Int) throws(ConditionCompileError) {
        switch container {
        case .list(let elementType):
            guard Self.areComparableForEquality(element, elementType) else {
                throw ConditionCompileError(offset: offset, message: "'in' compares \(element) with elements of type \(elementType)")
            }
        case .map:
            try require(element, isOneOf: [.string], for: "'in' on a map (keys are strings)", offset: offset)
        case .dynamic:
            return
        default:
            throw ConditionCompileError(offset: offset, message: "'in' needs a list or map on the right, found \(container)")
        }
    }

    /// The result type of an arithmetic operator, or nil when no overload applies.
    static func arithmeticType(_ op: BinaryOperator, _ left: ConditionType, _ right: ConditionType) -> ConditionType? {
        if left.isDynamic || right.isDynamic { return .dynamic }
        switch (op, left, right) {
        case (.add, .int, .int), (.subtract, .int, .int), (.multiply, .int, .int), (.divide, .int, .int), (.remainder, .int, .int):
            return .int
        case (.add, .uint, .uint), (.subtract, .uint, .uint), (.multiply, .uint, .uint), (.divide, .uint, .uint), (.remainder, .uint, .uint):
            return .uint
        case (.add, .double, .double), (.subtract, .double, .double), (.multiply, .double, .double), (.divide, .double, .double):
            return .double
        case (.add, .string, .string): return .string
        case (.add, .list(let a), .list(let b)): return .list(unify(a, b))
        case (.add, .timestamp, .duration), (.add, .duration, .timestamp), (.subtract, .timestamp, .duration): return .timestamp
        case (.add, .duration, .duration), (.subtract, .duration, .duration), (.subtract, .timestamp, .timestamp): return .duration
        default: return nil
        }
    }

    static func areComparableForEquality(_ left: ConditionType, _ right: ConditionType) -> Bool {
        switch (left, right) {
        case (.dynamic, _), (_, .dynamic), (.null, _), (_, .null): return true
        case (.list(let a), .list(let b)), (.map(let a), .map(let b)): return areComparableForEquality(a, b)
        default: return (left.isNumeric && right.isNumeric) || left == right
        }
    }

    static func areOrderable(_ left: ConditionType, _ right: ConditionType) -> Bool {
        let ordered: Set<ConditionType> = [.int, .uint, .double, .string, .bool, .timestamp, .duration]
        if left.isDynamic { return right.isDynamic || ordered.contains(right) }
        if right.isDynamic { return ordered.contains(left) }
        return (left.isNumeric && right.isNumeric) || (left == right && ordered.contains(left))
    }

    // MARK: - Helpers

    /// The common type of two branches or elements; `dyn` when they differ.
    static func unify(_ left: ConditionType, _ right: ConditionType) -> ConditionType {
        switch (left, right) {
        case (.list(let a), .list(let b)): return .list(unify(a, b))
        case (.map(let a), .map(let b)): return .map(unify(a, b))
        default: return left == right ? left : .dynamic
        }
    }

    static func staticType(of value: ConditionValue) -> ConditionType {
        switch value {
        case .null: return .null
        case .bool: return .bool
        case .int: return .int
        case .uint: return .uint
        case .double: return .double
        case .string: return .string
        case .timestamp: return .timestamp
        case .duration: return .duration
        case .list(let elements): return .list(commonType(of: elements))
        case .map(let members): return .map(commonType(of: Array(members.values)))
        }
    }

    /// The unified static type of some values; `dyn` for none.
    static func commonType(of values: [ConditionValue]) -> ConditionType {
        var common: ConditionType?
        for value in values {
            let type = staticType(of: value)
            common = common.map { unify($0, type) } ?? type
        }
        return common ?? .dynamic
    }

    func require(_ type: ConditionType, isOneOf allowed: [ConditionType], for role: String, offset: Int) throws(ConditionCompileError) {
        guard type.isDynamic || allowed.contains(type) else {
            let expected = allowed.map(\.description).joined(separator: " or ")
            throw ConditionCompileError(offset: offset, message: "\(role) needs \(expected), found \(type)")
        }
    }

    /// Replaces a node whose operands are all constants by its value, when evaluation succeeds;
    /// a failing constant subexpression stays, to fail only if evaluation reaches it.
    func folded(_ expression: CompiledExpression, type: ConditionType) -> TypedExpression {
        guard ConditionEvaluator.hasOnlyConstantOperands(expression),
            let value = ConditionEvaluator.evaluateConstant(expression)
        else { return TypedExpression(expression: expression, type: type) }
        return TypedExpression(expression: .constant(value), type: type)
    }
}

// MARK: - Calls

extension ConditionTypeChecker {
    /// The argument types each conversion accepts (besides `dyn`).
    static let acceptedArguments: [ConditionFunction: [ConditionType]] = [
        .size: [.string, .list(.dynamic), .map(.dynamic)],
        .int: [.int, .uint, .double, .string, .timestamp],
        .uint: [.int, .uint, .double, .string],
        .double: [.int, .uint, .double, .string],
        .string: [.int, .uint, .double, .string, .bool, .timestamp, .duration],
        .timestamp: [.string, .timestamp],
        .duration: [.string, .duration],
    ]

    static let resultTypes: [ConditionFunction: ConditionType] = [
        .size: .int, .int: .int, .uint: .uint, .double: .double, .string: .string, .timestamp: .timestamp, .duration: .duration,
    ]

    mutating func call(
        _ name: String, target: ConditionSyntax?, arguments: [ConditionSyntax], offset: Int, depth: Int
    ) throws(ConditionCompileError) -> TypedExpression {
        if name == "has", target == nil { return try has(arguments, offset: offset, depth: depth) }
        guard let function = ConditionFunction(rawValue: name), target == nil || function == .size else {
            throw ConditionCompileError(offset: offset, message: "unknown function '\(name)' (supported: size, has, int, uint, double, string, timestamp, duration)")
        }
        let operands = (target.map { [$0] } ?? []) + arguments
        guard operands.count == 1 else {
            throw ConditionCompileError(offset: offset, message: "'\(name)' takes exactly one argument")
        }
        let typed = try check(operands[0], depth: depth + 1)
        let accepted = Self.acceptedArguments[function]!
        let fits = typed.type.isDynamic || accepted.contains { candidate in
            switch (candidate, typed.type) {
            case (.list, .list), (.map, .map): return true
            default: return candidate == typed.type
            }
        }
        guard fits else {
            throw ConditionCompileError(offset: offset, message: "no overload of '\(name)' for \(typed.type)")
        }
        if let value = typed.expression.constantValue, function == .timestamp || function == .duration,
            ConditionEvaluator.evaluateConstant(.function(function, .constant(value))) == nil
        {
            throw ConditionCompileError(offset: operands[0].offset, message: "invalid \(name) literal \(value.briefDescription)")
        }
        return folded(.function(function, typed.expression), type: Self.resultTypes[function]!)
    }

    /// `has(map.field)`: the CEL presence test, which never fails on a missing key.
    private mutating func has(_ arguments: [ConditionSyntax], offset: Int, depth: Int) throws(ConditionCompileError) -> TypedExpression {
        guard arguments.count == 1, case .select(let target, let field, let selectOffset) = arguments[0] else {
            throw ConditionCompileError(offset: offset, message: "'has' takes one field selection, as in has(subject.on_duty)")
        }
        let typedTarget = try check(target, depth: depth + 1)
        _ = try fieldType(of: typedTarget.type, field: field, offset: selectOffset)
        return folded(.has(typedTarget.expression, field: field), type: .bool)
    }
}
