import Raft

/// The binary form of `PeerMessage`, bounds-checked: decoding garbage returns nil, never traps.
public enum PeerMessageCodec {
    /// The largest message accepted.
    public static let maximumMessageBytes = 64 << 20

    /// Encodes a message.
    public static func encode(_ message: PeerMessage) -> [UInt8] { [] }

    /// Decodes a message; nil on any malformed input.
    public static func decode(_ bytes: [UInt8]) -> PeerMessage? { nil }
}
