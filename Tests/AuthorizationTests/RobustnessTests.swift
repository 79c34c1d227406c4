import JSON
import Testing

@testable import Authorization

/// Hostile and random inputs: every entry point answers (a value or an error) and never traps.
@Suite("Robustness")
struct RobustnessTests {
    static let vocabulary = [
        "x", "y", "s", "subject", "subject.a", "1", "-1", "2.5", "0x1f", "3u", "'a'", "\"b\"", "true", "false", "null", "+", "-", "*", "/",
        "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "in", "(", ")", "[", "]", "{", "}", ",", ":", "?", ".", "size", "has",
        "int", "timestamp", "duration", "'1h'", "'2026-01-01T00:00:00Z'", "9223372036854775807", "9223372036854775808", "@", "'", "\\",
    ]

    @Test("random token soup compiles or is refused, and what compiles evaluates without trapping")
    func tokenSoup() {
        var random = SplitMix64(seed: 42)
        let parameters: [String: ConditionType] = ["x": .int, "y": .dynamic, "s": .string, "subject": .map(.dynamic)]
        var compiled = 0
        for _ in 0..<6_000 {
            let source = (0..<(1 + random.below(random.chance(1, in: 2) ? 4 : 12))).map { _ in random.pick(Self.vocabulary) }.joined(separator: " ")
            guard let definition = try? ConditionDefinition(name: "c", expression: source, parameters: parameters) else { continue }
            compiled += 1
            let context: [String: ConditionValue] = ["x": .int(Int64(random.below(5)) - 2), "y": random.chance(1, in: 2) ? .string("q") : .int(3)]
            let outcome = definition.program.evaluate(
                tupleContext: [:], reservedParameters: ["subject": .map(["a": .int(1)])], requestContext: context, costLimit: 1_000)
            #expect(outcome != .costExceeded, "\(source)")
        }
        #expect(compiled > 50, "only \(compiled) random expressions compiled")
    }

    @Test("random bytes never trap the lexer, id parser or time parsers")
    func randomText() {
        var random = SplitMix64(seed: 7)
        let alphabet = Array("ab:#@*0129-+.TZzsmhµ' \"\\\u{0}é\n".unicodeScalars)
        for _ in 0..<5_000 {
            let text = String(String.UnicodeScalarView((0..<random.below(24)).map { _ in random.pick(alphabet) }))
            _ = try? ConditionDefinition(name: "c", expression: text, parameters: [:])
            _ = ParsedUser.parse(text)
            _ = TimeFormatting.parseTimestamp(text)
            _ = TimeFormatting.parseDuration(text)
        }
    }

    @Test("mutated models are accepted or refused with a path, never a trap")
    func mutatedModels() throws {
        let original = try JSONParser.parse(Fixtures.documentsModel)
        var random = SplitMix64(seed: 99)
        var refused = 0
        for _ in 0..<1_500 {
            let mutated = mutate(original, random: &random, depth: 0)
            do {
                _ = try AuthorizationModel.parse(mutated)
            } catch {
                refused += 1
                #expect(!error.path.isEmpty && !error.message.isEmpty)
            }
        }
        #expect(refused > 500)
    }

    /// Replaces, deletes or retypes one member somewhere below `value`.
    private func mutate(_ value: JSONValue, random: inout SplitMix64, depth: Int) -> JSONValue {
        let replacements: [JSONValue] = [.null, .integer(1), .string("user"), .string(""), .array([]), .object([:]), .object(["this": .object([:])])]
        switch value {
        case .object(var members) where !members.isEmpty:
            let key = random.pick(members.keys.sorted())
            if random.chance(1, in: 4) || depth > 6 {
                if random.chance(1, in: 2) { members[key] = nil } else { members[key] = random.pick(replacements) }
            } else {
                members[key] = mutate(members[key]!, random: &random, depth: depth + 1)
            }
            return .object(members)
        case .array(var elements) where !elements.isEmpty:
            let index = random.below(elements.count)
            elements[index] = random.chance(1, in: 4) ? random.pick(replacements) : mutate(elements[index], random: &random, depth: depth + 1)
            return .array(elements)
        default:
            return random.pick(replacements)
        }
    }

    @Test("checks with junk ids, relations and contexts answer with a failure or a denial")
    func junkChecks() throws {
        let model = try Fixtures.model(Fixtures.documentsModel)
        let store = try Fixtures.store(model, ["folder:a#viewer@user:*", "document:1#parent@folder:a"])
        var random = SplitMix64(seed: 5)
        let pieces = ["user", "folder", "document", "group", ":", "#", "*", "a", "1", "viewer", "member", "@", " ", ""]
        for _ in 0..<3_000 {
            let user = (0..<random.below(5)).map { _ in random.pick(pieces) }.joined()
            let object = (0..<random.below(5)).map { _ in random.pick(pieces) }.joined()
            let relation = random.pick(["viewer", "member", "parent", "", "nope"])
            let outcome = Fixtures.check(model, store, user, relation, object, context: ["current_time": .string(random.pick(["x", "2026-01-01T00:00:00Z"]))])
            #expect(!outcome.allowed || outcome.failure == nil)
        }
    }
}
