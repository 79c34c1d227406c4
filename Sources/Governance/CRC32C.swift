// MARK: - CRC-32C

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
///
/// Guards encoded log entries and snapshots against torn or flipped bytes; SHA-256 is used
/// where an adversary matters (audit chain, digests), CRC-32C where speed does.
public enum CRC32C {
    /// The reflected Castagnoli polynomial.
    static let polynomial: UInt32 = 0x82F6_3B78

    /// One table entry per byte value, computed once per process (a constant, not mutable state).
    static let table: [UInt32] = (0..<256).map { index -> UInt32 in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = (value & 1) != 0 ? (value >> 1) ^ polynomial : value >> 1
        }
        return value
    }

    /// The checksum of `bytes[range]`.
    public static func checksum(_ bytes: [UInt8], range: Range<Int>? = nil) -> UInt32 {
        let bounds = range ?? 0..<bytes.count
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            bytes.withUnsafeBufferPointer { input in
                for index in bounds {
                    crc = table[Int((crc ^ UInt32(input[index])) & 0xFF)] ^ (crc >> 8)
                }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
