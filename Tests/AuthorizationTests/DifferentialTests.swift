import JSON
import Testing

@testable import Authorization

/// Differential testing in the manner of Cedar: the production compiler, evaluator and checker
/// against the small reference implementations in this target, on thousands of random inputs
/// from fixed seeds. A failure names its case number; the case replays from the seed alone.
@Suite("Differential")
struct DifferentialTests {
    // MARK: - CEL

    static let expressionParameters: [String: ConditionType] = [
        "x": .int, "y": .int, "d": .double, "s": .string, "l": .list(.int), "v": .dynamic, "subject": .map(.dynamic),
    ]

    @Test("the CEL evaluator agrees with the reference on random expressions and contexts")
    func expressions() throws {
        var random = SplitMix64(seed: 0x00C0_FFEE)
        var outcomes: [String: Int] = [:]
        for caseNumber in 0..<4_000 {
            var generator = ExpressionGenerator(random: random)
            let expression = generator.bool(depth: 4)
            let tupleContext = generator.context()
            let requestContext = generator.context()
            let reserved: [String: ConditionValue] = generator.random.chance(4, in: 5) ? ["subject": generator.subjectAttributes()] : [:]
            random = generator.random
            let definition: ConditionDefinition
            do {
                definition = try ConditionDefinition(name: "c", expression: expression.source, parameters: Self.expressionParameters)
            } catch {
                Issue.record("case \(caseNumber): \(expression.source) was refused: \(error)")
                continue
            }
            let actual = definition.program.evaluate(
                tupleContext: tupleContext, reservedParameters: reserved, requestContext: requestContext, costLimit: 1_000_000)
            let expected = ReferenceEvaluator(types: Self.expressionParameters, tupleContext: tupleContext, reserved: reserved, request: requestContext)
                .evaluate(expression)
            let agrees: Bool
            switch (actual, expected) {
            case (.satisfied, .value(.bool(true))), (.unsatisfied, .value(.bool(false))): agrees = true
            case (.missing(let names), .unknown(let expectedNames)): agrees = Set(names) == expectedNames && names == names.sorted()
            case (.failed, .error): agrees = true
            case (.failed, .value(let value)): agrees = !(value == .bool(true) || value == .bool(false))
            default: agrees = false
            }
            #expect(agrees, "case \(caseNumber): \(expression.source) tuple \(tupleContext) request \(requestContext) reserved \(reserved): \(actual) vs \(expected)")
            outcomes[String(describing: actual).prefix { $0 != "(" }.description, default: 0] += 1
        }
        // Every kind of outcome must be exercised, or the comparison proves little.
        for kind in ["satisfied", "unsatisfied", "missing", "failed"] {
            #expect((outcomes[kind] ?? 0) >= 200, "only \(outcomes[kind] ?? 0) \(kind) outcomes")
        }
    }

    // MARK: - Checks

    @Test("the checker agrees with the reference on random models, tuples and contexts")
    func checks() throws {
        var random = SplitMix64(seed: 0x0005_EED5)
        var accepted = 0
        var verdicts: [String: Int] = [:]
        for modelNumber in 0..<600 {
            var generator = ModelGenerator(random: random)
            let (types, conditions) = generator.model()
            random = generator.random
            let model: AuthorizationModel
            do {
                model = try AuthorizationModel.parse(JSONParser.parse(generator.json(types: types, conditions: conditions)))
            } catch {
                continue
            }
            accepted += 1
            var tupleGenerator = TupleGenerator(random: random, types: types)
            let tuples = tupleGenerator.tuples()
            var store = TupleStore()
            for tuple in tuples { store.insert(tuple) }
            let reference = ReferenceChecker(types: types, conditions: conditions, tuples: store.allTuples(), maximumDepth: 4)
            let limits = CheckLimits(maximumDepth: 4, maximumDispatches: 1_000_000, maximumConditionCost: 10_000)
            for checkNumber in 0..<20 {
                let (user, relation, object) = tupleGenerator.checkTarget()
                let context = tupleGenerator.context()
                let actual = Checker.check(CheckRequest(user: user, relation: relation, object: object, context: context), model: model, tuples: store, limits: limits)
                let expected = reference.check(user: user, relation: relation, object: object, context: context)
                let agrees: Bool
                switch expected {
                case .granted: agrees = actual == CheckOutcome(allowed: true)
                case .denied: agrees = actual == CheckOutcome(allowed: false)
                case .unknown(let names): agrees = actual == CheckOutcome(allowed: false, missingParameters: names.sorted())
                case .failed: agrees = !actual.allowed && actual.failure != nil
                }
                #expect(agrees, "model \(modelNumber) check \(checkNumber): \(user) \(relation) \(object) \(context): \(actual) vs \(expected)")
                verdicts[String(describing: expected).prefix { $0 != "(" }.description, default: 0] += 1
            }
            random = tupleGenerator.random
        }
        #expect(accepted >= 300, "only \(accepted) random models were valid")
        for kind in ["granted", "denied", "unknown", "failed"] {
            #expect((verdicts[kind] ?? 0) >= 100, "only \(verdicts[kind] ?? 0) \(kind) verdicts")
        }
    }
}

// MARK: - Expression generation

/// Builds well-typed random expressions over the parameters `x y: int`, `d: double`,
/// `s: string`, `l: list<int>`, `v: dyn`, `subject: map<dyn>`, and random contexts for them.
struct ExpressionGenerator {
    var random: SplitMix64

    mutating func bool(depth: Int) -> ReferenceExpression {
        if depth == 0 { return random.chance(1, in: 3) ? .literal(.bool(random.chance(1, in: 2))) : comparison(depth: 0) }
        switch random.below(11) {
        case 0, 1: return comparison(depth: depth - 1)
        case 2: return .binary("&&", bool(depth: depth - 1), bool(depth: depth - 1))
        case 3: return .binary("||", bool(depth: depth - 1), bool(depth: depth - 1))
        case 4: return .not(bool(depth: depth - 1))
        case 5: return .binary("in", integer(depth: depth - 1), list(depth: depth - 1))
        case 6: return .has(.parameter("subject"), random.pick(["limit", "flag", "name"]))
        case 7: return .conditional(bool(depth: depth - 1), bool(depth: depth - 1), bool(depth: depth - 1))
        case 8: return .binary(random.pick(["==", "!=", "<", ">="]), dynamic(), integer(depth: depth - 1))
        case 9: return random.chance(1, in: 2) ? .select(.parameter("subject"), "flag") : .parameter("v")
        default: return .binary(random.pick(["==", "<", ">"]), string(depth: depth - 1), string(depth: depth - 1))
        }
    }

    private mutating func comparison(depth: Int) -> ReferenceExpression {
        let op = random.pick(["==", "!=", "<", "<=", ">", ">="])
        switch random.below(3) {
        case 0: return .binary(op, integer(depth: depth), integer(depth: depth))
        case 1: return .binary(op, integer(depth: depth), double(depth: depth))
        default: return .binary(op, double(depth: depth), double(depth: depth))
        }
    }

    mutating func integer(depth: Int) -> ReferenceExpression {
        if depth == 0 || random.chance(1, in: 4) {
            switch random.below(6) {
            case 0: return .parameter("x")
            case 1: return .parameter("y")
            case 2: return .literal(.int(random.chance(1, in: 2) ? Int64.max - Int64(random.below(3)) : Int64.min + Int64(random.below(3))))
            default: return .literal(.int(Int64(random.below(41)) - 20))
            }
        }
        switch random.below(6) {
        case 0, 1: return .binary(random.pick(["+", "-", "*", "/", "%"]), integer(depth: depth - 1), integer(depth: depth - 1))
        case 2: return .negate(integer(depth: depth - 1))
        case 3: return random.chance(1, in: 2) ? .size(list(depth: depth - 1)) : .size(string(depth: depth - 1))
        case 4: return .conditional(bool(depth: depth - 1), integer(depth: depth - 1), integer(depth: depth - 1))
        default: return .index(list(depth: depth - 1), integer(depth: depth - 1))
        }
    }

    mutating func double(depth: Int) -> ReferenceExpression {
        if depth == 0 || random.chance(1, in: 3) {
            return random.chance(1, in: 2) ? .parameter("d") : .literal(.double(Double(random.below(81) - 40) * 0.25))
        }
        switch random.below(3) {
        case 0: return .binary(random.pick(["+", "-", "*", "/"]), double(depth: depth - 1), double(depth: depth - 1))
        case 1: return .negate(double(depth: depth - 1))
        default: return .conditional(bool(depth: depth - 1), double(depth: depth - 1), double(depth: depth - 1))
        }
    }

    mutating func string(depth: Int) -> ReferenceExpression {
        if depth == 0 || random.chance(1, in: 2) {
            return random.chance(1, in: 3) ? .parameter("s") : .literal(.string(random.pick(["", "a", "b", "ab", "é"])))
        }
        return .binary("+", string(depth: depth - 1), string(depth: depth - 1))
    }

    mutating func list(depth: Int) -> ReferenceExpression {
        if depth == 0 || random.chance(1, in: 3) {
            return random.chance(1, in: 2) ? .parameter("l") : .list((0..<random.below(4)).map { _ in .literal(.int(Int64(random.below(11) - 5))) })
        }
        if random.chance(1, in: 2) { return .binary("+", list(depth: depth - 1), list(depth: depth - 1)) }
        return .list((0..<random.below(3)).map { _ in integer(depth: depth - 1) })
    }

    private mutating func dynamic() -> ReferenceExpression {
        random.chance(1, in: 2) ? .parameter("v") : .select(.parameter("subject"), random.pick(["limit", "flag", "name"]))
    }

    /// Some of the parameters, sometimes with values of the wrong kind.
    mutating func context() -> [String: ConditionValue] {
        var context: [String: ConditionValue] = [:]
        if random.chance(2, in: 3) { context["x"] = numberOrJunk() }
        if random.chance(2, in: 3) { context["y"] = numberOrJunk() }
        if random.chance(2, in: 3) { context["d"] = random.chance(9, in: 10) ? .double(Double(random.below(41) - 20) * 0.5) : .int(Int64(random.below(5))) }
        if random.chance(2, in: 3) { context["s"] = .string(random.pick(["", "a", "b", "ab"])) }
        if random.chance(2, in: 3) { context["l"] = random.chance(9, in: 10) ? .list((0..<random.below(4)).map { _ in .int(Int64(random.below(11) - 5)) }) : .list([.string("a")]) }
        if random.chance(2, in: 3) { context["v"] = anyValue() }
        return context
    }

    private mutating func numberOrJunk() -> ConditionValue {
        switch random.below(12) {
        case 0: return .double(Double(random.below(10)))
        case 1: return .double(2.5)
        case 2: return .string("7")
        default: return .int(Int64(random.below(21) - 10))
        }
    }

    private mutating func anyValue() -> ConditionValue {
        switch random.below(5) {
        case 0: return .int(Int64(random.below(11) - 5))
        case 1: return .double(Double(random.below(11) - 5) * 0.5)
        case 2: return .string(random.pick(["a", "b"]))
        case 3: return .bool(random.chance(1, in: 2))
        default: return .list([.int(1), .int(2)])
        }
    }

    /// A `subject` attribute map, with some attributes missing.
    mutating func subjectAttributes() -> ConditionValue {
        var attributes: [String: ConditionValue] = [:]
        if random.chance(3, in: 4) { attributes["limit"] = anyValue() }
        if random.chance(3, in: 4) { attributes["flag"] = random.chance(4, in: 5) ? .bool(random.chance(1, in: 2)) : anyValue() }
        if random.chance(1, in: 2) { attributes["name"] = .string(random.pick(["a", "b"])) }
        return .map(attributes)
    }
}
