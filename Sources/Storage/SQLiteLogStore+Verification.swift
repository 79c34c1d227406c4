import Raft

// MARK: - Start-up verification: a store that opened holds only records that verify

extension SQLiteLogStore {
    /// The tables a Warden database holds.
    static let tableNames = ["meta", "metadata", "hard_state", "snapshot", "log", "audit"]

    /// SQLite's own check of every page, then the presence of the `meta` table.
    func verifyStructure() throws(StorageError) {
        let problems = try run("database") { () throws(SQLiteError) in try database.integrityProblems() }
        guard problems.isEmpty else {
            let shown = problems.prefix(3).joined(separator: "; ")
            throw corrupt("database", nil, "SQLite's integrity check found \(problems.count) problem(s): \(shown)")
        }
        guard try tableExists("meta") else {
            throw corrupt("meta", nil, "the database has no meta table, so it is not a Warden database or its schema was lost")
        }
    }

    /// Reads and verifies the `meta` rows: the schema version must be this build's; records the identity.
    func verifySchemaVersion() throws(StorageError) {
        let select = try run("meta") { () throws(SQLiteError) in try database.statement("SELECT key, value, checksum FROM meta") }
        defer { select.reset() }
        var values: [String: UInt64] = [:]
        while try run("meta", { () throws(SQLiteError) in try select.step() }) {
            let key = select.text(at: 0) ?? ""
            let value = UInt64(bitPattern: select.integer(at: 1))
            guard select.integer(at: 2) == Int64(RecordChecksum.meta(key: key, value: value)) else {
                throw corrupt("meta", nil, "checksum mismatch in the value of \"\(key)\"")
            }
            values[key] = value
        }
        guard let version = values[MetaKey.schemaVersion] else {
            throw corrupt("meta", nil, "no schema version is recorded")
        }
        guard Int64(bitPattern: version) == Self.schemaVersion else {
            throw .schemaVersion(found: Int64(bitPattern: version), expected: Self.schemaVersion)
        }
        for table in Self.tableNames where try !tableExists(table) {
            throw corrupt(table, nil, "the table is missing from the schema")
        }
        if let clusterID = values[MetaKey.clusterID], let nodeID = values[MetaKey.nodeID] {
            state.identity = Identity(clusterID: clusterID, nodeID: nodeID)
        }
    }

    /// Verifies every row and the relations between them; returns what saving needs to know.
    func verifyRecords() throws(StorageError) -> StoredState {
        try verifyMetadataRows()
        if let snapshot = try readSnapshot() {
            state.snapshot = (snapshot.metadata.index, snapshot.metadata.term)
        }
        state.lastIndex = state.snapshotIndex
        try verifyNothingBeforeSnapshot()
        var lastTerm = state.snapshot?.term ?? 0
        var lastIndex = state.snapshotIndex
        try forEachEntry(in: firstIndex..<UInt64.max) { (entry) throws(StorageError) in
            guard entry.term >= lastTerm else {
                throw corrupt("log", entry.index, "term \(entry.term) is lower than the previous entry's term \(lastTerm)")
            }
            lastTerm = entry.term
            lastIndex = entry.index
            return true
        }
        state.lastIndex = lastIndex
        if let hardState = try readHardState(), hardState.commitIndex > lastIndex {
            throw corrupt("hard_state", nil, "the commit index \(hardState.commitIndex) is beyond the last stored entry "
                          + "\(lastIndex): committed entries are missing")
        }
        state.auditHead = try verifyAuditRows()
        return state
    }

    private func verifyMetadataRows() throws(StorageError) {
        let select = try run("metadata") { () throws(SQLiteError) in try database.statement("SELECT key, value, checksum FROM metadata") }
        defer { select.reset() }
        while try run("metadata", { () throws(SQLiteError) in try select.step() }) {
            let key = select.text(at: 0) ?? ""
            guard select.integer(at: 2) == Int64(RecordChecksum.metadata(key: key, value: select.bytes(at: 1))) else {
                throw corrupt("metadata", nil, "checksum mismatch in the value of key \"\(key)\"")
            }
        }
    }

    private func verifyNothingBeforeSnapshot() throws(StorageError) {
        let select = try run("log") { () throws(SQLiteError) in
            let select = try database.statement("SELECT min(log_index) FROM log WHERE log_index <= ?")
            try select.bind(Int64(bitPattern: state.snapshotIndex), at: 1)
            return select
        }
        defer { select.reset() }
        guard try run("log", { () throws(SQLiteError) in try select.step() }), !select.isNull(at: 0) else { return }
        let stray = UInt64(bitPattern: select.integer(at: 0))
        throw corrupt("log", stray, "entry \(stray) is stored although the snapshot at \(state.snapshotIndex) covers it")
    }

    /// Checks every audit record's checksum and that sequence numbers run 1, 2, 3, …; returns the head.
    private func verifyAuditRows() throws(StorageError) -> UInt64 {
        let select = try run("audit") { () throws(SQLiteError) in
            try database.statement("SELECT seq, record, checksum FROM audit ORDER BY seq")
        }
        defer { select.reset() }
        var head: UInt64 = 0
        while try run("audit", { () throws(SQLiteError) in try select.step() }) {
            let record = try decodeAuditRecord(select)
            guard record.seq == head + 1 else {
                throw corrupt("audit", head + 1, "audit record \(head + 1) is missing: the records jump from \(head) to \(record.seq)")
            }
            head = record.seq
        }
        return head
    }

    private func tableExists(_ name: String) throws(StorageError) -> Bool {
        let select = try run("database") { () throws(SQLiteError) in
            let select = try database.statement("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?")
            try select.bind(name, at: 1)
            return select
        }
        defer { select.reset() }
        _ = try run("database") { () throws(SQLiteError) in try select.step() }
        return select.integer(at: 0) > 0
    }
}
