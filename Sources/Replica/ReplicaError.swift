// MARK: - Errors

/// Why a replica cannot start or go on.
public enum ReplicaError: Error, Sendable, Hashable {
    /// A stored or received snapshot does not decode: the store is corrupt.
    case snapshotUnreadable(String)
    /// An earlier `process()` failed to save: this replica must be discarded.
    case storeFailedBefore
}
