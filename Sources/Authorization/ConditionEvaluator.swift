/// Evaluates a compiled condition over the three contexts, with a cost budget.
///
/// Missing parameters make a result unknown rather than failing outright, and `&&`, `||` and
/// `?:` absorb unknowns and errors the way CEL does: `false && x` is false and `true || x` is
/// true whatever `x` is. Elsewhere an unknown operand makes the result unknown (names merged)
/// and otherwise an error operand makes it an error (the left one first); both operands of
/// strict operators are evaluated so the outcome does not depend on evaluation order.
struct ConditionEvaluator {
    /// The program being evaluated; nil when folding constants (which have no parameters).
    private let program: ConditionProgram?
    private let tupleContext: [String: ConditionValue]
    private let reservedParameters: [String: ConditionValue]
    private let requestContext: [String: ConditionValue]
    private var remainingCost: Int
    /// Set when the budget ran out; the result is then meaningless.
    private(set) var costExceeded = false

    init(
        program: ConditionProgram, tupleContext: [String: ConditionValue], reservedParameters: [String: ConditionValue],
        requestContext: [String: ConditionValue], remainingCost: Int
    ) {
        self.program = program
        self.tupleContext = tupleContext
        self.reservedParameters = reservedParameters
        self.requestContext = requestContext
        self.remainingCost = remainingCost
    }

    /// An evaluator with no parameters, for folding constants at compile time.
    private init(constantBudget: Int) {
        program = nil
        tupleContext = [:]
        reservedParameters = [:]
        requestContext = [:]
        remainingCost = constantBudget
    }

    // MARK: - Constant folding

    /// Cost allowed when folding one constant node at compile time.
    static let constantFoldingBudget = 100_000

    static func hasOnlyConstantOperands(_ expression: CompiledExpression) -> Bool {
        switch expression {
        case .constant, .parameter: return false
        case .list(let elements): return elements.allSatisfy { $0.constantValue != nil }
        case .map(let keys, let values): return (keys + values).allSatisfy { $0.constantValue != nil }
        case .not(let operand), .negate(let operand), .select(let operand, _), .has(let operand, _), .function(_, let operand):
            return operand.constantValue != nil
        case .and(let left, let right), .or(let left, let right), .binary(_, let left, let right), .index(let left, let right):
            return left.constantValue != nil && right.constantValue != nil
        case .conditional(let condition, let then, let otherwise):
            return condition.constantValue != nil && then.constantValue != nil && otherwise.constantValue != nil
        }
    }

    /// The value of a parameter-free expression, or nil when it fails.
    static func evaluateConstant(_ expression: CompiledExpression) -> ConditionValue? {
        var evaluator = ConditionEvaluator(constantBudget: constantFoldingBudget)
        guard case .value(let value) = evaluator.evaluate(expression), !evaluator.costExceeded else { return nil }
        return value
    }

    // MARK: - Evaluation

    mutating func evaluate(_ expression: CompiledExpression) -> EvaluationResult {
        guard charge(1) else { return .error("cost limit exceeded") }
        switch expression {
        case .constant(let value): return .value(value)
        case .parameter(let slot): return parameter(slot)
        case .list(let elements): return list(elements)
        case .map(let keys, let values): return map(keys: keys, values: values)
        case .not(let operand):
            let result = evaluate(operand)
            guard case .value(let value) = result else { return result }
            guard case .bool(let flag) = value else { return .error("no such overload: !\(value.kindName)") }
            return .value(.bool(!flag))
        case .negate(let operand):
            return Self.strict(evaluate(operand)) { ConditionOperations.negate($0) }
        case .and(let left, let right): return logical(left, right, decisive: false)
        case .or(let left, let right): return logical(left, right, decisive: true)
        case .conditional(let condition, let then, let otherwise):
            let result = evaluate(condition)
            guard case .value(let value) = result else { return result }
            guard case .bool(let flag) = value else { return .error("the condition of '?:' is \(value.kindName), not bool") }
            return evaluate(flag ? then : otherwise)
        case .binary(let op, let left, let right):
            return binary(op, evaluate(left), evaluate(right))
        case .select(let target, let field):
            return Self.strict(evaluate(target)) { ConditionOperations.select($0, field: field) }
        case .has(let target, let field):
            return Self.strict(evaluate(target)) { ConditionOperations.has($0, field: field) }
        case .index(let target, let key):
            let targetResult = evaluate(target)
            return Self.strict(targetResult, evaluate(key)) { ConditionOperations.index($0, $1) }
        case .function(let function, let argument):
            return Self.strict(evaluate(argument)) { value in
                if case .string(let text) = value { _ = charge(text.utf8.count / 64) }
                return ConditionOperations.apply(function, value)
            }
        }
    }

    /// Spends `units` of the budget; false (and `costExceeded`) when it runs out.
    private mutating func charge(_ units: Int) -> Bool {
        remainingCost -= units
        if remainingCost < 0 { costExceeded = true }
        return !costExceeded
    }

    /// A parameter from the tuple context, then the reserved parameters, then the request
    /// context, converted to its declared type.
    private func parameter(_ slot: Int) -> EvaluationResult {
        guard let program else { return .error("internal: a constant expression has no parameters") }
        let name = program.parameterNames[slot]
        var found = tupleContext.isEmpty ? nil : tupleContext[name]
        if found == nil, program.parameterIsReserved[slot] { found = reservedParameters[name] }
        if found == nil, !requestContext.isEmpty { found = requestContext[name] }
        guard let raw = found else { return .unknown([name]) }
        let type = program.parameterTypes[slot]
        guard let value = raw.coerced(to: type) else {
            return .error("parameter '\(name)' must be \(type), found \(raw.briefDescription)")
        }
        return .value(value)
    }

    // MARK: - Operators

    /// `&&` (decisive value false) and `||` (decisive value true), with CEL's absorption.
    private mutating func logical(_ left: CompiledExpression, _ right: CompiledExpression, decisive: Bool) -> EvaluationResult {
        let leftResult = booleanOperand(evaluate(left))
        if case .value(.bool(let flag)) = leftResult, flag == decisive { return leftResult }
        let rightResult = booleanOperand(evaluate(right))
        if case .value(.bool(let flag)) = rightResult, flag == decisive { return rightResult }
        if case .value = leftResult, case .value = rightResult { return .value(.bool(!decisive)) }
        return Self.undecided(leftResult, rightResult) ?? .value(.bool(!decisive))
    }

    /// A non-bool value where a bool is needed is an error.
    private func booleanOperand(_ result: EvaluationResult) -> EvaluationResult {
        if case .value(let value) = result, case .bool = value { return result }
        if case .value(let value) = result { return .error("no such overload: logical operator on \(value.kindName)") }
        return result
    }

    private mutating func binary(_ op: BinaryOperator, _ left: EvaluationResult, _ right: EvaluationResult) -> EvaluationResult {
        Self.strict(left, right) { a, b in
            _ = charge(Self.sizeCost(a) + Self.sizeCost(b))
            switch op {
            case .equal: return .value(.bool(ConditionOperations.equals(a, b)))
            case .notEqual: return .value(.bool(!ConditionOperations.equals(a, b)))
            case .less, .lessOrEqual, .greater, .greaterOrEqual: return ConditionOperations.relation(op, a, b)
            case .member: return ConditionOperations.membership(a, b)
            case .and, .or: return .error("internal: logical operator evaluated strictly")
            case .add, .subtract, .multiply, .divide, .remainder: return ConditionOperations.arithmetic(op, a, b)
            }
        }
    }

    private mutating func list(_ elements: [CompiledExpression]) -> EvaluationResult {
        var values: [ConditionValue] = []
        values.reserveCapacity(elements.count)
        var pending: EvaluationResult?
        for element in elements {
            let result = evaluate(element)
            if case .value(let value) = result { values.append(value) }
            pending = Self.accumulate(pending, result)
        }
        return pending ?? .value(.list(values))
    }

    private mutating func map(keys: [CompiledExpression], values: [CompiledExpression]) -> EvaluationResult {
        var members: [String: ConditionValue] = [:]
        var pending: EvaluationResult?
        for (keyExpression, valueExpression) in zip(keys, values) {
            let key = evaluate(keyExpression)
            let value = evaluate(valueExpression)
            pending = Self.accumulate(Self.accumulate(pending, key), value)
            guard case .value(let keyValue) = key, case .value(let member) = value else { continue }
            guard case .string(let name) = keyValue else {
                pending = Self.accumulate(pending, .error("map keys must be strings, found \(keyValue.kindName)"))
                continue
            }
            if members.updateValue(member, forKey: name) != nil {
                pending = Self.accumulate(pending, .error("duplicate map key '\(name.prefix(64))'"))
            }
        }
        return pending ?? .value(.map(members))
    }

    // MARK: - Combining results

    private static func strict(_ operand: EvaluationResult, _ body: (ConditionValue) -> EvaluationResult) -> EvaluationResult {
        guard case .value(let value) = operand else { return operand }
        return body(value)
    }

    private static func strict(
        _ left: EvaluationResult, _ right: EvaluationResult, _ body: (ConditionValue, ConditionValue) -> EvaluationResult
    ) -> EvaluationResult {
        guard case .value(let a) = left, case .value(let b) = right else { return Self.undecided(left, right)! }
        return body(a, b)
    }

    /// The pending unknown or error after `result`, which wins over a pending error when unknown.
    static func accumulate(_ pending: EvaluationResult?, _ result: EvaluationResult) -> EvaluationResult? {
        if case .value = result { return pending }
        return undecided(pending ?? result, result)
    }

    /// For two results not both values: unknown (names merged) if either is unknown, else the
    /// first error. Nil when both are values.
    static func undecided(_ left: EvaluationResult, _ right: EvaluationResult) -> EvaluationResult? {
        switch (left, right) {
        case (.unknown(let a), .unknown(let b)): return .unknown(Verdict.mergeNames(a, b))
        case (.unknown, _): return left
        case (_, .unknown): return right
        case (.error, _): return left
        case (_, .error): return right
        default: return nil
        }
    }

    /// Extra cost of an operation on large operands (long strings, big lists and maps).
    static func sizeCost(_ value: ConditionValue) -> Int {
        switch value {
        case .string(let text): return text.utf8.count / 64
        case .list(let elements): return elements.count
        case .map(let members): return members.count
        default: return 0
        }
    }
}
