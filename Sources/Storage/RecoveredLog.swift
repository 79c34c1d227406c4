import Raft

/// What a node finds on disk at start-up: enough to rebuild the core's in-memory log.
public struct RecoveredLog: Sendable, Equatable {
    /// The stored hard state; the zero value when none was ever saved.
    public var hardState: HardState
    /// The stored snapshot, or nil when none was ever saved (a brand-new node).
    public var snapshot: Snapshot?
    /// Every stored entry after the snapshot, contiguous and in order.
    public var entries: [Entry]

    /// Creates a recovered log.
    public init(hardState: HardState, snapshot: Snapshot?, entries: [Entry]) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
    }

    /// The index of the last stored entry, or the snapshot's index when there is none.
    public var lastIndex: UInt64 {
        entries.last?.index ?? snapshot?.metadata.index ?? 0
    }

    /// The in-memory log the Raft core reads, holding exactly what was stored.
    /// `initialConfiguration` is used only when no snapshot was ever stored.
    public func memoryLogStorage(initialConfiguration: ClusterConfiguration) -> MemoryLogStorage {
        var storage = MemoryLogStorage(configuration: snapshot?.metadata.configuration ?? initialConfiguration)
        if let snapshot, snapshot.metadata.index > 0 { storage.installSnapshot(snapshot) }
        storage.append(entries)
        storage.setHardState(hardState)
        return storage
    }
}
