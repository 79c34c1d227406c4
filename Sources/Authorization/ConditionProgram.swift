/// A condition compiled at model-write time: type-checked, constant-folded, with parameters
/// resolved to slots, and flattened into an instruction array whose operands are plain indexes,
/// so evaluation switches over integers and retains nothing per step. A class, so an evaluation
/// holds one reference rather than copying every field.
final class ConditionProgram: Sendable {
    /// The root expression as a tree (kept for inspection; evaluation uses the flat form).
    let root: CompiledExpression
    /// Parameter names by slot, in the order the expression first uses them.
    let parameterNames: [String]
    /// Declared parameter types by slot.
    let parameterTypes: [ConditionType]
    /// Whether the parameter in a slot is reserved (`subject`, `agent`).
    let parameterIsReserved: [Bool]
    /// The flattened expression: every operand precedes its user; the last one is the root.
    let instructions: [ConditionInstruction]
    /// Child indexes of list and map instructions (maps alternate key and value).
    let operands: [Int]
    /// Constant values by index.
    let constants: [ConditionValue]
    /// Field names of selections by index.
    let fields: [String]

    init(root: CompiledExpression, parameterNames: [String], parameterTypes: [ConditionType], parameterIsReserved: [Bool]) {
        self.root = root
        self.parameterNames = parameterNames
        self.parameterTypes = parameterTypes
        self.parameterIsReserved = parameterIsReserved
        var flattener = ConditionFlattener()
        _ = flattener.add(root)
        instructions = flattener.instructions
        operands = flattener.operands
        constants = flattener.constants
        fields = flattener.fields
    }

    /// The index of the root instruction.
    var rootIndex: Int { instructions.count - 1 }

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

    /// Evaluates the condition. Parameters resolve from the tuple's context first, then the
    /// request context; `subject` and `agent` resolve from the reserved parameters only.
    func evaluate(
        tupleContext: [String: ConditionValue], reservedParameters: [String: ConditionValue],
        requestContext: [String: ConditionValue], costLimit: Int
    ) -> ConditionOutcome {
        var evaluator = ConditionEvaluator(
            program: self, tupleContext: tupleContext, reservedParameters: reservedParameters,
            requestContext: requestContext, remainingCost: costLimit)
        let result = evaluator.evaluate(rootIndex)
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

/// One step of a flattened program. Operands are indexes of earlier instructions (or of
/// `operands`, `constants`, `fields`), so instructions hold no references.
enum ConditionInstruction: Sendable {
    case constant(Int)
    case parameter(Int)
    /// Elements are `operands[first..<first + count]`.
    case list(first: Int, count: Int)
    /// Entries are `count` key/value pairs from `operands[first...]`.
    case map(first: Int, count: Int)
    case not(Int)
    case negate(Int)
    case and(Int, Int)
    case or(Int, Int)
    case conditional(Int, then: Int, otherwise: Int)
    case binary(BinaryOperator, Int, Int)
    case select(Int, field: Int)
    case has(Int, field: Int)
    case index(Int, Int)
    case function(ConditionFunction, Int)
}

/// Flattens a compiled tree into instructions in post-order.
struct ConditionFlattener {
    private(set) var instructions: [ConditionInstruction] = []
    private(set) var operands: [Int] = []
    private(set) var constants: [ConditionValue] = []
    private(set) var fields: [String] = []

    /// Appends `expression` (after its operands) and returns its instruction index.
    mutating func add(_ expression: CompiledExpression) -> Int {
        let instruction: ConditionInstruction
        switch expression {
        case .constant(let value):
            constants.append(value)
            instruction = .constant(constants.count - 1)
        case .parameter(let slot): instruction = .parameter(slot)
        case .list(let elements):
            let children = elements.map { add($0) }
            instruction = .list(first: operands.count, count: children.count)
            operands += children
        case .map(let keys, let values):
            var children: [Int] = []
            for (key, value) in zip(keys, values) { children += [add(key), add(value)] }
            instruction = .map(first: operands.count, count: keys.count)
            operands += children
        case .not(let operand): instruction = .not(add(operand))
        case .negate(let operand): instruction = .negate(add(operand))
        case .and(let left, let right): instruction = .and(add(left), add(right))
        case .or(let left, let right): instruction = .or(add(left), add(right))
        case .conditional(let condition, let then, let otherwise):
            instruction = .conditional(add(condition), then: add(then), otherwise: add(otherwise))
        case .binary(let op, let left, let right): instruction = .binary(op, add(left), add(right))
        case .select(let target, let field): instruction = .select(add(target), field: fieldIndex(field))
        case .has(let target, let field): instruction = .has(add(target), field: fieldIndex(field))
        case .index(let target, let key): instruction = .index(add(target), add(key))
        case .function(let function, let argument): instruction = .function(function, add(argument))
        }
        instructions.append(instruction)
        return instructions.count - 1
    }

    private mutating func fieldIndex(_ name: String) -> Int {
        fields.append(name)
        return fields.count - 1
    }
}

/// The one-argument functions of the subset.
enum ConditionFunction: String, Sendable, CaseIterable {
    case size, int, uint, double, string, timestamp, duration
}
