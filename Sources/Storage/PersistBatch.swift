import Raft

/// Everything one loop iteration asks to make durable, saved by `SQLiteLogStore.save(_:)` in one
/// transaction (group commit). Nothing that depends on it may leave the node before `save` returns.
///
/// Applied in this order: `snapshotToInstall`, `entries`, `compaction`, `hardState`,
/// `auditRecords`, `metadata`.
public struct PersistBatch: Sendable {
    /// A snapshot received from the leader; it replaces the whole stored log, as
    /// `MemoryLogStorage.installSnapshot` does, so a restart rebuilds the same view.
    public var snapshotToInstall: Snapshot?
    /// Contiguous entries to append; stored entries at or after the first one's index are replaced.
    public var entries: [Entry]
    /// The hard state to store, when it changed.
    public var hardState: HardState?
    /// A snapshot taken locally: stored, and the entries it covers (index ≤ its index) dropped.
    public var compaction: Snapshot?
    /// Audit records to append, contiguous with the stored head; never rewritten.
    public var auditRecords: [AuditRecord]
    /// Small key/value facts to store or replace (at most `SQLiteLogStore.maximumMetadataKeyBytes`
    /// of key and `SQLiteLogStore.maximumMetadataValueBytes` of value each).
    public var metadata: [String: [UInt8]]

    /// Creates a batch; every part is optional.
    public init(
        snapshotToInstall: Snapshot? = nil,
        entries: [Entry] = [],
        hardState: HardState? = nil,
        compaction: Snapshot? = nil,
        auditRecords: [AuditRecord] = [],
        metadata: [String: [UInt8]] = [:]
    ) {
        self.snapshotToInstall = snapshotToInstall
        self.entries = entries
        self.hardState = hardState
        self.compaction = compaction
        self.auditRecords = auditRecords
        self.metadata = metadata
    }

    /// The persistence a Raft `Ready` asks for: its snapshot, entries and hard state.
    public init(ready: Ready) {
        self.init(snapshotToInstall: ready.snapshotToPersist, entries: ready.entriesToPersist, hardState: ready.hardState)
    }

    /// Whether saving the batch would write nothing.
    public var isEmpty: Bool {
        snapshotToInstall == nil && entries.isEmpty && hardState == nil && compaction == nil
            && auditRecords.isEmpty && metadata.isEmpty
    }
}
