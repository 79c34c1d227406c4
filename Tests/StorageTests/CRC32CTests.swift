import Checksum
import Testing

/// The bit-at-a-time definition of CRC-32C, as the reference the table-driven code must match.
private func referenceCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}

/// A small seeded generator (SplitMix64) so random-input tests replay exactly.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

@Suite("CRC-32C")
struct CRC32CTests {
    @Test("the standard check value: crc32c(\"123456789\") is 0xE3069283")
    func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test("RFC 3720 appendix B.4 vectors")
    func rfc3720Vectors() {
        #expect(CRC32C.checksum([UInt8](repeating: 0x00, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        let readCommandPDU: [UInt8] = [
            0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
            0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]
        #expect(CRC32C.checksum(readCommandPDU) == 0xD996_3A56)
    }

    @Test("the empty input checksums to zero")
    func emptyInput() {
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C().value == 0)
    }

    @Test("slicing-by-8 matches the bitwise definition on random inputs of every length up to 300")
    func matchesReference() {
        var random = SplitMix64(seed: 0xC0FF_EE)
        for length in 0...300 {
            let bytes = random.bytes(count: length)
            #expect(CRC32C.checksum(bytes) == referenceCRC32C(bytes), "length \(length)")
        }
    }

    @Test("checksumming in pieces, at any split, equals checksumming at once")
    func incrementalUpdates() {
        var random = SplitMix64(seed: 42)
        let bytes = random.bytes(count: 97)
        let whole = CRC32C.checksum(bytes)
        for split in 0...bytes.count {
            var crc = CRC32C()
            crc.update(Array(bytes[..<split]))
            crc.update(Array(bytes[split...]))
            #expect(crc.value == whole, "split at \(split)")
        }
        var byByte = CRC32C()
        for byte in bytes { byByte.update(byte) }
        #expect(byByte.value == whole)
    }

    @Test("a range checksums only those bytes, and an integer adds its little-endian bytes")
    func rangesAndIntegers() {
        let bytes: [UInt8] = [9, 9] + Array("123456789".utf8) + [7]
        #expect(CRC32C.checksum(bytes, range: 2..<11) == 0xE306_9283)
        var crc = CRC32C()
        crc.update(littleEndian: 0x0807_0605_0403_0201)
        #expect(crc.value == CRC32C.checksum([1, 2, 3, 4, 5, 6, 7, 8]))
    }

    @Test("any single flipped bit changes the checksum")
    func singleBitFlips() {
        var random = SplitMix64(seed: 7)
        let bytes = random.bytes(count: 64)
        let original = CRC32C.checksum(bytes)
        for bit in 0..<(bytes.count * 8) {
            var flipped = bytes
            flipped[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            #expect(CRC32C.checksum(flipped) != original)
        }
    }
}
