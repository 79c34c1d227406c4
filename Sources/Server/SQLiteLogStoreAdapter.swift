import Governance
import Raft
import Replica
import Storage

// MARK: - The replica's log store over SQLite

/// `LogStore` over `SQLiteLogStore`: one `DurableBatch` becomes one `PersistBatch`, saved in one
/// transaction (group commit). Used only on the replica thread.
public final class SQLiteLogStoreAdapter: LogStore {
    /// The database.
    public let store: SQLiteLogStore

    /// An adapter over an opened (and verified) store.
    public init(store: SQLiteLogStore) {
        self.store = store
    }

    /// Everything stored, with the audit head so the replica does not hand stored records back.
    public func load() throws -> StoredLog {
        let recovered = try store.load()
        return StoredLog(
            hardState: recovered.hardState, snapshot: recovered.snapshot, entries: recovered.entries,
            auditHeadSeq: store.auditHeadSeq)
    }

    /// Makes `batch` durable in one SQLite transaction before returning.
    public func save(_ batch: DurableBatch) throws {
        let persist = PersistBatch(
            snapshotToInstall: batch.snapshotToInstall, entries: batch.entries, hardState: batch.hardState,
            compaction: batch.compaction,
            auditRecords: batch.auditRecords.map { Storage.AuditRecord(seq: $0.seq, bytes: $0.encode()) })
        try store.save(persist)
    }
}
