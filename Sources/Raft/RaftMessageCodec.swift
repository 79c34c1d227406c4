/// A compact, bounds-checked binary encoding of `RaftMessage` and `Entry` for the peer
/// transport. Little-endian fixed-width integers, `UInt32` length prefixes, a leading version
/// byte. Decoding never traps: malformed, truncated or trailing input yields nil, and every count
/// is checked against the bytes left before anything is allocated.
public enum RaftMessageCodec {
    /// The format version written as the first byte.
    public static let version: UInt8 = 1

    /// Encodes a message.
    public static func encode(_ message: RaftMessage) -> [UInt8] {
        var writer = BinaryWriter(capacity: 64 + payloadSize(of: message.body))
        writer.write(version)
        writer.write(message.from)
        writer.write(message.to)
        writer.write(message.term)
        writeBody(message.body, to: &writer)
        return writer.bytes
    }

    /// Decodes a message; nil when `bytes` is not exactly one well-formed message.
    public static func decode(_ bytes: [UInt8]) -> RaftMessage? {
        var reader = BinaryReader(bytes)
        guard reader.readUInt8() == version,
              let from = reader.readUInt64(), let to = reader.readUInt64(), let term = reader.readUInt64(),
              let body = readBody(from: &reader), reader.isAtEnd else { return nil }
        return RaftMessage(from: from, to: to, term: term, body: body)
    }

    /// Encodes one entry (for storage formats that want the same layout).
    public static func encode(_ entry: Entry) -> [UInt8] {
        var writer = BinaryWriter(capacity: 21 + entry.data.count)
        writeEntry(entry, to: &writer)
        return writer.bytes
    }

    /// Decodes one entry; nil when malformed.
    public static func decodeEntry(_ bytes: [UInt8]) -> Entry? {
        var reader = BinaryReader(bytes)
        guard let entry = readEntry(from: &reader), reader.isAtEnd else { return nil }
        return entry
    }

    // MARK: - Bodies

    private enum Tag: UInt8 {
        case voteRequest = 1, voteResponse, append, appendResponse, heartbeat, heartbeatResponse
        case snapshotChunk, snapshotResponse, timeoutNow, readIndexRequest, readIndexResponse
    }

    private static func payloadSize(of body: RaftMessage.Body) -> Int {
        switch body {
        case .append(let request): return request.entries.reduce(0) { $0 + 21 + $1.data.count }
        case .snapshotChunk(let chunk): return chunk.data.count + 64
        default: return 0
        }
    }

    private static func writeBody(_ body: RaftMessage.Body, to writer: inout BinaryWriter) {
        switch body {
        case .voteRequest(let request):
            writer.write(Tag.voteRequest.rawValue)
            writer.write(request.isPreVote)
            writer.write(request.lastLogIndex)
            writer.write(request.lastLogTerm)
            writer.write(request.isLeadershipTransfer)
        case .voteResponse(let isPreVote, let granted):
            writer.write(Tag.voteResponse.rawValue)
            writer.write(isPreVote)
            writer.write(granted)
        case .append(let request):
            writer.write(Tag.append.rawValue)
            writer.write(request.previousIndex)
            writer.write(request.previousTerm)
            writer.write(request.commitIndex)
            writer.write(UInt32(request.entries.count))
            for entry in request.entries { writeEntry(entry, to: &writer) }
        case .appendResponse(let response):
            writer.write(Tag.appendResponse.rawValue)
            writer.write(response.success)
            writer.write(response.index)
            writer.write(response.rejectHintIndex)
            writer.write(response.rejectHintTerm)
        case .heartbeat(let commitIndex, let readRound):
            writer.write(Tag.heartbeat.rawValue)
            writer.write(commitIndex)
            writer.write(readRound)
        case .heartbeatResponse(let readRound):
            writer.write(Tag.heartbeatResponse.rawValue)
            writer.write(readRound)
        default:
            writeRareBody(body, to: &writer)
        }
    }

    private static func writeRareBody(_ body: RaftMessage.Body, to writer: inout BinaryWriter) {
        switch body {
        case .snapshotChunk(let chunk):
            writer.write(Tag.snapshotChunk.rawValue)
            writer.write(chunk.metadata.index)
            writer.write(chunk.metadata.term)
            chunk.metadata.configuration.write(to: &writer)
            writer.write(chunk.offset)
            writer.write(chunk.totalBytes)
            writer.writeBytes(chunk.data)
        case .snapshotResponse(let snapshotIndex, let nextOffset, let done):
            writer.write(Tag.snapshotResponse.rawValue)
            writer.write(snapshotIndex)
            writer.write(nextOffset)
            writer.write(done)
        case .timeoutNow:
            writer.write(Tag.timeoutNow.rawValue)
        case .readIndexRequest(let requestID):
            writer.write(Tag.readIndexRequest.rawValue)
            writer.write(requestID)
        case .readIndexResponse(let requestID, let index):
            writer.write(Tag.readIndexResponse.rawValue)
            writer.write(requestID)
            writer.write(index)
        default:
            preconditionFailure("every body is written by writeBody or writeRareBody")
        }
    }

    private static func readBody(from reader: inout BinaryReader) -> RaftMessage.Body? {
        guard let rawTag = reader.readUInt8(), let tag = Tag(rawValue: rawTag) else { return nil }
        switch tag {
        case .voteRequest:
            guard let isPreVote = reader.readBool(), let lastIndex = reader.readUInt64(),
                  let lastTerm = reader.readUInt64(), let transfer = reader.readBool() else { return nil }
            return .voteRequest(.init(isPreVote: isPreVote, lastLogIndex: lastIndex, lastLogTerm: lastTerm, isLeadershipTransfer: transfer))
        case .voteResponse:
            guard let isPreVote = reader.readBool(), let granted = reader.readBool() else { return nil }
            return .voteResponse(isPreVote: isPreVote, granted: granted)
        case .append:
            return readAppend(from: &reader)
        case .appendResponse:
            guard let success = reader.readBool(), let index = reader.readUInt64(),
                  let hintIndex = reader.readUInt64(), let hintTerm = reader.readUInt64() else { return nil }
            return .appendResponse(.init(success: success, index: index, rejectHintIndex: hintIndex, rejectHintTerm: hintTerm))
        case .heartbeat:
            guard let commitIndex = reader.readUInt64(), let readRound = reader.readUInt64() else { return nil }
            return .heartbeat(commitIndex: commitIndex, readRound: readRound)
        case .heartbeatResponse:
            guard let readRound = reader.readUInt64() else { return nil }
            return .heartbeatResponse(readRound: readRound)
        case .snapshotChunk:
            return readSnapshotChunk(from: &reader)
        case .snapshotResponse:
            guard let index = reader.readUInt64(), let offset = reader.readUInt64(), let done = reader.readBool() else { return nil }
            return .snapshotResponse(snapshotIndex: index, nextOffset: offset, done: done)
        case .timeoutNow:
            return .timeoutNow
        case .readIndexRequest:
            guard let requestID = reader.readUInt64() else { return nil }
            return .readIndexRequest(requestID: requestID)
        case .readIndexResponse:
            guard let requestID = reader.readUInt64(), let index = reader.readUInt64() else { return nil }
            return .readIndexResponse(requestID: requestID, index: index)
        }
    }

    private static func readAppend(from reader: inout BinaryReader) -> RaftMessage.Body? {
        guard let previousIndex = reader.readUInt64(), let previousTerm = reader.readUInt64(),
              let commitIndex = reader.readUInt64(), let count = reader.readUInt32(),
              Int(count) <= reader.remaining / minimumEntryBytes else { return nil }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let entry = readEntry(from: &reader) else { return nil }
            entries.append(entry)
        }
        return .append(.init(previousIndex: previousIndex, previousTerm: previousTerm, entries: entries, commitIndex: commitIndex))
    }

    private static func readSnapshotChunk(from reader: inout BinaryReader) -> RaftMessage.Body? {
        guard let index = reader.readUInt64(), let term = reader.readUInt64(),
              let configuration = ClusterConfiguration(from: &reader),
              let offset = reader.readUInt64(), let total = reader.readUInt64(),
              let data = reader.readBytes() else { return nil }
        let metadata = Snapshot.Metadata(index: index, term: term, configuration: configuration)
        return .snapshotChunk(.init(metadata: metadata, offset: offset, totalBytes: total, data: data))
    }

    // MARK: - Entries

    /// term + index + kind + data length.
    private static let minimumEntryBytes = 21

    private static func writeEntry(_ entry: Entry, to writer: inout BinaryWriter) {
        writer.write(entry.term)
        writer.write(entry.index)
        writer.write(entry.kind.rawValue)
        writer.writeBytes(entry.data)
    }

    private static func readEntry(from reader: inout BinaryReader) -> Entry? {
        guard let term = reader.readUInt64(), let index = reader.readUInt64(),
              let rawKind = reader.readUInt8(), let kind = Entry.Kind(rawValue: rawKind),
              let data = reader.readBytes() else { return nil }
        return Entry(term: term, index: index, kind: kind, data: data)
    }
}
