import Governance
import Storage

// MARK: - The durable audit log, read back

/// The API layer's `AuditReader` over the node's SQLite audit table. Only the replica thread
/// calls it (the store is not shared across threads), hence the unchecked `Sendable`.
public final class AuditReaderSQLite: AuditReader, @unchecked Sendable {
    /// Records fetched from SQLite per page while filtering or verifying.
    static let pageRecords = 1_000
    /// Pages scanned at most for one filtered read, so a rare filter cannot stall the replica thread.
    static let maximumPagesPerRead = 100

    private let store: SQLiteLogStore

    /// A reader over `store`.
    public init(store: SQLiteLogStore) {
        self.store = store
    }

    /// Records with `seq > after` matching the filters, oldest first, at most `limit`.
    public func records(after: UInt64, agent: String?, type: String?, limit: Int) -> [Governance.AuditRecord] {
        var found: [Governance.AuditRecord] = []
        var cursor = after
        let subject = agent.map { "agent:\($0)" }
        for _ in 0..<Self.maximumPagesPerRead where found.count < limit {
            let page = decodedPage(after: cursor)
            guard let last = page.last else { break }
            cursor = last.seq
            for record in page where found.count < limit {
                if let subject, record.subject != subject { continue }
                if let type, record.type != type { continue }
                found.append(record)
            }
        }
        return found
    }

    /// Rechecks the whole chain from genesis, page by page.
    public func verify() -> AuditVerification {
        var total = Governance.AuditRecord.verifyChain([])
        while true {
            let stored: [Storage.AuditRecord]
            do {
                stored = try store.auditRecords(afterSeq: total.head.seq, limit: Self.pageRecords)
            } catch {
                return broken(total, problem: "reading the audit table failed: \(error)")
            }
            if stored.isEmpty { return total }
            var page: [Governance.AuditRecord] = []
            for record in stored {
                guard let decoded = try? Governance.AuditRecord.decode(record.bytes) else {
                    return broken(total, problem: "record \(record.seq) does not decode")
                }
                page.append(decoded)
            }
            let step = Governance.AuditRecord.verifyChain(page, from: total.head)
            let verified = total.verifiedCount + step.verifiedCount
            total = step
            total.verifiedCount = verified
            if !step.ok { return total }
        }
    }

    private func broken(_ verification: AuditVerification, problem: String) -> AuditVerification {
        var result = verification
        result.ok = false
        result.firstBrokenSeq = verification.head.seq + 1
        result.problem = problem
        return result
    }

    /// One page after `seq`, decoded; undecodable records are skipped here (verify reports them).
    private func decodedPage(after seq: UInt64) -> [Governance.AuditRecord] {
        guard let stored = try? store.auditRecords(afterSeq: seq, limit: Self.pageRecords) else { return [] }
        return stored.compactMap { try? Governance.AuditRecord.decode($0.bytes) }
    }
}
