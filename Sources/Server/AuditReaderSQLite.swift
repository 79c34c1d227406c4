import Governance
import Storage

// MARK: - The durable audit log, read back

/// The API layer's `AuditReader` over the node's SQLite audit table. Only the replica thread
/// calls it (the store is not shared across threads), hence the unchecked `Sendable`.
public final class AuditReaderSQLite: AuditReader, @unchecked Sendable {
    /// Records fetched from SQLite per page while filtering or verifying.
    static let pageRecords = 1_000
    /// Pages scanned at most for one filtered read (about 20 ms), so a rare filter cannot stall
    /// the replica thread past an election timeout; a sparser match needs a later `after`.
    static let maximumPagesPerRead = 8

    private let store: SQLiteLogStore
    /// Saves audit records the replica still holds back (`Replica.saveDeferred`), so a reader
    /// never misses a record of an entry already applied — and perhaps already answered.
    private let catchUp: () -> Void

    /// A reader over `store`; `catchUp` runs before every read of the table.
    public init(store: SQLiteLogStore, catchUp: @escaping () -> Void = {}) {
        self.store = store
        self.catchUp = catchUp
    }

    /// Records with `seq > after` matching the filters, oldest first, at most `limit`.
    public func records(after: UInt64, agent: String?, type: String?, limit: Int) -> [Governance.AuditRecord] {
        catchUp()
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

    /// Rechecks the whole chain from genesis, page by page (blocking: see `verifyStep`).
    public func verify() -> AuditVerification {
        var progress = Self.verificationStart
        while true {
            let (next, done) = verifyStep(progress, pages: .max)
            if done { return next }
            progress = next
        }
    }

    /// Where a verification starts: nothing verified, at genesis.
    public static var verificationStart: AuditVerification { Governance.AuditRecord.verifyChain([]) }

    /// Continues a verification by at most `pages` pages, so the replica thread can verify a long
    /// chain in slices between its ticks; `done` once the chain's end or a broken record is reached.
    public func verifyStep(_ progress: AuditVerification, pages: Int) -> (AuditVerification, done: Bool) {
        catchUp()
        var total = progress
        for _ in 0..<pages {
            let stored: [Storage.AuditRecord]
            do {
                stored = try store.auditRecords(afterSeq: total.head.seq, limit: Self.pageRecords)
            } catch {
                return (broken(total, problem: "reading the audit table failed: \(error)"), true)
            }
            if stored.isEmpty { return (total, true) }
            var page: [Governance.AuditRecord] = []
            for record in stored {
                guard let decoded = try? Governance.AuditRecord.decode(record.bytes) else {
                    return (broken(total, problem: "record \(record.seq) does not decode"), true)
                }
                page.append(decoded)
            }
            let step = Governance.AuditRecord.verifyChain(page, from: total.head)
            let verified = total.verifiedCount + step.verifiedCount
            total = step
            total.verifiedCount = verified
            if !step.ok { return (total, true) }
        }
        return (total, false)
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

/// An `AuditReader` whose `verify()` answers with a verification already computed in slices.
struct AuditReaderVerified: AuditReader {
    let base: AuditReaderSQLite
    let verification: AuditVerification

    func records(after: UInt64, agent: String?, type: String?, limit: Int) -> [Governance.AuditRecord] {
        base.records(after: after, agent: agent, type: type, limit: limit)
    }

    func verify() -> AuditVerification { verification }
}
