import Governance

// MARK: - The replica's snapshot envelope

/// What a Raft snapshot's data holds: the Governance state plus the one fact of the replica that
/// must survive compaction — the timestamp of the last applied entry, so that a leader elected
/// after a restart from a snapshot still stamps monotonic timestamps.
///
/// Layout: `"WRPL" ‖ version ‖ lastAppliedTimestamp (8 bytes, little-endian) ‖ governance bytes`.
public struct ReplicaSnapshot: Sendable {
    /// Identifies a replica snapshot.
    public static let magic: [UInt8] = Array("WRPL".utf8)
    /// The envelope version; `decode` refuses any other.
    public static let version: UInt8 = 1
    static let headerBytes = 4 + 1 + 8

    /// The governance state.
    public var governance: GovernanceState
    /// The timestamp of the last entry applied before the snapshot.
    public var lastAppliedTimestampMilliseconds: Int64

    /// Creates a snapshot image.
    public init(governance: GovernanceState, lastAppliedTimestampMilliseconds: Int64) {
        self.governance = governance
        self.lastAppliedTimestampMilliseconds = lastAppliedTimestampMilliseconds
    }

    /// The envelope's bytes.
    public func encode() -> [UInt8] {
        var bytes = Self.magic
        bytes.append(Self.version)
        let raw = UInt64(bitPattern: lastAppliedTimestampMilliseconds)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: raw >> UInt64(shift))) }
        bytes.append(contentsOf: governance.snapshot())
        return bytes
    }

    /// Decodes an envelope; empty bytes (the initial snapshot) are an empty state.
    public static func decode(_ bytes: [UInt8]) throws(ReplicaError) -> ReplicaSnapshot {
        if bytes.isEmpty { return ReplicaSnapshot(governance: GovernanceState(), lastAppliedTimestampMilliseconds: 0) }
        guard bytes.count > headerBytes, Array(bytes[0..<4]) == magic, bytes[4] == version else {
            throw .snapshotUnreadable("not a replica snapshot envelope")
        }
        var raw: UInt64 = 0
        for position in 0..<8 { raw |= UInt64(bytes[5 + position]) << UInt64(8 * position) }
        let governance: GovernanceState
        do {
            governance = try GovernanceState.restore(Array(bytes[headerBytes...]))
        } catch {
            throw .snapshotUnreadable(error.description)
        }
        return ReplicaSnapshot(governance: governance, lastAppliedTimestampMilliseconds: Int64(bitPattern: raw))
    }
}
