import Governance
import HTTP
import Storage

// MARK: - The internal audit range endpoint

/// `GET /internal/v1/audit?after=<seq>&limit=<n>` between nodes, authenticated with the cluster
/// secret like the Raft transport (`PeerTransportBatch.secretHeader`). The answer is 200 with the
/// stored records after `after` (oldest first, at most `limit` and about `maximumPageBytes`; a
/// node may answer with fewer, so the asking node asks again after the last one it got), each
/// framed as `length:u32 little-endian ‖ AuditRecord.encode()`, and the serving node's stored audit
/// head in `headHeader`: its store holds exactly `1...head`, so a shorter answer means "that is all".
enum AuditBackfillWire {
    /// The HTTP path (not a public API route).
    static let path = "/internal/v1/audit"
    /// Response header: the seq of the last record the serving node has stored.
    static let headHeader = "Warden-Audit-Head"
    /// Records per page at most (one SQLite read and one store transaction on either side).
    static let maximumPageRecords = 1_000
    /// A page stops growing past this many bytes (it holds at least one record), so a page of
    /// large records (a model write's record carries the model) stays a bounded body.
    static let maximumPageBytes = 4 << 20
    /// One framed record at most: an audit record holds at most a model plus small text fields.
    static let maximumRecordBytes = GovernanceLimits.maximumPayloadBytes + 64 * 1_024

    /// The request target for the records after `after`.
    static func target(after: UInt64, limit: Int) -> String {
        "\(path)?after=\(after)&limit=\(limit)"
    }

    /// `after` and `limit` from a request's query, nil when either is missing or out of range.
    static func parseQuery(_ query: String?) -> (after: UInt64, limit: Int)? {
        guard let parameters = FormURLEncoding.parse(query: query),
              let afterText = parameters["after"], let after = UInt64(afterText),
              let limitText = parameters["limit"], let limit = Int(limitText),
              (1...maximumPageRecords).contains(limit) else { return nil }
        return (after, limit)
    }

    /// The body for `records`: each one framed.
    static func encode(_ records: [Storage.AuditRecord]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(records.reduce(0) { $0 + $1.bytes.count + 4 })
        for record in records {
            let count = UInt32(record.bytes.count)
            for shift in stride(from: 0, to: 32, by: 8) { body.append(UInt8(truncatingIfNeeded: count >> UInt32(shift))) }
            body.append(contentsOf: record.bytes)
        }
        return body
    }

    /// The page in a 200 answer's body and head header; nil when a frame is truncated, oversized
    /// or undecodable, there are too many, or the header is missing.
    static func decode(body: [UInt8], headHeader: String?) -> AuditBackfillPage? {
        guard let headHeader, let peerStoredHead = UInt64(headHeader) else { return nil }
        var records: [Governance.AuditRecord] = []
        var offset = 0
        while offset < body.count {
            guard body.count - offset >= 4, records.count < maximumPageRecords else { return nil }
            let length = Int(body[offset]) | Int(body[offset + 1]) << 8 | Int(body[offset + 2]) << 16 | Int(body[offset + 3]) << 24
            offset += 4
            guard length <= maximumRecordBytes, body.count - offset >= length,
                  let record = try? Governance.AuditRecord.decode(Array(body[offset..<(offset + length)])) else { return nil }
            records.append(record)
            offset += length
        }
        return AuditBackfillPage(records: records, peerStoredHead: peerStoredHead, byteCount: body.count)
    }
}
