/// A condition compiled at model-write time: type-checked, constant-folded, with parameters
/// resolved to slots. Evaluating it allocates nothing unless the expression builds values.
/// A class, so an evaluation holds one reference rather than copying every field.
final class ConditionProgram: Sendable {
    /// The root expression, of static type `bool` (or `dyn`, checked when evaluated).
    let root: CompiledExpression
    /// Parameter names by slot, in the order the expression first uses them.
    let parameterNames: [String]
    /// Declared parameter types by slot.
    let parameterTypes: [ConditionType]
    /// Whether the parameter in a slot is reserved (`subject`, `agent`).
    let parameterIsReserved: [Bool]

    init(root: CompiledExpression, parameterNames: [String], parameterTypes: [ConditionType], parameterIsReserved: [Bool]) {
        self.root = root
        self.parameterNames = parameterNames
        self.parameterTypes = parameterTypes
        self.parameterIsReserved = parameterIsReserved
    }

    /// Parses and type-checks `expression`; the result must be a `bool`.
    static func compile(expression: String, parameters: [String: ConditionType]) throws(ConditionCompileError) -> ConditionProgram {
        let syntax = try ConditionParser.parse(expression)
        var checker = ConditionTypeChecker(parameters: parameters)
        let typed = try checker.check(syntax, depth: 1)
        guard typed.type == .bool || typed.type == .dynamic else {
            throw ConditionCompileError(offset: 0, message: "a condition must evaluate to bool, but this expression has type \(typed.type)")
        }
        return ConditionProgram(
            root: typed.expression,
            parameterNames: checker.slotNames,
            parameterTypes: checker.slotNames.map { parameters[$0]! },
            parameterIsReserved: checker.slotNames.map { ConditionDefinition.reservedParameterNames.contains($0) })
    }

    /// Evaluates the condition. Parameters resolve from the tuple's context first, then (for
    /// `subject` and `agent`) the reserved parameters, then the request context.
    func evaluate(
        tupleContext: [String: ConditionValue], reservedParameters: [String: ConditionValue],
        requestContext: [String: ConditionValue], costLimit: Int
    ) -> ConditionOutcome {
        var evaluator = ConditionEvaluator(
            program: self, tupleContext: tupleContext, reservedParameters: reservedParameters,
            requestContext: requestContext, remainingCost: costLimit)
        let result = evaluator.evaluate(root)
        if evaluator.costExceeded { return .costExceeded }
        switch result {
        case .value(.bool(true)): return .satisfied
        case .value(.bool(false)): return .unsatisfied
        case .value(let other): return .failed("the condition produced \(other.kindName), not bool")
        case .unknown(let names): return .missing(names)
        case .error(let message): return .failed(message)
        }
    }
}

/// The result of evaluating a condition.
enum ConditionOutcome: Sendable, Equatable {
    case satisfied
    case unsatisfied
    /// The answer depended on parameters present in no context (sorted, unique).
    case missing([String])
    /// Evaluation failed: a runtime type mismatch, overflow, division by zero, missing key, bad value.
    case failed(String)
    /// The evaluation ran out of its cost budget.
    case costExceeded
}

/// A type-checked expression tree, ready to evaluate.
indirect enum CompiledExpression: Sendable {
    case constant(ConditionValue)
    /// A parameter by slot in `ConditionProgram.parameterNames`.
    case parameter(Int)
    case list([CompiledExpression])
    case map(keys: [CompiledExpression], values: [CompiledExpression])
    case not(CompiledExpression)
    case negate(CompiledExpression)
    case and(CompiledExpression, CompiledExpression)
    case or(CompiledExpression, CompiledExpression)
    case conditional(CompiledExpression, then: CompiledExpression, otherwise: CompiledExpression)
    /// Arithmetic, comparison, equality and `in`.
    case binary(BinaryOperator, CompiledExpression, CompiledExpression)
    case select(CompiledExpression, field: String)
    /// `has(target.field)`: whether the map has the key.
    case has(CompiledExpression, field: String)
    case index(CompiledExpression, CompiledExpression)
    case function(ConditionFunction, CompiledExpression)

    var constantValue: ConditionValue? {
        if case .constant(let value) = self { return value }
        return nil
    }
}

/// The one-argument functions of the subset.
enum ConditionFunction: String, Sendable, CaseIterable {
    case size, int, uint, double, string, timestamp, duration
}
