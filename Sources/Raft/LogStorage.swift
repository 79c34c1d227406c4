/// Durable storage of one server's log, hard state and latest snapshot.
///
/// The core never writes storage itself: it reads it once at init to restore, and hands the
/// shell a `Ready` saying what to persist. `persist(_:)` does that in the required order.
public protocol LogStorage {
    /// The persisted hard state.
    var hardState: HardState { get }
    /// The latest snapshot; index 0 with the initial configuration when none was taken.
    var snapshot: Snapshot { get }
    /// The index of the first stored entry (the snapshot index plus one).
    var firstIndex: UInt64 { get }
    /// The index of the last stored entry, or the snapshot index when there is none.
    var lastIndex: UInt64 { get }
    /// The term of the entry at `index`, the snapshot's term at its index, or nil.
    func term(at index: UInt64) -> UInt64?
    /// Entries in `range`, stopping once `maxBytes` of payload is reached (at least one entry).
    func entries(in range: Range<UInt64>, maxBytes: Int) -> [Entry]
    /// Appends contiguous entries, first replacing any stored entries at or after the first index.
    mutating func append(_ entries: [Entry])
    /// Removes every entry at or after `index`.
    mutating func truncateSuffix(from index: UInt64)
    /// Replaces the hard state.
    mutating func setHardState(_ hardState: HardState)
    /// Replaces the whole log with a snapshot received from the leader.
    mutating func installSnapshot(_ snapshot: Snapshot)
    /// Records a locally taken snapshot and drops the entries it covers.
    mutating func compact(with snapshot: Snapshot)
}

extension LogStorage {
    /// Persists what a `Ready` asks for, in the order the core relies on.
    public mutating func persist(_ ready: Ready) {
        if let snapshot = ready.snapshotToPersist { installSnapshot(snapshot) }
        if !ready.entriesToPersist.isEmpty { append(ready.entriesToPersist) }
        if let hardState = ready.hardState { setHardState(hardState) }
    }
}
