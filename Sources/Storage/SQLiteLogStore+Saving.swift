import Raft

// MARK: - Group commit: one batch, one transaction

extension SQLiteLogStore {
    /// Saves everything in `batch` in one transaction; when this returns, all of it is durable
    /// (WAL, `synchronous=FULL`), so acknowledgements, votes and commits that depend on it may leave.
    ///
    /// A batch that breaks the log's rules throws `.invalidBatch` and saves nothing. After a
    /// `.sqlite` failure (an I/O error, a full disk) the node should stop: what reached the disk
    /// is then only known by reopening.
    public func save(_ batch: PersistBatch) throws(StorageError) {
        guard !batch.isEmpty else { return }
        try validateMetadata(batch.metadata)
        var next = state
        try run("database") { () throws(SQLiteError) in
            try database.execute("BEGIN IMMEDIATE", context: "beginning a batch")
        }
        do throws(StorageError) {
            if let snapshot = batch.snapshotToInstall { try install(snapshot, into: &next) }
            try append(batch.entries, into: &next)
            if let snapshot = batch.compaction { try compact(with: snapshot, into: &next) }
            if let hardState = batch.hardState { try write(hardState, lastIndex: next.lastIndex) }
            try appendAudit(batch.auditRecords, into: &next)
            try writeMetadata(batch.metadata)
            try run("database") { () throws(SQLiteError) in
                try database.execute("COMMIT", context: "committing a batch")
            }
        } catch {
            try? database.execute("ROLLBACK", context: "rolling back a batch")
            throw error
        }
        state = next
    }

    // MARK: - Parts of a batch

    /// Replaces the whole log with a snapshot from the leader, as `MemoryLogStorage` does; an older
    /// snapshot is ignored. A first snapshot at index 0 only records the initial configuration.
    private func install(_ snapshot: Snapshot, into next: inout StoredState) throws(StorageError) {
        let index = snapshot.metadata.index
        if index > next.snapshotIndex {
            try execute("log", "DELETE FROM log", binding: [])
            next.lastIndex = index
        } else if next.snapshot != nil || index != 0 {
            return
        }
        try write(snapshot)
        next.snapshot = (index, snapshot.metadata.term)
    }

    /// Appends contiguous entries, first removing stored entries at or after the first new index.
    private func append(_ entries: [Entry], into next: inout StoredState) throws(StorageError) {
        guard let first = entries.first else { return }
        for (offset, entry) in entries.enumerated() where entry.index != first.index + UInt64(offset) {
            throw .invalidBatch(detail: "entries are not contiguous: entry \(entry.index) at position \(offset) after \(first.index)")
        }
        guard first.index <= next.lastIndex + 1 else {
            throw .invalidBatch(detail: "entry \(first.index) would leave a gap after the last stored entry \(next.lastIndex)")
        }
        let kept = entries.drop { $0.index <= next.snapshotIndex }
        guard let firstKept = kept.first, let lastKept = kept.last else { return }
        precondition(lastKept.index < UInt64(Int64.max), "log index beyond SQLite's integer range")
        try execute("log", "DELETE FROM log WHERE log_index >= ?", binding: [firstKept.index])
        try run("log") { () throws(SQLiteError) in
            let insert = try database.statement("INSERT INTO log (log_index, term, kind, data, checksum) VALUES (?, ?, ?, ?, ?)")
            for entry in kept {
                insert.reset()
                try insert.bind(Int64(bitPattern: entry.index), at: 1)
                try insert.bind(Int64(bitPattern: entry.term), at: 2)
                try insert.bind(Int64(entry.kind.rawValue), at: 3)
                try insert.bind(entry.data, at: 4)
                let checksum = RecordChecksum.logEntry(index: entry.index, term: entry.term, kind: entry.kind.rawValue, data: entry.data)
                try insert.bind(Int64(checksum), at: 5)
                try insert.step()
            }
        }
        next.lastIndex = lastKept.index
    }

    /// Stores a locally taken snapshot and drops the entries it covers; an older one is ignored.
    private func compact(with snapshot: Snapshot, into next: inout StoredState) throws(StorageError) {
        let index = snapshot.metadata.index
        guard index > next.snapshotIndex else { return }
        guard index <= next.lastIndex else {
            throw .invalidBatch(detail: "compaction at \(index) is beyond the last stored entry \(next.lastIndex)")
        }
        guard let stored = try storedEntry(at: index) else {
            throw corrupt("log", index, "entry \(index) is missing although the log ends at \(next.lastIndex)")
        }
        guard stored.term == snapshot.metadata.term else {
            throw .invalidBatch(detail: "the snapshot's term \(snapshot.metadata.term) at \(index) is not the stored entry's term \(stored.term)")
        }
        try execute("log", "DELETE FROM log WHERE log_index <= ?", binding: [index])
        try write(snapshot)
        next.snapshot = (index, snapshot.metadata.term)
    }

    private func write(_ snapshot: Snapshot) throws(StorageError) {
        let configuration = snapshot.metadata.configuration.encoded()
        try run("snapshot") { () throws(SQLiteError) in
            let insert = try database.statement(
                "INSERT OR REPLACE INTO snapshot (id, snapshot_index, term, configuration, data, checksum) VALUES (1, ?, ?, ?, ?, ?)")
            try insert.bind(Int64(bitPattern: snapshot.metadata.index), at: 1)
            try insert.bind(Int64(bitPattern: snapshot.metadata.term), at: 2)
            try insert.bind(configuration, at: 3)
            try insert.bind(snapshot.data, at: 4)
            let checksum = RecordChecksum.snapshot(index: snapshot.metadata.index, term: snapshot.metadata.term,
                                                   configuration: configuration, data: snapshot.data)
            try insert.bind(Int64(checksum), at: 5)
            try insert.step()
        }
    }

    private func write(_ hardState: HardState, lastIndex: UInt64) throws(StorageError) {
        guard hardState.commitIndex <= lastIndex else {
            throw .invalidBatch(detail: "commit index \(hardState.commitIndex) is beyond the last stored entry \(lastIndex)")
        }
        let votedFor = hardState.votedFor ?? 0
        try run("hard_state") { () throws(SQLiteError) in
            let insert = try database.statement(
                "INSERT OR REPLACE INTO hard_state (id, term, voted_for, commit_index, checksum) VALUES (1, ?, ?, ?, ?)")
            try insert.bind(Int64(bitPattern: hardState.term), at: 1)
            try insert.bind(Int64(bitPattern: votedFor), at: 2)
            try insert.bind(Int64(bitPattern: hardState.commitIndex), at: 3)
            let checksum = RecordChecksum.hardState(term: hardState.term, votedFor: votedFor, commitIndex: hardState.commitIndex)
            try insert.bind(Int64(checksum), at: 4)
            try insert.step()
        }
    }

    /// Appends audit records; each must follow the stored head, so history is never rewritten.
    private func appendAudit(_ records: [AuditRecord], into next: inout StoredState) throws(StorageError) {
        for (offset, record) in records.enumerated() where record.seq != next.auditHead + 1 + UInt64(offset) {
            throw .invalidBatch(detail: "audit record \(record.seq) does not follow the stored head \(next.auditHead + UInt64(offset)); "
                                + "audit records are contiguous and never rewritten")
        }
        guard let last = records.last else { return }
        try run("audit") { () throws(SQLiteError) in
            let insert = try database.statement("INSERT INTO audit (seq, record, checksum) VALUES (?, ?, ?)")
            for record in records {
                insert.reset()
                try insert.bind(Int64(bitPattern: record.seq), at: 1)
                try insert.bind(record.bytes, at: 2)
                try insert.bind(Int64(RecordChecksum.audit(seq: record.seq, bytes: record.bytes)), at: 3)
                try insert.step()
            }
        }
        next.auditHead = last.seq
    }

    private func validateMetadata(_ metadata: [String: [UInt8]]) throws(StorageError) {
        for (key, value) in metadata {
            guard !key.isEmpty, key.utf8.count <= Self.maximumMetadataKeyBytes else {
                throw .invalidBatch(detail: "metadata key of \(key.utf8.count) bytes; keys hold 1 to \(Self.maximumMetadataKeyBytes)")
            }
            guard value.count <= Self.maximumMetadataValueBytes else {
                throw .invalidBatch(detail: "metadata value of \(value.count) bytes under \"\(key)\"; the limit is "
                                    + "\(Self.maximumMetadataValueBytes)")
            }
        }
    }

    private func writeMetadata(_ metadata: [String: [UInt8]]) throws(StorageError) {
        guard !metadata.isEmpty else { return }
        try run("metadata") { () throws(SQLiteError) in
            let insert = try database.statement("INSERT OR REPLACE INTO metadata (key, value, checksum) VALUES (?, ?, ?)")
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                insert.reset()
                try insert.bind(key, at: 1)
                try insert.bind(value, at: 2)
                try insert.bind(Int64(RecordChecksum.metadata(key: key, value: value)), at: 3)
                try insert.step()
            }
        }
    }

    private func execute(_ table: String, _ sql: String, binding values: [UInt64]) throws(StorageError) {
        try run(table) { () throws(SQLiteError) in
            let statement = try database.statement(sql)
            for (position, value) in values.enumerated() { try statement.bind(Int64(bitPattern: value), at: Int32(position + 1)) }
            try statement.step()
        }
    }
}
