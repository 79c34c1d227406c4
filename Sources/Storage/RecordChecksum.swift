import Checksum

/// The CRC-32C stored in every row: over a tag naming the table, the row's key fields and its
/// payload, so a row copied into another table or under another key fails verification too.
/// Byte strings are length-prefixed, so no two different rows feed the same bytes to the CRC.
enum RecordChecksum {
    /// A log entry row.
    static func logEntry(index: UInt64, term: UInt64, kind: UInt8, data: [UInt8]) -> UInt32 {
        var crc = start("log")
        crc.update(littleEndian: index)
        crc.update(littleEndian: term)
        crc.update(kind)
        add(data, to: &crc)
        return crc.value
    }

    /// The hard state row.
    static func hardState(term: UInt64, votedFor: UInt64, commitIndex: UInt64) -> UInt32 {
        var crc = start("hard_state")
        crc.update(littleEndian: term)
        crc.update(littleEndian: votedFor)
        crc.update(littleEndian: commitIndex)
        return crc.value
    }

    /// The snapshot row.
    static func snapshot(index: UInt64, term: UInt64, configuration: [UInt8], data: [UInt8]) -> UInt32 {
        var crc = start("snapshot")
        crc.update(littleEndian: index)
        crc.update(littleEndian: term)
        add(configuration, to: &crc)
        add(data, to: &crc)
        return crc.value
    }

    /// An audit record row.
    static func audit(seq: UInt64, bytes: [UInt8]) -> UInt32 {
        var crc = start("audit")
        crc.update(littleEndian: seq)
        add(bytes, to: &crc)
        return crc.value
    }

    /// A schema fact in the `meta` table (schema version, cluster id, node id).
    static func meta(key: String, value: UInt64) -> UInt32 {
        var crc = start("meta")
        add(Array(key.utf8), to: &crc)
        crc.update(littleEndian: value)
        return crc.value
    }

    /// An application key/value in the `metadata` table.
    static func metadata(key: String, value: [UInt8]) -> UInt32 {
        var crc = start("metadata")
        add(Array(key.utf8), to: &crc)
        add(value, to: &crc)
        return crc.value
    }

    // MARK: - Pieces

    private static func start(_ tag: String) -> CRC32C {
        var crc = CRC32C()
        add(Array(tag.utf8), to: &crc)
        return crc
    }

    private static func add(_ bytes: [UInt8], to crc: inout CRC32C) {
        crc.update(littleEndian: UInt64(bytes.count))
        crc.update(bytes)
    }
}
