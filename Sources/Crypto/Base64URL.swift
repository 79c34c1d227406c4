/// Base64url (RFC 4648 §5) without padding, as JOSE uses it (RFC 7515 §2).
///
/// Decoding is strict, so each byte string has exactly one accepted text: padding, whitespace,
/// bytes outside the alphabet, an impossible length (4k + 1) and non-zero leftover bits
/// (RFC 4648 §3.5) are all refused. A token therefore cannot be re-encoded into a second spelling
/// that still verifies.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Marks a byte outside the alphabet in `decodingTable`.
    private static let invalid: UInt8 = 0xFF

    /// The 6-bit value of each alphabet byte, `invalid` for every other byte.
    private static let decodingTable: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (value, symbol) in alphabet.enumerated() { table[Int(symbol)] = UInt8(value) }
        return table
    }()

    // MARK: - Encoding

    /// The number of characters that encode `byteCount` bytes.
    public static func encodedCount(byteCount: Int) -> Int {
        (byteCount / 3) * 4 + [0, 2, 3][byteCount % 3]
    }

    /// The unpadded base64url text of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        String(decoding: encodeToBytes(bytes), as: UTF8.self)
    }

    /// The unpadded base64url text of `bytes`, as ASCII bytes.
    public static func encodeToBytes(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        append(bytes, to: &output)
        return output
    }

    /// Appends the unpadded base64url text of `bytes` to `output`.
    public static func append(_ bytes: [UInt8], to output: inout [UInt8]) {
        output.reserveCapacity(output.count + encodedCount(byteCount: bytes.count))
        alphabet.withUnsafeBufferPointer { symbols in
            var index = 0
            while index + 3 <= bytes.count {
                let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                output.append(symbols[Int(group >> 18 & 0x3F)])
                output.append(symbols[Int(group >> 12 & 0x3F)])
                output.append(symbols[Int(group >> 6 & 0x3F)])
                output.append(symbols[Int(group & 0x3F)])
                index += 3
            }
            let remaining = bytes.count - index
            if remaining == 1 {
                let group = UInt32(bytes[index]) << 16
                output.append(symbols[Int(group >> 18 & 0x3F)])
                output.append(symbols[Int(group >> 12 & 0x3F)])
            } else if remaining == 2 {
                let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
                output.append(symbols[Int(group >> 18 & 0x3F)])
                output.append(symbols[Int(group >> 12 & 0x3F)])
                output.append(symbols[Int(group >> 6 & 0x3F)])
            }
        }
    }

    // MARK: - Decoding

    /// The bytes encoded by `text`, or nil when it is not canonical unpadded base64url.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
    }

    /// The bytes encoded by the ASCII in `encoded`, or nil when it is not canonical unpadded base64url.
    public static func decode(_ encoded: [UInt8]) -> [UInt8]? {
        encoded.withUnsafeBytes { decode($0) }
    }

    /// The bytes encoded by the ASCII in `encoded`, or nil when it is not canonical unpadded base64url.
    public static func decode(_ encoded: UnsafeRawBufferPointer) -> [UInt8]? {
        let remainder = encoded.count % 4
        guard remainder != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count / 4 * 3 + 2)
        return decodingTable.withUnsafeBufferPointer { table -> [UInt8]? in
            var index = 0
            while index + 4 <= encoded.count {
                let a = table[Int(encoded[index])], b = table[Int(encoded[index + 1])]
                let c = table[Int(encoded[index + 2])], d = table[Int(encoded[index + 3])]
                guard (a | b | c | d) & 0xC0 == 0 else { return nil }
                let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                output.append(UInt8(truncatingIfNeeded: group >> 16))
                output.append(UInt8(truncatingIfNeeded: group >> 8))
                output.append(UInt8(truncatingIfNeeded: group))
                index += 4
            }
            guard remainder > 0 else { return output }
            let a = table[Int(encoded[index])], b = table[Int(encoded[index + 1])]
            let c = remainder == 3 ? table[Int(encoded[index + 2])] : 0
            guard (a | b | c) & 0xC0 == 0 else { return nil }
            let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
            output.append(UInt8(truncatingIfNeeded: group >> 16))
            if remainder == 3 {
                guard group & 0xFF == 0 else { return nil }
                output.append(UInt8(truncatingIfNeeded: group >> 8))
            } else {
                guard group & 0xFFFF == 0 else { return nil }
            }
            return output
        }
    }
}
