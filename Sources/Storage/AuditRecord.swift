/// One audit record as stored: its position in the node's audit stream and opaque bytes.
///
/// Sequence numbers are contiguous from 1 and a stored record is never rewritten.
public struct AuditRecord: Sendable, Hashable {
    /// The record's position in the audit stream, from 1.
    public var seq: UInt64
    /// The encoded record; opaque to storage.
    public var bytes: [UInt8]

    /// Creates an audit record.
    public init(seq: UInt64, bytes: [UInt8]) {
        self.seq = seq
        self.bytes = bytes
    }
}
