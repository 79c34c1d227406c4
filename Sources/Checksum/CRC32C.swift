/// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), as used by iSCSI, ext4 and
/// SCTP. Table-driven with slicing-by-8: eight table look-ups consume eight bytes per step.
///
/// Use `CRC32C.checksum(_:)` for one buffer, or a value and `update(_:)` to checksum pieces
/// (a record's tag, key fields and payload) without copying them into one array.
public struct CRC32C: Sendable, Hashable {
    /// The running, not yet complemented, register.
    private var register: UInt32 = 0xFFFF_FFFF

    /// Starts a checksum over no bytes.
    public init() {}

    /// The CRC-32C of everything passed to `update` so far.
    public var value: UInt32 { ~register }

    /// The CRC-32C of `bytes[range]` (of all of `bytes` when `range` is nil).
    public static func checksum(_ bytes: [UInt8], range: Range<Int>? = nil) -> UInt32 {
        let bounds = range ?? 0..<bytes.count
        precondition(bounds.lowerBound >= 0 && bounds.upperBound <= bytes.count, "range outside the bytes")
        var crc = CRC32C()
        bytes.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[bounds])) }
        return crc.value
    }

    /// The CRC-32C of the bytes in `buffer`.
    public static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32C()
        crc.update(buffer)
        return crc.value
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds one byte to the checksum.
    public mutating func update(_ byte: UInt8) {
        register = Self.table[Int((register ^ UInt32(byte)) & 0xFF)] ^ (register >> 8)
    }

    /// Adds the eight little-endian bytes of `integer` to the checksum.
    public mutating func update(littleEndian integer: UInt64) {
        withUnsafeBytes(of: integer.littleEndian) { update($0) }
    }

    /// Adds the bytes in `buffer` to the checksum.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let start = buffer.baseAddress, !buffer.isEmpty else { return }
        var crc = register
        var offset = 0
        let count = buffer.count
        Self.table.withUnsafeBufferPointer { table in
            while count - offset >= 8 {
                let low = UInt32(littleEndian: start.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) ^ crc
                let high = UInt32(littleEndian: start.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                crc = table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xFF)] ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ table[1 * 256 + Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                let byte = start.load(fromByteOffset: offset, as: UInt8.self)
                crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
        }
        register = crc
    }

    // MARK: - Tables

    /// The reflected Castagnoli polynomial.
    static let reflectedPolynomial: UInt32 = 0x82F6_3B78

    /// Eight 256-entry tables, flattened: table k maps a byte to its CRC contribution k bytes
    /// further back in the stream, which is what lets one step consume eight bytes.
    static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1 }
            table[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = table[(slice - 1) * 256 + byte]
                table[slice * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()
}
