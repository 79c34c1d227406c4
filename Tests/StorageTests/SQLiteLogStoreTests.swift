import Foundation
import Raft
@testable import Storage
import Testing

@Suite("SQLite log store: saving and loading")
struct SQLiteLogStoreTests {
    static let configuration = ClusterConfiguration(voters: [1, 2, 3])

    @Test("a new store is empty, and everything a batch saved is there after reopening")
    func roundTrip() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            let store = try SQLiteLogStore(path: path)
            #expect(try store.load() == RecoveredLog(hardState: HardState(), snapshot: nil, entries: []))
            #expect(store.firstIndex == 1 && store.lastIndex == 0)
            let entries = makeEntries(1...5, term: 2) + [Entry(term: 2, index: 6, kind: .noOp)]
            try store.save(PersistBatch(entries: entries, hardState: HardState(term: 2, votedFor: 3, commitIndex: 4),
                                        auditRecords: [AuditRecord(seq: 1, bytes: [1]), AuditRecord(seq: 2, bytes: [])],
                                        metadata: ["applied": [4, 0, 0, 0]]))
            store.close()
            let reopened = try SQLiteLogStore(path: path)
            defer { reopened.close() }
            let recovered = try reopened.load()
            #expect(recovered.entries == entries)
            #expect(recovered.hardState == HardState(term: 2, votedFor: 3, commitIndex: 4))
            #expect(recovered.snapshot == nil)
            #expect(try reopened.auditRecords(afterSeq: 0, limit: 10) == [AuditRecord(seq: 1, bytes: [1]), AuditRecord(seq: 2, bytes: [])])
            #expect(try reopened.auditHead() == AuditRecord(seq: 2, bytes: []))
            #expect(try reopened.metadata("applied") == [4, 0, 0, 0])
            #expect(try reopened.metadata("missing") == nil)
        }
    }

    @Test("appending at an index below the last replaces the conflicting suffix")
    func conflictingSuffixIsReplaced() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteLogStore(path: directory + "/node.db")
            defer { store.close() }
            try store.save(PersistBatch(entries: makeEntries(1...10, term: 1)))
            try store.save(PersistBatch(entries: makeEntries(6...7, term: 2)))
            #expect(store.lastIndex == 7)
            #expect(try store.load().entries == makeEntries(1...5, term: 1) + makeEntries(6...7, term: 2))
        }
    }

    @Test("a snapshot from the leader replaces the whole log; an older one is ignored")
    func snapshotInstall() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            let store = try SQLiteLogStore(path: path)
            try store.save(PersistBatch(entries: makeEntries(1...10, term: 1)))
            let snapshot = Snapshot(metadata: .init(index: 20, term: 3, configuration: Self.configuration), data: [9, 9, 9])
            try store.save(PersistBatch(snapshotToInstall: snapshot, entries: makeEntries(21...22, term: 3),
                                        hardState: HardState(term: 3, votedFor: nil, commitIndex: 20)))
            let older = Snapshot(metadata: .init(index: 15, term: 2, configuration: Self.configuration), data: [1])
            try store.save(PersistBatch(snapshotToInstall: older))
            store.close()
            let reopened = try SQLiteLogStore(path: path)
            defer { reopened.close() }
            let recovered = try reopened.load()
            #expect(recovered.snapshot == snapshot)
            #expect(recovered.entries == makeEntries(21...22, term: 3))
            #expect(reopened.firstIndex == 21 && reopened.lastIndex == 22)
        }
    }

    @Test("a local snapshot compacts the entries it covers in the same transaction")
    func compaction() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            let store = try SQLiteLogStore(path: path)
            try store.save(PersistBatch(entries: makeEntries(1...10, term: 1), hardState: HardState(term: 1, commitIndex: 10)))
            let snapshot = Snapshot(metadata: .init(index: 7, term: 1, configuration: Self.configuration), data: [7])
            try store.save(PersistBatch(entries: makeEntries(11...12, term: 1), compaction: snapshot))
            store.close()
            let reopened = try SQLiteLogStore(path: path)
            defer { reopened.close() }
            let recovered = try reopened.load()
            #expect(recovered.snapshot == snapshot)
            #expect(recovered.entries == makeEntries(8...12, term: 1))
            #expect(try reopened.entries(from: 1, to: 9, maxBytes: 1_000) == makeEntries(8...8, term: 1))
        }
    }

    @Test("entries(from:to:maxBytes:) reads a half-open range, bounded by bytes but at least one entry")
    func boundedEntryReads() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteLogStore(path: directory + "/node.db")
            defer { store.close() }
            let entries = (1...20).map { Entry(term: 1, index: UInt64($0), data: [UInt8](repeating: 1, count: 10)) }
            try store.save(PersistBatch(entries: entries))
            #expect(try store.entries(from: 5, to: 9, maxBytes: 1_000) == Array(entries[4..<8]))
            #expect(try store.entries(from: 5, to: 20, maxBytes: 35) == Array(entries[4..<7]))
            #expect(try store.entries(from: 5, to: 20, maxBytes: 0) == [entries[4]])
            #expect(try store.entries(from: 18, to: 100, maxBytes: 1_000) == Array(entries[17...]))
            #expect(try store.entries(from: 21, to: 30, maxBytes: 1_000) == [])
        }
    }

    @Test("audit reads page through records in order and stop at the head")
    func auditPaging() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteLogStore(path: directory + "/node.db")
            defer { store.close() }
            let records = (1...25).map { AuditRecord(seq: UInt64($0), bytes: [UInt8($0)]) }
            try store.save(PersistBatch(auditRecords: Array(records[..<10])))
            try store.save(PersistBatch(auditRecords: Array(records[10...])))
            #expect(try store.auditRecords(afterSeq: 0, limit: 7) == Array(records[..<7]))
            #expect(try store.auditRecords(afterSeq: 7, limit: 100) == Array(records[7...]))
            #expect(try store.auditRecords(afterSeq: 25, limit: 5) == [])
            #expect(try store.auditHead() == records.last)
            #expect(store.auditHeadSeq == 25)
        }
    }

    @Test("a batch that breaks a rule throws and leaves nothing of itself behind")
    func invalidBatchesAreAtomic() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            let store = try SQLiteLogStore(path: path)
            try store.save(PersistBatch(entries: makeEntries(1...3, term: 1), auditRecords: [AuditRecord(seq: 1, bytes: [1])]))
            let refused: [PersistBatch] = [
                PersistBatch(entries: makeEntries(4...6, term: 1), auditRecords: [AuditRecord(seq: 1, bytes: [2])]),
                PersistBatch(entries: makeEntries(6...7, term: 1)),
                PersistBatch(entries: makeEntries(4...4, term: 1) + makeEntries(6...6, term: 1)),
                PersistBatch(entries: makeEntries(4...5, term: 1), hardState: HardState(term: 1, commitIndex: 9)),
                PersistBatch(entries: makeEntries(4...5, term: 1),
                             compaction: Snapshot(metadata: .init(index: 4, term: 7, configuration: Self.configuration))),
                PersistBatch(entries: makeEntries(4...5, term: 1), metadata: ["": [1]]),
                PersistBatch(metadata: ["big": [UInt8](repeating: 0, count: SQLiteLogStore.maximumMetadataValueBytes + 1)]),
            ]
            for batch in refused {
                #expect(throws: StorageError.self) { try store.save(batch) }
                #expect(store.lastIndex == 3 && store.auditHeadSeq == 1)
            }
            store.close()
            let reopened = try SQLiteLogStore(path: path)
            defer { reopened.close() }
            #expect(try reopened.load().entries == makeEntries(1...3, term: 1))
            #expect(try reopened.auditRecords(afterSeq: 0, limit: 10) == [AuditRecord(seq: 1, bytes: [1])])
            #expect(try reopened.metadata("big") == nil)
        }
    }

    @Test("a Ready maps to one batch, and the rebuilt memory log matches what the core persisted")
    func readyAndMemoryLog() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            var ready = Ready()
            ready.entriesToPersist = makeEntries(1...4, term: 1)
            ready.hardState = HardState(term: 1, votedFor: 1, commitIndex: 2)
            var expected = MemoryLogStorage(configuration: Self.configuration)
            expected.persist(ready)
            let store = try SQLiteLogStore(path: path)
            try store.save(PersistBatch(ready: ready))
            store.close()
            let reopened = try SQLiteLogStore(path: path)
            defer { reopened.close() }
            let rebuilt = try reopened.load().memoryLogStorage(initialConfiguration: Self.configuration)
            #expect(rebuilt.hardState == expected.hardState)
            #expect(rebuilt.snapshot == expected.snapshot)
            #expect(rebuilt.entries(in: 1..<5, maxBytes: .max) == expected.entries(in: 1..<5, maxBytes: .max))
            #expect(rebuilt.lastIndex == 4)
        }
    }

    @Test("a first snapshot at index 0 records the initial configuration for later restarts")
    func initialConfigurationSnapshot() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            let store = try SQLiteLogStore(path: path)
            try store.save(PersistBatch(snapshotToInstall: .initial(Self.configuration)))
            try store.save(PersistBatch(entries: makeEntries(1...2, term: 1)))
            try store.save(PersistBatch(snapshotToInstall: .initial(ClusterConfiguration(voters: [9]))))
            store.close()
            let reopened = try SQLiteLogStore(path: path)
            defer { reopened.close() }
            let rebuilt = try reopened.load().memoryLogStorage(initialConfiguration: ClusterConfiguration(voters: [5]))
            #expect(rebuilt.snapshot == .initial(Self.configuration))
            #expect(rebuilt.lastIndex == 2)
        }
    }

    @Test("the database records its cluster and node, and refuses another node's identity")
    func identity() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            let store = try SQLiteLogStore(path: path)
            #expect(store.identity == nil)
            try store.claimIdentity(.init(clusterID: 77, nodeID: 2))
            store.close()
            let reopened = try SQLiteLogStore(path: path)
            defer { reopened.close() }
            #expect(reopened.identity == .init(clusterID: 77, nodeID: 2))
            try reopened.claimIdentity(.init(clusterID: 77, nodeID: 2))
            let error = #expect(throws: StorageError.self) { try reopened.claimIdentity(.init(clusterID: 77, nodeID: 3)) }
            #expect(error?.description.contains("node 2") == true)
        }
    }

    @Test("the workload writer's batches replay: audit head and metadata agree with the last index")
    func workloadInProcess() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/torture.db"
            try writeWorkload(to: path, through: 4_000)
            try TortureCheck.verify(path: path, acknowledgedIndex: 4_000)
        }
    }

    @Test("a creation interrupted before its rename is discarded and the store is created afresh")
    func interruptedCreation() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            #expect(FileManager.default.createFile(atPath: path + ".creating", contents: Data([0xAB, 0xCD])))
            let store = try SQLiteLogStore(path: path)
            defer { store.close() }
            #expect(!FileManager.default.fileExists(atPath: path + ".creating"))
            #expect(try store.load().entries.isEmpty)
            try store.save(PersistBatch(entries: makeEntries(1...1, term: 1)))
            #expect(store.lastIndex == 1)
        }
    }
}
