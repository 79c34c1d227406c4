import Replica

// MARK: - The body of one peer request

/// A batch of peer messages in one HTTP body: each message as `length:u32 little-endian ‖
/// PeerMessageCodec bytes`. Decoding refuses truncation and oversized frames as a whole.
public enum PeerTransportBatch {
    /// The HTTP path peers post batches to (not a public API route).
    public static let path = "/internal/v1/raft"
    /// Header carrying the cluster secret (hex), compared in constant time.
    public static let secretHeader = "Warden-Cluster-Secret"
    /// Header carrying the sender's node id.
    public static let nodeIDHeader = "Warden-Node-Id"
    /// Header carrying the sender's advertised `host:port`, so receivers learn where it is.
    public static let addressHeader = "Warden-Node-Address"
    /// The largest body a sender builds (several Raft batches or one snapshot chunk fit).
    public static let maximumBatchBytes = 8 << 20
    /// The largest body a receiver accepts: one message may be a full `maximumMessageBytes`.
    public static let maximumBodyBytes = PeerMessageCodec.maximumMessageBytes + 1_024

    /// Appends one framed, already-encoded message to `body`.
    public static func append(_ encoded: [UInt8], to body: inout [UInt8]) {
        let count = UInt32(encoded.count)
        body.append(UInt8(truncatingIfNeeded: count))
        body.append(UInt8(truncatingIfNeeded: count >> 8))
        body.append(UInt8(truncatingIfNeeded: count >> 16))
        body.append(UInt8(truncatingIfNeeded: count >> 24))
        body.append(contentsOf: encoded)
    }

    /// The messages in `body`, or nil when any frame is truncated, oversized or undecodable.
    public static func decode(_ body: [UInt8]) -> [PeerMessage]? {
        var messages: [PeerMessage] = []
        var offset = 0
        while offset < body.count {
            guard body.count - offset >= 4 else { return nil }
            let length = Int(body[offset]) | Int(body[offset + 1]) << 8 | Int(body[offset + 2]) << 16 | Int(body[offset + 3]) << 24
            offset += 4
            guard length <= PeerMessageCodec.maximumMessageBytes, body.count - offset >= length else { return nil }
            guard let message = PeerMessageCodec.decode(Array(body[offset..<(offset + length)])) else { return nil }
            messages.append(message)
            offset += length
        }
        return messages
    }
}
