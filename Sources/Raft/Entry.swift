/// One record of the replicated log.
///
/// The layer above puts its own envelope (timestamps, commands) inside `data`; the core only
/// looks inside `configuration` entries.
public struct Entry: Sendable, Hashable {
    /// What an entry means to the core.
    public enum Kind: UInt8, Sendable, Hashable {
        /// An application command carried in `data`.
        case normal = 0
        /// The empty entry a new leader appends to commit an entry of its own term.
        case noOp = 1
        /// A new `ClusterConfiguration`, encoded in `data`; takes effect when committed.
        case configuration = 2
    }

    /// The leader term in which the entry was created.
    public var term: UInt64
    /// The position of the entry in the log, starting at 1.
    public var index: UInt64
    /// What the entry carries.
    public var kind: Kind
    /// The payload: application bytes, or an encoded configuration.
    public var data: [UInt8]

    /// Creates an entry.
    public init(term: UInt64, index: UInt64, kind: Kind = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data
    }
}
