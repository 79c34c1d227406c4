import JSON
import Testing

@testable import Authorization

@Suite("Condition values and time text")
struct ConditionValueTests {
    @Test("JSON converts to untyped values and back")
    func jsonRoundTrip() throws {
        let json = try JSONParser.parse(#"{"a":[1,2.5,"x",true,null],"b":{"c":-3}}"#)
        let value = ConditionValue(json: json)
        #expect(value == .map(["a": .list([.int(1), .double(2.5), .string("x"), .bool(true), .null]), "b": .map(["c": .int(-3)])]))
        #expect(value.json == json)
    }

    @Test("timestamps, durations and large unsigned values have JSON text forms")
    func temporalJSON() {
        #expect(ConditionValue.timestamp(seconds: 1_767_225_600, nanos: 500_000_000).json == .string("2026-01-01T00:00:00.5Z"))
        #expect(ConditionValue.timestamp(seconds: -1, nanos: 0).json == .string("1969-12-31T23:59:59Z"))
        #expect(ConditionValue.duration(seconds: 1, nanos: 500_000_000).json == .string("1.5s"))
        #expect(ConditionValue.duration(seconds: -1, nanos: 500_000_000).json == .string("-0.5s"))
        #expect(ConditionValue.uint(UInt64.max).json == .string("18446744073709551615"))
        #expect(ConditionValue.uint(7).json == .integer(7))
    }

    @Test("RFC 3339 parsing checks the calendar, offsets and CEL's year range", arguments: [
        ("2024-02-29T00:00:00Z", true), ("2023-02-29T00:00:00Z", false), ("2026-01-01T00:00:00+05:30", true),
        ("2026-01-01T24:00:00Z", false), ("2026-01-01T00:00:60Z", false), ("2026-01-01 00:00:00Z", false),
        ("2026-01-01T00:00:00", false), ("0001-01-01T00:00:00Z", true), ("0000-12-31T23:59:59Z", false),
        ("2026-01-01T00:00:00.123456789Z", true), ("2026-01-01T00:00:00.1234567891Z", false), ("2026-13-01T00:00:00Z", false),
    ])
    func timestampParsing(text: String, valid: Bool) {
        #expect((TimeFormatting.parseTimestamp(text) != nil) == valid, "\(text)")
    }

    @Test("an offset moves the instant, and formatting inverts parsing")
    func timestampValues() {
        let utc = TimeFormatting.parseTimestamp("2026-01-01T05:30:00Z")
        #expect(TimeFormatting.parseTimestamp("2026-01-01T00:00:00-05:30") == utc)
        for text in ["2026-01-01T05:30:00Z", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "1969-07-20T20:17:40.25Z"] {
            #expect(TimeFormatting.parseTimestamp(text).map(TimeFormatting.rfc3339(nanoseconds:)) == text)
        }
    }

    @Test("Go-style durations parse to exact nanoseconds", arguments: [
        ("1h30m", Int128(5_400_000_000_000)), ("1.5s", 1_500_000_000), ("-2m", -120_000_000_000), ("250ms", 250_000_000),
        ("0", 0), ("1us", 1_000), ("1µs", 1_000), ("3ns", 3), ("+1s", 1_000_000_000), (".5s", 500_000_000),
    ])
    func durationParsing(text: String, nanoseconds: Int128) {
        #expect(TimeFormatting.parseDuration(text) == nanoseconds, "\(text)")
    }

    @Test("malformed or out-of-range durations are refused", arguments: ["", "1", "1x", "h", "1h-2m", "s", "--1s", "400000000000s"])
    func durationRefusals(text: String) {
        #expect(TimeFormatting.parseDuration(text) == nil, "\(text)")
    }

    @Test("context limits bound keys, nesting, string length and total values")
    func contextLimits() {
        #expect(ConditionContextLimits.violation(in: ["a": .int(1)]) == nil)
        let manyKeys = Dictionary(uniqueKeysWithValues: (0...ConditionContextLimits.maximumKeys).map { ("k\($0)", ConditionValue.int(1)) })
        #expect(ConditionContextLimits.violation(in: manyKeys) != nil)
        let longString = ConditionValue.string(String(repeating: "x", count: ConditionContextLimits.maximumStringBytes + 1))
        #expect(ConditionContextLimits.violation(in: ["a": longString]) != nil)
        var nested = ConditionValue.int(1)
        for _ in 0..<ConditionContextLimits.maximumNesting { nested = .list([nested]) }
        #expect(ConditionContextLimits.violation(in: ["a": nested]) != nil)
        let wide = ConditionValue.list(Array(repeating: .int(1), count: ConditionContextLimits.maximumValues))
        #expect(ConditionContextLimits.violation(in: ["a": wide]) != nil)
    }
}
