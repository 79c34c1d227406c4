import Raft
import Storage
import Testing

@Suite("SQLite log store: audit records copied from a peer")
struct AuditBackfillStorageTests {
    static let configuration = ClusterConfiguration(voters: [1, 2, 3])

    @Test("after a leader's snapshot replaced the log, audit-only batches continue the stored head; one that skips or repeats is refused whole")
    func auditOnlyBatchesAfterSnapshot() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            let store = try SQLiteLogStore(path: path)
            let early = (1...3).map { AuditRecord(seq: $0, bytes: [UInt8($0)]) }
            try store.save(PersistBatch(entries: makeEntries(1...3, term: 1), auditRecords: early))
            let snapshot = Snapshot(metadata: .init(index: 50, term: 2, configuration: Self.configuration), data: [5])
            try store.save(PersistBatch(snapshotToInstall: snapshot))
            #expect(store.auditHeadSeq == 3)
            let copied = (4...1_003).map { AuditRecord(seq: $0, bytes: Array(repeating: UInt8(truncatingIfNeeded: $0), count: 40)) }
            try store.save(PersistBatch(auditRecords: copied))
            #expect(store.auditHeadSeq == 1_003)
            #expect(throws: StorageError.self) {
                try store.save(PersistBatch(auditRecords: [AuditRecord(seq: 1_005, bytes: [1])]))
            }
            #expect(throws: StorageError.self) {
                try store.save(PersistBatch(auditRecords: [AuditRecord(seq: 1_003, bytes: [1]), AuditRecord(seq: 1_004, bytes: [2])]))
            }
            #expect(store.auditHeadSeq == 1_003)
            store.close()
            let reopened = try SQLiteLogStore(path: path)
            defer { reopened.close() }
            #expect(reopened.auditHeadSeq == 1_003)
            #expect(try reopened.auditRecords(afterSeq: 0, limit: 2_000) == early + copied)
            #expect(try reopened.load().snapshot?.metadata.index == 50)
        }
    }
}
