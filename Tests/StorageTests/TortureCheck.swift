import Raft
import Storage
import Testing

/// The oracle for the torture workload: what a store written by `warden storage-torture` must hold.
enum TortureCheck {
    /// Opens the store at `path` (which verifies every checksum and contiguity) and checks that it
    /// holds the workload through at least `acknowledgedIndex`, every record exactly as written, and
    /// that each table reflects the same number of whole batches. Returns the last stored index.
    @discardableResult
    static func verify(path: String, acknowledgedIndex: UInt64) throws -> UInt64 {
        let store = try SQLiteLogStore(path: path)
        defer { store.close() }
        let recovered = try store.load()
        let lastIndex = recovered.lastIndex
        #expect(lastIndex >= acknowledgedIndex, "acknowledged \(acknowledgedIndex) but the log ends at \(lastIndex)")
        let snapshotIndex = recovered.snapshot?.metadata.index ?? 0
        if let snapshot = recovered.snapshot {
            #expect(snapshot == StorageTortureWorkload.snapshot(at: snapshotIndex))
        }
        #expect(recovered.entries.first.map { $0.index == snapshotIndex + 1 } ?? (lastIndex == snapshotIndex))
        let wrong = recovered.entries.enumerated().filter { offset, entry in
            entry != StorageTortureWorkload.entry(at: snapshotIndex + 1 + UInt64(offset))
        }
        #expect(wrong.isEmpty, "\(wrong.count) entries differ from what was written, first at \(wrong.first?.element.index ?? 0)")
        #expect(recovered.hardState.commitIndex == lastIndex, "hard state and entries come from different batches")
        let recordedLast = try store.metadata(StorageTortureWorkload.lastIndexKey)
        #expect(recordedLast == (lastIndex == 0 ? nil : StorageTortureWorkload.littleEndianBytes(lastIndex)))
        let batches = batchCount(reaching: lastIndex)
        #expect(batches == store.auditHeadSeq, "\(batches) batches reach \(lastIndex) but \(store.auditHeadSeq) audit records are stored")
        try verifyAudit(store)
        return lastIndex
    }

    /// How many workload batches, replayed from an empty log, end exactly at `index`; nil when none do.
    static func batchCount(reaching index: UInt64) -> UInt64? {
        var last: UInt64 = 0
        var count: UInt64 = 0
        while last < index {
            last += StorageTortureWorkload.batchSize(afterIndex: last)
            count += 1
        }
        return last == index ? count : nil
    }

    private static func verifyAudit(_ store: SQLiteLogStore) throws {
        var seq: UInt64 = 0
        while seq < store.auditHeadSeq {
            let page = try store.auditRecords(afterSeq: seq, limit: SQLiteLogStore.maximumAuditReadLimit)
            for record in page where record != StorageTortureWorkload.auditRecord(seq: record.seq) {
                Issue.record("audit record \(record.seq) differs from what was written")
            }
            guard let last = page.last else { break }
            seq = last.seq
        }
        #expect(seq == store.auditHeadSeq)
    }
}
