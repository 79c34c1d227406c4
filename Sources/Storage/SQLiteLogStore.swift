import Raft

/// A node's durable store: log entries, hard state, snapshot, audit records and small metadata in
/// one SQLite database (WAL, `synchronous=FULL`), every row carrying a CRC-32C.
///
/// The Raft core reads a `MemoryLogStorage`; this store is written once per loop iteration with
/// `save(_:)` (one transaction: group commit) and read at start-up with `load()` to rebuild that
/// memory view. Opening verifies the whole database; a store that opened serves only records
/// whose checksums verify. Used from one thread.
public final class SQLiteLogStore {
    /// The schema this build writes and reads.
    public static let schemaVersion: Int64 = 1
    /// The longest metadata key, in UTF-8 bytes: metadata is for small facts, not data.
    public static let maximumMetadataKeyBytes = 256
    /// The largest metadata value.
    public static let maximumMetadataValueBytes = 64 * 1024
    /// The most audit records one `auditRecords(afterSeq:limit:)` call returns.
    public static let maximumAuditReadLimit = 10_000

    /// The cluster and node a database belongs to, recorded once by `claimIdentity`.
    public struct Identity: Sendable, Hashable {
        /// The cluster's id.
        public var clusterID: UInt64
        /// This node's id in that cluster.
        public var nodeID: NodeID

        /// Creates an identity.
        public init(clusterID: UInt64, nodeID: NodeID) {
            self.clusterID = clusterID
            self.nodeID = nodeID
        }
    }

    /// What is stored, as far as saving needs to know; kept in step with each committed transaction.
    struct StoredState {
        /// The stored snapshot's index and term, nil when none was stored.
        var snapshot: (index: UInt64, term: UInt64)?
        /// The last stored entry's index, or the snapshot's index.
        var lastIndex: UInt64 = 0
        /// The last audit record's sequence number, 0 when there is none.
        var auditHead: UInt64 = 0
        /// The recorded identity, if claimed.
        var identity: Identity?

        /// The index the log starts after.
        var snapshotIndex: UInt64 { snapshot?.index ?? 0 }
    }

    /// The database file.
    public let path: String
    let database: SQLiteDatabase
    var state = StoredState()

    /// Opens the store at `path`, creating it when missing, and verifies all of it: the file's
    /// size against its header, SQLite's page structure, the schema version, every row's
    /// checksum, log contiguity after the snapshot and the commit index against the last index.
    public init(path: String) throws(StorageError) {
        self.path = path
        try Self.createIfMissing(path: path)
        try DatabaseFileCheck.verify(path: path)
        do throws(SQLiteError) {
            database = try SQLiteDatabase(path: path, create: false)
        } catch {
            throw StorageError.from(error, path: path, table: "database")
        }
        try verifyStructure()
        try verifySchemaVersion()
        state = try verifyRecords()
    }

    /// Closes the database (checkpointing its write-ahead log); the store must not be used after.
    public func close() {
        database.close()
    }

    /// The recorded cluster and node, nil until `claimIdentity` was called on this database.
    public var identity: Identity? { state.identity }

    /// Records which cluster and node this database belongs to, or checks it when already recorded:
    /// a node started on another node's data refuses instead of serving someone else's log.
    public func claimIdentity(_ identity: Identity) throws(StorageError) {
        if let stored = state.identity {
            guard stored == identity else {
                throw .identityMismatch(
                    detail: "\(path) holds cluster \(stored.clusterID) node \(stored.nodeID), but this node is cluster "
                        + "\(identity.clusterID) node \(identity.nodeID)",
                    remedy: "point the node at its own data directory, or move \(path) aside to start it empty")
            }
            return
        }
        try run("meta") { () throws(SQLiteError) in
            try database.transaction { () throws(SQLiteError) in
                try writeMeta(key: MetaKey.clusterID, value: identity.clusterID)
                try writeMeta(key: MetaKey.nodeID, value: identity.nodeID)
            }
        }
        state.identity = identity
    }

    // MARK: - Schema

    /// Keys of the `meta` table.
    enum MetaKey {
        static let schemaVersion = "schema_version"
        static let clusterID = "cluster_id"
        static let nodeID = "node_id"
    }

    static let schema = """
        CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL, checksum INTEGER NOT NULL);
        CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL, checksum INTEGER NOT NULL);
        CREATE TABLE hard_state (id INTEGER PRIMARY KEY CHECK (id = 1), term INTEGER NOT NULL,
            voted_for INTEGER NOT NULL, commit_index INTEGER NOT NULL, checksum INTEGER NOT NULL);
        CREATE TABLE snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), snapshot_index INTEGER NOT NULL,
            term INTEGER NOT NULL, configuration BLOB NOT NULL, data BLOB NOT NULL, checksum INTEGER NOT NULL);
        CREATE TABLE log (log_index INTEGER PRIMARY KEY, term INTEGER NOT NULL, kind INTEGER NOT NULL,
            data BLOB NOT NULL, checksum INTEGER NOT NULL);
        CREATE TABLE audit (seq INTEGER PRIMARY KEY, record BLOB NOT NULL, checksum INTEGER NOT NULL);
        """

    /// Creates a missing database under a temporary name and renames it into place once its
    /// schema is durable, so a file at `path` always holds a schema and an empty one means damage.
    static func createIfMissing(path: String) throws(StorageError) {
        let creatingPath = path + ".creating"
        do throws(FileSystem.Failure) {
            for suffix in ["", "-wal", "-shm", "-journal"] { try FileSystem.removeIfPresent(creatingPath + suffix) }
        } catch {
            throw .io(detail: error.message)
        }
        guard !FileSystem.exists(path) else { return }
        guard !FileSystem.exists(path + "-wal") else {
            throw .truncated(path: path, detail: "the database file is missing but its write-ahead log \(path)-wal is "
                             + "present", remedy: StorageError.rebuildRemedy(path: path))
        }
        do throws(SQLiteError) {
            let database = try SQLiteDatabase(path: creatingPath, create: true)
            defer { database.close() }
            try database.transaction { () throws(SQLiteError) in
                try database.execute(schema, context: "creating the schema")
                try writeMeta(key: MetaKey.schemaVersion, value: UInt64(schemaVersion), into: database)
            }
        } catch {
            throw .sqlite(error)
        }
        do throws(FileSystem.Failure) {
            try FileSystem.rename(creatingPath, to: path)
            try FileSystem.synchronizeDirectory(of: path)
        } catch {
            throw .io(detail: error.message)
        }
    }

    func writeMeta(key: String, value: UInt64) throws(SQLiteError) {
        try Self.writeMeta(key: key, value: value, into: database)
    }

    static func writeMeta(key: String, value: UInt64, into database: SQLiteDatabase) throws(SQLiteError) {
        let insert = try database.statement("INSERT OR REPLACE INTO meta (key, value, checksum) VALUES (?, ?, ?)")
        try insert.bind(key, at: 1)
        try insert.bind(Int64(bitPattern: value), at: 2)
        try insert.bind(Int64(RecordChecksum.meta(key: key, value: value)), at: 3)
        try insert.step()
    }

    /// Runs SQLite work, mapping its failures (corruption included) to `StorageError`.
    func run<Result>(_ table: String, _ body: () throws(SQLiteError) -> Result) throws(StorageError) -> Result {
        precondition(!database.isClosed, "the store was used after close()")
        do throws(SQLiteError) {
            return try body()
        } catch {
            throw StorageError.from(error, path: path, table: table)
        }
    }

    /// A `.corrupt` error for one record, with the rebuild remedy.
    func corrupt(_ table: String, _ index: UInt64?, _ detail: String) -> StorageError {
        .corrupt(table: table, index: index, detail: detail, remedy: StorageError.rebuildRemedy(path: path))
    }
}
