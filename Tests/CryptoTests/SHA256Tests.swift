import Crypto
import Testing

// MARK: - SHA-256 (FIPS 180-4 examples)

@Test("SHA-256 of \"abc\" is the FIPS 180 example digest")
func sha256OfABC() {
    #expect(SHA256.hash(Array("abc".utf8)) == hexBytes("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
}

@Test("SHA-256 of the empty input is the well-known empty digest")
func sha256OfEmptyInput() {
    #expect(SHA256.hash([UInt8]()) == hexBytes("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
}

@Test("incremental hashing in any split equals one-shot hashing")
func incrementalHashingMatchesOneShot() {
    var generator = SplitMix64(seed: 7)
    let message = generator.bytes(count: 1000)
    for split in [0, 1, 63, 64, 65, 500, 1000] {
        var hasher = SHA256.Hasher()
        hasher.update(Array(message[..<split]))
        message[split...].withUnsafeBytes { hasher.update($0) }
        #expect(hasher.finish() == SHA256.hash(message))
    }
    #expect(SHA256.hash([Array(message[..<10]), [], Array(message[10...])]) == SHA256.hash(message))
}

// MARK: - HMAC-SHA-256 (RFC 4231)

@Test("HMAC-SHA-256 matches RFC 4231 test case 1")
func hmacRFC4231Case1() {
    let key = [UInt8](repeating: 0x0B, count: 20)
    let mac = HMACSHA256.authenticate(Array("Hi There".utf8), key: key)
    #expect(mac == hexBytes("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"))
}

@Test("HMAC-SHA-256 matches RFC 4231 test case 2")
func hmacRFC4231Case2() {
    let mac = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
    #expect(mac == hexBytes("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
}

@Test("HMAC-SHA-256 accepts an empty key and an empty message")
func hmacWithEmptyInputs() {
    let mac = HMACSHA256.authenticate([], key: [])
    #expect(mac.count == 32)
    #expect(mac != HMACSHA256.authenticate([0], key: []))
}

// MARK: - Constant-time comparison

@Test("constant-time comparison agrees with == and refuses different lengths")
func constantTimeComparison() {
    var generator = SplitMix64(seed: 11)
    for _ in 0..<200 {
        let left = generator.bytes(count: Int.random(in: 0...40, using: &generator))
        var right = left
        if !right.isEmpty, Bool.random(using: &generator) {
            right[Int.random(in: 0..<right.count, using: &generator)] ^= 1 << UInt8.random(in: 0...7, using: &generator)
        }
        #expect(constantTimeEqual(left, right) == (left == right))
    }
    #expect(constantTimeEqual([], []))
    #expect(!constantTimeEqual([1, 2, 3], [1, 2]))
    #expect(!constantTimeEqual([], [0]))
}
