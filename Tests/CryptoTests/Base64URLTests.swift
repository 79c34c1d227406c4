import Crypto
import Testing

/// RFC 4648 §10 test vectors, with padding removed as §5 base64url without padding requires.
private let rfc4648Vectors: [(String, String)] = [
    ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
    ("foobar", "Zm9vYmFy"),
]

@Test("base64url encodes the RFC 4648 section 10 vectors without padding")
func base64URLEncodesRFC4648Vectors() {
    for (plain, encoded) in rfc4648Vectors {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.encodedCount(byteCount: plain.utf8.count) == encoded.utf8.count)
    }
}

@Test("base64url decodes the RFC 4648 section 10 vectors")
func base64URLDecodesRFC4648Vectors() {
    for (plain, encoded) in rfc4648Vectors {
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }
}

@Test("base64url uses - and _ instead of + and /")
func base64URLAlphabet() {
    #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
    #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
    #expect(Base64URL.decode("+/+/") == nil)
}

@Test("base64url decoding refuses padding, whitespace and non-alphabet bytes")
func base64URLRefusesNonCanonicalCharacters() {
    let refused = [
        "Zg==", "Zm8=", "Zg=", "Zm9v\n", " Zm9v", "Zm 9v", "Zm9v\r\n", "Zm9v\t", "Zm9v.", "Zm9v!", "Zm9v\u{0}",
        "Zm9vé", "Zm9v=", "=Zm9v",
    ]
    for text in refused {
        #expect(Base64URL.decode(text) == nil, "accepted \(text.debugDescription)")
    }
}

@Test("base64url decoding refuses impossible lengths and non-zero leftover bits")
func base64URLRefusesNonCanonicalTails() {
    #expect(Base64URL.decode("Z") == nil)
    #expect(Base64URL.decode("Zm9vY") == nil)
    // "Zh" and "Zm9" carry bits beyond the final byte: another spelling of "f" and "fo".
    #expect(Base64URL.decode("Zh") == nil)
    #expect(Base64URL.decode("Zm9") == nil)
    #expect(Base64URL.decode("Zg") == [0x66])
}

@Test("random byte strings round-trip through base64url")
func base64URLRandomRoundTrips() {
    var generator = SplitMix64(seed: 4648)
    for _ in 0..<2000 {
        let bytes = generator.bytes(count: Int.random(in: 0...100, using: &generator))
        let encoded = Base64URL.encode(bytes)
        #expect(encoded.utf8.allSatisfy { $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") })
        #expect(Base64URL.decode(encoded) == bytes)
    }
}

@Test("random garbage either decodes to bytes that re-encode to the same text or is refused")
func base64URLRandomGarbage() {
    var generator = SplitMix64(seed: 5)
    for _ in 0..<5000 {
        let text = generator.bytes(count: Int.random(in: 0...12, using: &generator)).map {
            Bool.random(using: &generator) ? $0 : Array("AZaz09-_=+/ .".utf8)[Int($0) % 13]
        }
        if let decoded = Base64URL.decode(text) {
            #expect(Base64URL.encodeToBytes(decoded) == text)
        }
    }
}
