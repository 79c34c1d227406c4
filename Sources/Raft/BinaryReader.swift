/// Reads what `BinaryWriter` wrote, checking every bound; returns nil instead of trapping.
struct BinaryReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position == bytes.count }
    var remaining: Int { bytes.count - position }

    mutating func readUInt8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readBool() -> Bool? {
        switch readUInt8() {
        case 0: return false
        case 1: return true
        default: return nil
        }
    }

    mutating func readUInt32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 { value |= UInt32(bytes[position + offset]) << UInt32(offset * 8) }
        position += 4
        return value
    }

    mutating func readUInt64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(bytes[position + offset]) << UInt64(offset * 8) }
        position += 8
        return value
    }

    mutating func readBytes() -> [UInt8]? {
        guard let count = readUInt32(), Int(count) <= remaining else { return nil }
        defer { position += Int(count) }
        return Array(bytes[position..<position + Int(count)])
    }

    /// A count-prefixed list of node ids; the count is checked against the bytes left.
    mutating func readNodeList() -> [NodeID]? {
        guard let count = readUInt32(), Int(count) <= remaining / 8 else { return nil }
        var nodes: [NodeID] = []
        nodes.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let node = readUInt64() else { return nil }
            nodes.append(node)
        }
        return nodes
    }
}
