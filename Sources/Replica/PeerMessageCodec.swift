import Raft

// MARK: - Peer messages in binary

/// The binary form of `PeerMessage`, shipped between nodes over HTTP. Bounds-checked: decoding
/// garbage returns nil, never traps.
///
/// Layout (integers little-endian): `version ‖ from:u64 ‖ to:u64 ‖ tag:u8 ‖ body`, where body is
/// `length:u32 ‖ RaftMessageCodec bytes` (tag 0), `forwardID:u64 ‖ length:u32 ‖ payload` (tag 1),
/// or `forwardID:u64 ‖ outcome:u8 ‖ (revision:u64 | reason:u8)` (tag 2).
public enum PeerMessageCodec {
    /// The format version written first; `decode` refuses any other.
    public static let version: UInt8 = 1
    /// The largest message accepted: a Raft append batch (`RaftOptions.maxBytesPerAppend` and a
    /// snapshot chunk are far below it) plus framing.
    public static let maximumMessageBytes = 64 << 20

    private enum Tag: UInt8 {
        case raft = 0, forwardWrite = 1, forwardResult = 2
    }

    private enum OutcomeTag: UInt8 {
        case committed = 0, failed = 1, ambiguous = 2
    }

    /// Encodes a message.
    public static func encode(_ message: PeerMessage) -> [UInt8] {
        var bytes: [UInt8] = [version]
        append(message.from, to: &bytes)
        append(message.to, to: &bytes)
        switch message.body {
        case .raft(let raftMessage):
            bytes.append(Tag.raft.rawValue)
            appendBlob(RaftMessageCodec.encode(raftMessage), to: &bytes)
        case .forwardWrite(let forwardID, let payload):
            bytes.append(Tag.forwardWrite.rawValue)
            append(forwardID, to: &bytes)
            appendBlob(payload, to: &bytes)
        case .forwardResult(let forwardID, let outcome):
            bytes.append(Tag.forwardResult.rawValue)
            append(forwardID, to: &bytes)
            switch outcome {
            case .committed(let revision):
                bytes.append(OutcomeTag.committed.rawValue)
                append(revision, to: &bytes)
            case .failed(let reason):
                bytes.append(OutcomeTag.failed.rawValue)
                bytes.append(reason.rawValue)
            case .ambiguous(let reason):
                bytes.append(OutcomeTag.ambiguous.rawValue)
                bytes.append(reason.rawValue)
            }
        }
        return bytes
    }

    /// Decodes a message; nil on any malformed input.
    public static func decode(_ bytes: [UInt8]) -> PeerMessage? {
        guard bytes.count <= maximumMessageBytes else { return nil }
        var reader = Reader(bytes: bytes)
        guard reader.byte() == version, let from = reader.uint64(), let to = reader.uint64(),
              let tagByte = reader.byte(), let tag = Tag(rawValue: tagByte) else { return nil }
        let body: PeerMessage.Body
        switch tag {
        case .raft:
            guard let blob = reader.blob(), let raftMessage = RaftMessageCodec.decode(blob),
                  raftMessage.from == from, raftMessage.to == to else { return nil }
            body = .raft(raftMessage)
        case .forwardWrite:
            guard let forwardID = reader.uint64(), let payload = reader.blob() else { return nil }
            body = .forwardWrite(requestID: forwardID, payload: payload)
        case .forwardResult:
            guard let forwardID = reader.uint64(), let outcome = decodeOutcome(&reader) else { return nil }
            body = .forwardResult(requestID: forwardID, outcome: outcome)
        }
        guard reader.isAtEnd else { return nil }
        return PeerMessage(from: from, to: to, body: body)
    }

    private static func decodeOutcome(_ reader: inout Reader) -> ForwardedOutcome? {
        guard let tagByte = reader.byte(), let tag = OutcomeTag(rawValue: tagByte) else { return nil }
        switch tag {
        case .committed:
            return reader.uint64().map { .committed(revision: $0) }
        case .failed:
            return reader.byte().flatMap(FailureReason.init(rawValue:)).map { .failed($0) }
        case .ambiguous:
            return reader.byte().flatMap(AmbiguityReason.init(rawValue:)).map { .ambiguous($0) }
        }
    }

    // MARK: - Primitives

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    private static func appendBlob(_ blob: [UInt8], to bytes: inout [UInt8]) {
        let length = UInt32(blob.count)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        bytes.append(contentsOf: blob)
    }

    /// A cursor that answers nil instead of reading past the end.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func uint64() -> UInt64? {
            guard bytes.count - offset >= 8 else { return nil }
            var value: UInt64 = 0
            for position in 0..<8 { value |= UInt64(bytes[offset + position]) << UInt64(8 * position) }
            offset += 8
            return value
        }

        mutating func blob() -> [UInt8]? {
            guard bytes.count - offset >= 4 else { return nil }
            var length = 0
            for position in 0..<4 { length |= Int(bytes[offset + position]) << (8 * position) }
            offset += 4
            guard bytes.count - offset >= length else { return nil }
            defer { offset += length }
            return Array(bytes[offset..<(offset + length)])
        }
    }
}
