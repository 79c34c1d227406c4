import Crypto
import Testing

@Test("SecureRandom returns the requested number of bytes")
func secureRandomCounts() {
    for count in [0, 1, 31, 32, 1000] {
        #expect(SecureRandom.bytes(count: count).count == count)
    }
}

@Test("two 32-byte draws differ and are not all zero")
func secureRandomDrawsDiffer() {
    let first = SecureRandom.bytes(count: 32)
    let second = SecureRandom.bytes(count: 32)
    #expect(first != second)
    #expect(first != [UInt8](repeating: 0, count: 32))
}

@Test("the secure generator drives the standard library's random APIs")
func secureRandomNumberGenerator() {
    var generator = SecureRandomNumberGenerator()
    let values = (0..<16).map { _ in generator.next() }
    #expect(Set(values).count == values.count)
    let bounded = Int.random(in: 0..<10, using: &generator)
    #expect((0..<10).contains(bounded))
}
