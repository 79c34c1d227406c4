/// A completed linearizable read: once the local state machine has applied `index`, the read
/// identified by `requestID` may be served from local state.
public struct ReadState: Sendable, Hashable {
    /// The identifier the caller passed to `RaftCore.readIndex(_:)`.
    public var requestID: UInt64
    /// The commit index the leader confirmed it still held after a quorum round.
    public var index: UInt64

    /// Creates a read state.
    public init(requestID: UInt64, index: UInt64) {
        self.requestID = requestID
        self.index = index
    }
}
