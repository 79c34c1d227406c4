import Testing

@testable import Authorization

/// Unit tests of the CEL subset: one group per rule of the language, the type checker and the evaluator.
@Suite("Conditions")
struct ConditionTests {
    static let maximumInt = Int64.max

    /// Compiles and evaluates `expression`; a compile error fails the test.
    private func evaluate(
        _ expression: String, _ parameters: [String: ConditionType] = [:], context: [String: ConditionValue] = [:],
        tupleContext: [String: ConditionValue] = [:], reserved: [String: ConditionValue] = [:], cost: Int = 10_000
    ) throws -> ConditionOutcome {
        let definition = try ConditionDefinition(name: "c", expression: expression, parameters: parameters)
        return definition.program.evaluate(tupleContext: tupleContext, reservedParameters: reserved, requestContext: context, costLimit: cost)
    }

    private func compileError(_ expression: String, _ parameters: [String: ConditionType] = [:]) -> ConditionCompileError? {
        do {
            _ = try ConditionDefinition(name: "c", expression: expression, parameters: parameters)
            return nil
        } catch {
            return error
        }
    }

    private func failureMessage(_ outcome: ConditionOutcome) -> String? {
        if case .failed(let message) = outcome { return message }
        return nil
    }

    // MARK: - Literals and arithmetic

    @Test("integer, unsigned, double, string and list arithmetic follow CEL", arguments: [
        "1 + 2 * 3 == 7", "(1 + 2) * 3 == 9", "10 / 3 == 3", "-7 % 3 == -1", "-7 / 2 == -3", "2u + 3u == 5u", "7u % 4u == 3u",
        "1.5 * 2.0 == 3.0", "1.0 / 4.0 == 0.25", "'a' + 'b' == 'ab'", "[1] + [2] == [1, 2]", "0x10 == 16", "-9223372036854775808 < 0",
        "1e3 == 1000.0", "'\\x41\\u00e9' == 'Aé'", "\"double\" == 'double'", "!false", "!!true", "-(-3) == 3", "true ? true : false",
        "(1 > 2 ? 'a' : 'b') == 'b'", "null == null",
    ])
    func arithmetic(expression: String) throws {
        #expect(try evaluate(expression) == .satisfied, "\(expression)")
    }

    @Test("integer overflow, division and modulus by zero are evaluation errors, not traps")
    func arithmeticErrors() throws {
        let big: [String: ConditionType] = ["x": .int]
        #expect(failureMessage(try evaluate("x + 1 > 0", big, context: ["x": .int(Self.maximumInt)])) == "int overflow")
        #expect(failureMessage(try evaluate("x * 2 > 0", big, context: ["x": .int(Self.maximumInt)])) == "int overflow")
        #expect(failureMessage(try evaluate("-x < 0", big, context: ["x": .int(Int64.min)])) == "int overflow")
        #expect(failureMessage(try evaluate("x / -1 < 0", big, context: ["x": .int(Int64.min)])) == "int overflow")
        #expect(failureMessage(try evaluate("x / 0 == 1", big, context: ["x": .int(1)])) == "division by zero")
        #expect(failureMessage(try evaluate("x % 0 == 1", big, context: ["x": .int(1)])) == "modulus by zero")
        #expect(failureMessage(try evaluate("1 / 0 == 1")) == "division by zero")
        #expect(failureMessage(try evaluate("x - 1u > 0u", ["x": .uint], context: ["x": .uint(0)])) == "uint overflow")
        #expect(try evaluate("x / 0.0 > 1.0", ["x": .double], context: ["x": .double(1)]) == .satisfied)
    }

    // MARK: - Comparison and equality

    @Test("numbers compare by value across int, uint and double, exactly", arguments: [
        "1 == 1.0", "1u < 2", "-1 < 1u", "2.5 > 2", "9007199254740993 > 9007199254740992.0", "18446744073709551615u > 9223372036854775807",
        "1 != 2u", "3 >= 3.0", "'abc' < 'abd'", "'b' > 'abc'", "false < true", "[1, 2] == [1.0, 2u]", "{'a': 1} == {'a': 1.0}",
        "duration('1m') > duration('59s')",
    ])
    func comparisons(expression: String) throws {
        #expect(try evaluate(expression) == .satisfied, "\(expression)")
    }

    @Test("NaN is unordered and unequal to itself")
    func notANumber() throws {
        let context: [String: ConditionValue] = ["x": .double(.nan)]
        #expect(try evaluate("x == x", ["x": .double], context: context) == .unsatisfied)
        #expect(try evaluate("x < 1.0 || x >= 1.0", ["x": .double], context: context) == .unsatisfied)
        #expect(try evaluate("x != x", ["x": .double], context: context) == .satisfied)
    }

    // MARK: - Containers, functions, field selection

    @Test("in, size, has, indexing and conversions", arguments: [
        "2 in [1, 2, 3]", "!(4 in [1, 2])", "'a' in {'a': 1}", "!('b' in {'a': 1})", "2.0 in [1, 2]", "size([1, 2]) == 2", "[1, 2].size() == 2",
        "size({'a': 1}) == 1", "size('héllo') == 5", "'héllo'.size() == 5", "[10, 20][1] == 20", "{'k': 'v'}['k'] == 'v'", "[[1]][0][0] == 1",
        "int('12') == 12", "int(2.9) == 2", "int(-2.9) == -2", "uint(3) == 3u", "double(1) == 1.0", "string(12) == '12'", "string(true) == 'true'",
        "string(duration('90s')) == '90s'", "string(timestamp('2026-01-02T03:04:05Z')) == '2026-01-02T03:04:05Z'", "int(timestamp('1970-01-01T00:01:00Z')) == 60",
        "{'a': {'b': 3}}.a.b == 3", "has({'a': 1}.a)", "!has({'a': 1}.b)",
    ])
    func containersAndFunctions(expression: String) throws {
        #expect(try evaluate(expression) == .satisfied, "\(expression)")
    }

    @Test("runtime container errors: missing keys, bad indexes, failed conversions")
    func containerErrors() throws {
        let subject: [String: ConditionType] = ["subject": .map(.dynamic)]
        let attributes: ConditionValue = .map(["approval_limit": .int(100)])
        #expect(failureMessage(try evaluate("subject.on_duty", subject, reserved: ["subject": attributes])) == "no such key: 'on_duty'")
        #expect(try evaluate("has(subject.on_duty) && subject.on_duty", subject, reserved: ["subject": attributes]) == .unsatisfied)
        #expect(failureMessage(try evaluate("x[3] == 1", ["x": .list(.int)], context: ["x": .list([.int(1)])])) == "index 3 out of range")
        #expect(failureMessage(try evaluate("int(x) == 1", ["x": .string], context: ["x": .string("one")])) != nil)
        #expect(failureMessage(try evaluate("uint(x) == 1u", ["x": .int], context: ["x": .int(-1)])) == "uint overflow")
        #expect(failureMessage(try evaluate("int(x) == 1", ["x": .double], context: ["x": .double(1e30)])) == "int overflow")
    }

    // MARK: - Timestamps and durations

    @Test("timestamps and durations add, subtract and compare", arguments: [
        "timestamp('2026-01-01T00:00:00Z') + duration('1h') == timestamp('2026-01-01T01:00:00Z')",
        "duration('1h') + timestamp('2026-01-01T00:00:00Z') == timestamp('2026-01-01T01:00:00Z')",
        "timestamp('2026-01-01T00:00:00+01:00') < timestamp('2026-01-01T00:00:00Z')",
        "timestamp('2026-01-01T01:00:00Z') - timestamp('2026-01-01T00:00:00Z') == duration('60m')",
        "timestamp('2026-01-01T00:00:00Z') - duration('1.5s') == timestamp('2025-12-31T23:59:58.5Z')",
        "duration('1h30m') == duration('5400s')", "duration('-2m') + duration('2m') == duration('0')", "duration('250ms') < duration('1s')",
    ])
    func temporal(expression: String) throws {
        #expect(try evaluate(expression) == .satisfied, "\(expression)")
    }

    @Test("the documented non_expired condition reads declared timestamp and duration parameters from strings")
    func nonExpired() throws {
        let parameters: [String: ConditionType] = ["current_time": .timestamp, "grant_time": .timestamp, "grant_duration": .duration]
        let tuple: [String: ConditionValue] = ["grant_time": .string("2026-03-01T10:00:00Z"), "grant_duration": .string("10m")]
        let expression = "current_time < grant_time + grant_duration"
        #expect(try evaluate(expression, parameters, context: ["current_time": .string("2026-03-01T10:09:59Z")], tupleContext: tuple) == .satisfied)
        #expect(try evaluate(expression, parameters, context: ["current_time": .string("2026-03-01T10:10:00Z")], tupleContext: tuple) == .unsatisfied)
        let bad = try evaluate(expression, parameters, context: ["current_time": .string("yesterday")], tupleContext: tuple)
        #expect(failureMessage(bad)?.contains("current_time") == true)
        #expect(failureMessage(try evaluate("timestamp('9999-12-31T23:59:59Z') + duration('1s') > timestamp('2026-01-01T00:00:00Z')")) == "timestamp out of range")
    }

    // MARK: - Parameters and missing context

    @Test("tuple context takes precedence over request context")
    func parameterPrecedence() throws {
        let outcome = try evaluate("x == 1", ["x": .int], context: ["x": .int(2)], tupleContext: ["x": .int(1)])
        #expect(outcome == .satisfied)
        #expect(try evaluate("x == 1", ["x": .int], context: ["x": .int(2)]) == .unsatisfied)
    }

    @Test("a missing parameter makes the result unknown only when it matters")
    func threeValuedLogic() throws {
        let parameters: [String: ConditionType] = ["x": .int, "y": .int]
        #expect(try evaluate("x > 0 || true", parameters) == .satisfied)
        #expect(try evaluate("true || x > 0", parameters) == .satisfied)
        #expect(try evaluate("x > 0 && false", parameters) == .unsatisfied)
        #expect(try evaluate("x > 0 && y > 0", parameters) == .missing(["x", "y"]))
        #expect(try evaluate("y > 0 && x > 0", parameters, context: ["y": .int(1)]) == .missing(["x"]))
        #expect(try evaluate("!(x > 0)", parameters) == .missing(["x"]))
        #expect(try evaluate("x > 0 ? true : false", parameters) == .missing(["x"]))
        #expect(try evaluate("[x, y][0] == 1", parameters, context: ["y": .int(1)]) == .missing(["x"]))
        #expect(try evaluate("true", parameters) == .satisfied)
    }

    @Test("errors are absorbed by a decisive logical operand, and an unknown outranks an error")
    func errorAbsorption() throws {
        let parameters: [String: ConditionType] = ["x": .int, "zero": .int]
        let context: [String: ConditionValue] = ["zero": .int(0)]
        #expect(try evaluate("false && 1 / zero == 1", parameters, context: context) == .unsatisfied)
        #expect(try evaluate("1 / zero == 1 || true", parameters, context: context) == .satisfied)
        #expect(try evaluate("1 / zero == 1 || x > 0", parameters, context: context) == .missing(["x"]))
        #expect(failureMessage(try evaluate("1 / zero == 1 || false", parameters, context: context)) == "division by zero")
    }

    @Test("dynamic values are type-checked when evaluated")
    func dynamicValues() throws {
        let parameters: [String: ConditionType] = ["x": .dynamic, "subject": .map(.dynamic)]
        #expect(try evaluate("x + 1 == 3", parameters, context: ["x": .int(2)]) == .satisfied)
        #expect(failureMessage(try evaluate("x + 1 == 3", parameters, context: ["x": .string("2")])) == "no such overload: string + int")
        #expect(failureMessage(try evaluate("x && true", parameters, context: ["x": .int(1)])) != nil)
        #expect(failureMessage(try evaluate("x", parameters, context: ["x": .int(1)])) == "the condition produced int, not bool")
        let subject: ConditionValue = .map(["approval_limit": .double(1000), "on_duty": .bool(true)])
        #expect(try evaluate("x <= subject.approval_limit && subject.on_duty", parameters, context: ["x": .int(1000)], reserved: ["subject": subject]) == .satisfied)
        #expect(failureMessage(try evaluate("subject.on_duty", parameters, reserved: ["subject": .map(["on_duty": .string("yes")])])) == "the condition produced string, not bool")
    }

    @Test("a value that cannot have the declared parameter type fails the evaluation")
    func parameterConversion() throws {
        #expect(try evaluate("x == 2", ["x": .int], context: ["x": .double(2)]) == .satisfied)
        #expect(failureMessage(try evaluate("x == 2", ["x": .int], context: ["x": .double(2.5)]))?.contains("must be int") == true)
        #expect(try evaluate("x == 2u", ["x": .uint], context: ["x": .int(2)]) == .satisfied)
        #expect(failureMessage(try evaluate("x == 2u", ["x": .uint], context: ["x": .int(-2)])) != nil)
        #expect(try evaluate("2 in x", ["x": .list(.int)], context: ["x": .list([.int(1), .double(2)])]) == .satisfied)
        #expect(failureMessage(try evaluate("'a' in x", ["x": .map(.string)], context: ["x": .map(["a": .int(1)])])) != nil)
    }

    @Test("evaluation stops when it exceeds its cost budget")
    func costBound() throws {
        let list = ConditionValue.list((0..<1_000).map { .int(Int64($0)) })
        #expect(try evaluate("999 in x", ["x": .list(.int)], context: ["x": list], cost: 100) == .costExceeded)
        #expect(try evaluate("999 in x", ["x": .list(.int)], context: ["x": list], cost: 10_000) == .satisfied)
        #expect(try evaluate("1 + 1 + 1 + 1 == 4 && true", cost: 2) == .satisfied)
        #expect(try evaluate("x + x + x + x == 4", ["x": .int], context: ["x": .int(1)], cost: 3) == .costExceeded)
    }

    // MARK: - Compile-time refusals

    @Test("ill-typed expressions are refused when the model is written", arguments: [
        "1 + 1.0 > 0", "'a' < 1", "!1", "x.y == 1", "size(1) == 1", "foo(1)", "1 in 2", "{1: 2} == {}", "[1, 2]['a'] == 1",
        "x + 'a' == 'b'", "-'a' == 'b'", "1 == 'a'", "x ? 1 : 2", "[1] + 1 == [1]", "timestamp(1) == timestamp(1)", "has(x)",
        "duration('forever') > duration('1s')", "timestamp('2026-02-30T00:00:00Z') > timestamp('2026-01-01T00:00:00Z')", "1.0 % 2.0 == 1.0",
        "x.size() == 1", "size(1, 2) == 1", "[1].contains(1)",
    ])
    func typeErrors(expression: String) {
        #expect(compileError(expression, ["x": .int]) != nil, "\(expression)")
    }

    @Test("lexical and syntactic errors carry the offset of the problem")
    func syntaxErrors() {
        #expect(compileError("1 @ 2")?.offset == 2)
        #expect(compileError("'open")?.offset == 0)
        #expect(compileError("x >")?.offset == 3)
        #expect(compileError("(1 == 1")?.offset == 7)
        #expect(compileError("9223372036854775808 > 0") != nil)
        #expect(compileError("'''a''' == 'a'") != nil)
        #expect(compileError("'\\q' == 'q'") != nil)
        #expect(compileError("undeclared > 1")?.message.contains("undeclared") == true)
    }

    @Test("expression length, token count and nesting are bounded")
    func expressionBounds() {
        let deep = String(repeating: "(", count: 40) + "true" + String(repeating: ")", count: 40)
        #expect(compileError(deep)?.message.contains("deeper") == true)
        let chain = (0..<40).map { _ in "1" }.joined(separator: " + ") + " > 0"
        #expect(compileError(chain)?.message.contains("deeper") == true)
        let long = "'" + String(repeating: "a", count: ConditionLexer.maximumExpressionLength) + "' == ''"
        #expect(compileError(long)?.message.contains("longer") == true)
        let wide = "[" + (0..<600).map { _ in "1" }.joined(separator: ",") + "] == []"
        #expect(compileError(wide)?.message.contains("tokens") == true)
    }

    @Test("constant subexpressions are folded at compile time")
    func constantFolding() throws {
        let definition = try ConditionDefinition(name: "c", expression: "x in [1, 2, 3] && duration('1h') > duration('30m')", parameters: ["x": .int])
        guard case .and(let left, let right) = definition.program.root else {
            Issue.record("expected a conjunction at the root")
            return
        }
        #expect(right.constantValue == .bool(true))
        guard case .binary(.member, _, let list) = left else {
            Issue.record("expected membership on the left")
            return
        }
        #expect(list.constantValue == .list([.int(1), .int(2), .int(3)]))
    }
}
