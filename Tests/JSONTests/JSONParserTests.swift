import JSON
import Testing

@Suite("JSON parser and writer")
struct JSONParserTests {
    @Test("parses every kind of value and keeps integers apart from doubles")
    func parsesValues() throws {
        let value = try JSONParser.parse(#" {"a": [1, -2.5, 3e2, true, false, null], "b": "x\"\u00e9\ud83d\ude00", "c": {}} "#)
        #expect(value["a"] == .array([.integer(1), .double(-2.5), .double(300), .bool(true), .bool(false), .null]))
        #expect(value["b"] == .string("x\"é😀"))
        #expect(value["c"] == .object([:]))
    }

    @Test("canonical output sorts members and round-trips")
    func canonicalRoundTrip() throws {
        let text = #"{"z":1,"a":{"y":[1.5,"\n"],"b":null},"m":"\u0001"}"#
        let value = try JSONParser.parse(text)
        let written = JSONWriter().string(value)
        #expect(written == #"{"a":{"b":null,"y":[1.5,"\n"]},"m":"\u0001","z":1}"#)
        #expect(try JSONParser.parse(written) == value)
    }

    @Test("refuses malformed text with an offset", arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "nul", "\"abc", "{\"a\" 1}", "[1 2]",
        "{\"a\":1,\"a\":2}", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\u{01}\"", "1 2", "+1", ".5", "1e",
        "NaN", "[\"\\u12\"]", "{1:2}",
    ])
    func refusesMalformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test("refuses invalid UTF-8 inside strings")
    func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0x5C, 0x6E, 0xFF, 0x22]) }
    }

    @Test("bounds nesting depth")
    func boundsDepth() throws {
        let shallow = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(try JSONParser.parse(shallow, maximumDepth: 10) != .null)
        let deep = String(repeating: "[", count: 11) + String(repeating: "]", count: 11)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep, maximumDepth: 10) }
        let hostile = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(hostile) }
    }

    @Test("integers beyond 64 bits become doubles; huge exponents are refused")
    func numberRanges() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .integer(Int64.max))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9223372036854775808))
        #expect(throws: JSONParseError.self) { try JSONParser.parse("1e999") }
    }

    @Test("random bytes never trap and valid documents survive mutation checks")
    func randomInput() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let alphabet = Array(#"{}[]",:0123456789.eE-+truefalsnl\u"abc "#.utf8) + [0x00, 0xFF, 0xC3]
        var parsed = 0
        for _ in 0..<20_000 {
            let length = Int(next() % 24)
            let bytes = (0..<length).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            if let value = try? JSONParser.parse(bytes) {
                parsed += 1
                #expect(try JSONParser.parse(JSONWriter().bytes(value)) == value)
            }
        }
        #expect(parsed > 0)
    }
}
