import Raft

// MARK: - Reads for recovery and serving; every row's checksum is verified as it is read

extension SQLiteLogStore {
    /// The index of the first stored entry (the snapshot's index plus one).
    public var firstIndex: UInt64 { state.snapshotIndex + 1 }

    /// The index of the last stored entry, or the snapshot's index when there is none.
    public var lastIndex: UInt64 { state.lastIndex }

    /// The sequence number of the last audit record, 0 when there is none.
    public var auditHeadSeq: UInt64 { state.auditHead }

    /// Everything needed to rebuild the core's memory log: hard state, snapshot and the entries after it.
    public func load() throws(StorageError) -> RecoveredLog {
        let hardState = try readHardState() ?? HardState()
        let snapshot = try readSnapshot()
        var entries: [Entry] = []
        try forEachEntry(in: firstIndex..<(lastIndex + 1)) { entry in
            entries.append(entry)
            return true
        }
        return RecoveredLog(hardState: hardState, snapshot: snapshot, entries: entries)
    }

    /// Entries with indexes from `from` up to but not including `to` (clamped to what is stored),
    /// stopping once `maxBytes` of payload is reached; at least one entry when any is in range.
    public func entries(from: UInt64, to: UInt64, maxBytes: Int) throws(StorageError) -> [Entry] {
        let lower = max(from, firstIndex)
        let upper = min(to, lastIndex + 1)
        guard lower < upper else { return [] }
        var result: [Entry] = []
        var bytes = 0
        try forEachEntry(in: lower..<upper) { entry in
            bytes += entry.data.count
            if !result.isEmpty && bytes > maxBytes { return false }
            result.append(entry)
            return true
        }
        return result
    }

    /// Up to `limit` audit records after `afterSeq`, in order (at most `maximumAuditReadLimit`).
    public func auditRecords(afterSeq: UInt64, limit: Int) throws(StorageError) -> [AuditRecord] {
        precondition(limit > 0, "an audit read must ask for at least one record")
        guard afterSeq < state.auditHead else { return [] }
        let count = min(limit, Self.maximumAuditReadLimit)
        let select = try run("audit") { () throws(SQLiteError) in
            let select = try database.statement("SELECT seq, record, checksum FROM audit WHERE seq > ? ORDER BY seq LIMIT ?")
            try select.bind(Int64(bitPattern: afterSeq), at: 1)
            try select.bind(Int64(count), at: 2)
            return select
        }
        defer { select.reset() }
        var records: [AuditRecord] = []
        while try run("audit", { () throws(SQLiteError) in try select.step() }) {
            let record = try decodeAuditRecord(select)
            let expected = afterSeq + UInt64(records.count) + 1
            guard record.seq == expected else { throw corrupt("audit", expected, "audit record \(expected) is missing") }
            records.append(record)
        }
        let expectedCount = min(UInt64(count), state.auditHead - afterSeq)
        guard records.count == expectedCount else {
            throw corrupt("audit", afterSeq + UInt64(records.count) + 1, "audit records up to \(state.auditHead) were "
                          + "stored but the table ends at \(afterSeq + UInt64(records.count))")
        }
        return records
    }

    /// The last audit record, nil when none was stored.
    public func auditHead() throws(StorageError) -> AuditRecord? {
        guard state.auditHead > 0 else { return nil }
        return try auditRecords(afterSeq: state.auditHead - 1, limit: 1).first
    }

    /// The metadata value stored under `key`, nil when there is none.
    public func metadata(_ key: String) throws(StorageError) -> [UInt8]? {
        let select = try run("metadata") { () throws(SQLiteError) in
            let select = try database.statement("SELECT value, checksum FROM metadata WHERE key = ?")
            try select.bind(key, at: 1)
            return select
        }
        defer { select.reset() }
        guard try run("metadata", { () throws(SQLiteError) in try select.step() }) else { return nil }
        let value = select.bytes(at: 0)
        guard select.integer(at: 1) == Int64(RecordChecksum.metadata(key: key, value: value)) else {
            throw corrupt("metadata", nil, "checksum mismatch in the value of key \"\(key)\"")
        }
        return value
    }

    // MARK: - Rows

    /// Visits the stored entries with indexes in `range`, in order, checking each row's checksum and
    /// that none is missing; `visit` returns false to stop early.
    func forEachEntry(in range: Range<UInt64>, _ visit: (Entry) throws(StorageError) -> Bool) throws(StorageError) {
        let upper = min(range.upperBound, UInt64(Int64.max))
        let select = try run("log") { () throws(SQLiteError) in
            let select = try database.statement(
                "SELECT log_index, term, kind, data, checksum FROM log WHERE log_index >= ? AND log_index < ? ORDER BY log_index")
            try select.bind(Int64(bitPattern: range.lowerBound), at: 1)
            try select.bind(Int64(bitPattern: upper), at: 2)
            return select
        }
        defer { select.reset() }
        var expected = range.lowerBound
        while try run("log", { () throws(SQLiteError) in try select.step() }) {
            let entry = try decodeEntry(select)
            guard entry.index == expected else {
                throw corrupt("log", expected, "entry \(expected) is missing: the log jumps from \(expected - 1) to \(entry.index)")
            }
            expected += 1
            guard try visit(entry) else { return }
        }
        let storedEnd = min(upper, state.lastIndex + 1)
        guard expected >= storedEnd else {
            throw corrupt("log", expected, "entries up to \(state.lastIndex) were stored but the log ends at \(expected - 1)")
        }
    }

    /// The stored entry at `index` (verified), nil when there is none.
    func storedEntry(at index: UInt64) throws(StorageError) -> Entry? {
        let select = try run("log") { () throws(SQLiteError) in
            let select = try database.statement("SELECT log_index, term, kind, data, checksum FROM log WHERE log_index = ?")
            try select.bind(Int64(bitPattern: index), at: 1)
            return select
        }
        defer { select.reset() }
        guard try run("log", { () throws(SQLiteError) in try select.step() }) else { return nil }
        return try decodeEntry(select)
    }

    func decodeEntry(_ row: SQLiteStatement) throws(StorageError) -> Entry {
        let index = UInt64(bitPattern: row.integer(at: 0))
        let term = UInt64(bitPattern: row.integer(at: 1))
        let rawKind = row.integer(at: 2)
        let data = row.bytes(at: 3)
        let checksum = RecordChecksum.logEntry(index: index, term: term, kind: UInt8(truncatingIfNeeded: rawKind), data: data)
        guard (0...255).contains(rawKind), row.integer(at: 4) == Int64(checksum) else {
            throw corrupt("log", index, "checksum mismatch: the stored checksum does not match the entry's term, kind "
                          + "and \(data.count) bytes of data")
        }
        guard let kind = Entry.Kind(rawValue: UInt8(rawKind)) else {
            throw corrupt("log", index, "unknown entry kind \(rawKind)")
        }
        return Entry(term: term, index: index, kind: kind, data: data)
    }

    func decodeAuditRecord(_ row: SQLiteStatement) throws(StorageError) -> AuditRecord {
        let seq = UInt64(bitPattern: row.integer(at: 0))
        let bytes = row.bytes(at: 1)
        guard row.integer(at: 2) == Int64(RecordChecksum.audit(seq: seq, bytes: bytes)) else {
            throw corrupt("audit", seq, "checksum mismatch: the stored checksum does not match the record's \(bytes.count) bytes")
        }
        return AuditRecord(seq: seq, bytes: bytes)
    }

    /// The stored hard state, nil when none was saved.
    func readHardState() throws(StorageError) -> HardState? {
        let select = try run("hard_state") { () throws(SQLiteError) in
            try database.statement("SELECT term, voted_for, commit_index, checksum FROM hard_state WHERE id = 1")
        }
        defer { select.reset() }
        guard try run("hard_state", { () throws(SQLiteError) in try select.step() }) else { return nil }
        let term = UInt64(bitPattern: select.integer(at: 0))
        let votedFor = UInt64(bitPattern: select.integer(at: 1))
        let commitIndex = UInt64(bitPattern: select.integer(at: 2))
        let checksum = RecordChecksum.hardState(term: term, votedFor: votedFor, commitIndex: commitIndex)
        guard select.integer(at: 3) == Int64(checksum) else {
            throw corrupt("hard_state", nil, "checksum mismatch: the stored checksum does not match term, vote and commit index")
        }
        return HardState(term: term, votedFor: votedFor == 0 ? nil : votedFor, commitIndex: commitIndex)
    }

    /// The stored snapshot, nil when none was saved.
    func readSnapshot() throws(StorageError) -> Snapshot? {
        let select = try run("snapshot") { () throws(SQLiteError) in
            try database.statement("SELECT snapshot_index, term, configuration, data, checksum FROM snapshot WHERE id = 1")
        }
        defer { select.reset() }
        guard try run("snapshot", { () throws(SQLiteError) in try select.step() }) else { return nil }
        let index = UInt64(bitPattern: select.integer(at: 0))
        let term = UInt64(bitPattern: select.integer(at: 1))
        let encodedConfiguration = select.bytes(at: 2)
        let data = select.bytes(at: 3)
        let checksum = RecordChecksum.snapshot(index: index, term: term, configuration: encodedConfiguration, data: data)
        guard select.integer(at: 4) == Int64(checksum) else {
            throw corrupt("snapshot", index, "checksum mismatch: the stored checksum does not match the snapshot's "
                          + "configuration and \(data.count) bytes of data")
        }
        guard let configuration = ClusterConfiguration(decoding: encodedConfiguration) else {
            throw corrupt("snapshot", index, "the cluster configuration does not decode")
        }
        return Snapshot(metadata: .init(index: index, term: term, configuration: configuration), data: data)
    }
}
