import Governance
import Raft

// MARK: - Durable storage, as the replica needs it

/// The node's durable store: the production SQLite store (through a thin adapter) or the
/// simulator's faulty disk. The replica reads it once at start and writes one batch per loop
/// iteration (group commit).
public protocol LogStore: AnyObject {
    /// Everything stored, read once by `Replica.init`.
    func load() throws -> StoredLog
    /// Makes `batch` durable; when it returns, the batch is durable (fsync). A throw is fatal to
    /// the replica: `Replica.process()` rethrows it and the shell must discard the replica.
    func save(_ batch: DurableBatch) throws
}

/// What a node finds in its store at start-up.
public struct StoredLog: Sendable {
    /// The stored hard state; the zero value when none was ever saved.
    public var hardState: HardState
    /// The stored snapshot; nil when none was ever saved (a brand-new node).
    public var snapshot: Snapshot?
    /// Every stored entry after the snapshot, contiguous and in order.
    public var entries: [Entry]
    /// The sequence number of the last stored audit record (0 when none), so that re-applying
    /// the log tail after a restart does not hand the same audit records to `save` twice.
    public var auditHeadSeq: UInt64

    /// Creates a stored log; the defaults describe an empty store.
    public init(hardState: HardState = HardState(), snapshot: Snapshot? = nil, entries: [Entry] = [], auditHeadSeq: UInt64 = 0) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
        self.auditHeadSeq = auditHeadSeq
    }
}

/// One group commit: everything one loop iteration makes durable, atomically, in this order:
/// `snapshotToInstall`, `entries`, `compaction`, `hardState`, `auditRecords`.
/// It means exactly what `Storage.PersistBatch` means.
public struct DurableBatch: Sendable {
    /// A snapshot received from the leader; it replaces the whole stored log.
    public var snapshotToInstall: Snapshot?
    /// Contiguous entries; stored entries at or after the first one's index are replaced.
    public var entries: [Entry]
    /// A snapshot taken locally: store it and drop the entries it covers.
    public var compaction: Snapshot?
    /// The hard state to store, when it changed.
    public var hardState: HardState?
    /// Audit records to append, contiguous with the stored audit head; never rewritten.
    public var auditRecords: [AuditRecord]

    /// Creates a batch; every part is optional.
    public init(snapshotToInstall: Snapshot? = nil, entries: [Entry] = [], compaction: Snapshot? = nil,
                hardState: HardState? = nil, auditRecords: [AuditRecord] = []) {
        self.snapshotToInstall = snapshotToInstall
        self.entries = entries
        self.compaction = compaction
        self.hardState = hardState
        self.auditRecords = auditRecords
    }

    /// Whether saving the batch would write nothing.
    public var isEmpty: Bool {
        snapshotToInstall == nil && entries.isEmpty && compaction == nil && hardState == nil && auditRecords.isEmpty
    }
}
