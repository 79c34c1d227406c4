import Testing
@testable import HTTP

// MARK: - A seeded generator, so a failing case replays exactly

/// SplitMix64: tiny, fast and fully determined by its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

// MARK: - Input generators

enum FuzzInputs {
    static let seeds: [String] = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /v1/check HTTP/1.1\r\nHost: n1\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
        "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4;e=1\r\nwiki\r\n0\r\nT: v\r\n\r\n",
        "GET /a?b=c HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n",
        "PUT /z HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    ]

    /// Fragments that steer random inputs towards the parser's interesting branches.
    static let fragments: [String] = [
        "\r\n", "\r", "\n", " ", ":", ";", ",", "GET", "POST", "HTTP/1.1", "HTTP/1.0", "HTTP/9.9", "/",
        "Host: a", "Content-Length: ", "Transfer-Encoding: chunked", "Expect: 100-continue", "0", "ff",
        "ffffffffffffffffffff", "99999999999999999999", "\t", "\u{0}", "\u{7F}", "\u{FF}", "Connection: close",
    ]

    static func mutate(_ input: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<6, using: &generator) {
            case 0 where !bytes.isEmpty: bytes[position] = UInt8.random(in: 0...255, using: &generator)
            case 1 where !bytes.isEmpty: bytes.remove(at: position)
            case 2: bytes.insert(contentsOf: Array(fragments.randomElement(using: &generator)!.utf8), at: position)
            case 3: bytes = Array(bytes.prefix(position))
            case 4: bytes.insert(contentsOf: [UInt8](repeating: UInt8(ascii: "a"), count: Int.random(in: 1...20_000, using: &generator)), at: position)
            default: bytes.append(contentsOf: bytes.prefix(position))
            }
        }
        return bytes
    }

    static func soup(using generator: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<Int.random(in: 0...40, using: &generator) {
            if Bool.random(using: &generator) {
                bytes += Array(fragments.randomElement(using: &generator)!.utf8)
            } else {
                bytes.append(UInt8.random(in: 0...255, using: &generator))
            }
        }
        return bytes
    }
}

// MARK: - Properties that must hold for every input

@Suite("request parser: random and mutated input")
struct HTTPRequestParserFuzzTests {
    static let statuses: Set<Int> = [400, 413, 414, 417, 431, 501, 505]

    func checkAgreement(_ input: [UInt8], case index: Int, generator: inout SeededGenerator) {
        let whole = parse(input)
        let slice = Int.random(in: 1...17, using: &generator)
        let sliced = parse(input, sliceSize: slice)
        #expect(whole.requests == sliced.requests, "case \(index): slices of \(slice) changed the requests")
        #expect(whole.error?.status == sliced.error?.status, "case \(index): slices of \(slice) changed the error")
        if let error = whole.error { #expect(Self.statuses.contains(error.status)) }
        for request in whole.requests { #expect(request.body.count <= HTTPLimits().maximumBodyBytes) }
    }

    @Test("thousands of mutated valid requests never trap, and any split agrees with whole feeding")
    func mutatedRequests() {
        var generator = SeededGenerator(seed: 0x5EED_0001)
        for index in 0..<3000 {
            let seed = Array(FuzzInputs.seeds[index % FuzzInputs.seeds.count].utf8)
            checkAgreement(FuzzInputs.mutate(seed, using: &generator), case: index, generator: &generator)
        }
    }

    @Test("thousands of random byte and token soups never trap, and any split agrees")
    func randomSoup() {
        var generator = SeededGenerator(seed: 0x5EED_0002)
        for index in 0..<3000 {
            checkAgreement(FuzzInputs.soup(using: &generator), case: index, generator: &generator)
        }
    }

    @Test("huge values are refused by their limit and the buffer stays bounded meanwhile")
    func hugeValuesStayBounded() {
        let limits = HTTPLimits()
        var parser = HTTPRequestParser(limits: limits)
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\nX: ".utf8))
        var refused: HTTPParseError? = nil
        for _ in 0..<100 where refused == nil {
            parser.append([UInt8](repeating: UInt8(ascii: "v"), count: 1000))
            do { _ = try parser.next() } catch { refused = error }
            #expect(parser.bufferedByteCount <= limits.maximumRequestLineBytes + limits.maximumHeaderBytes + 1000)
        }
        #expect(refused?.status == 431)
    }
}
