import CSQLite

/// Why the durable store refused to open, load, read or save.
///
/// Every case says what is wrong and, where an operator can act, what to do; `description`
/// is the message a node prints before it refuses to serve.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stored record or the database structure failed verification.
    /// `index` is the record's key (log index, audit sequence) when there is one.
    case corrupt(table: String, index: UInt64?, detail: String, remedy: String)
    /// The database file is shorter than its own header says, or empty where a database must be.
    case truncated(path: String, detail: String, remedy: String)
    /// The database was written by a different schema version of Warden.
    case schemaVersion(found: Int64, expected: Int64)
    /// The database belongs to another cluster or node than the one starting on it.
    case identityMismatch(detail: String, remedy: String)
    /// A batch broke the log's rules (a gap, a rewrite of audit history); nothing of it was saved.
    case invalidBatch(detail: String)
    /// The node key file is missing, unsafe or unreadable.
    case nodeKey(path: String, detail: String, remedy: String)
    /// A file operation outside SQLite failed (creating the database, reading its header).
    case io(detail: String)
    /// SQLite failed for a reason other than corruption (disk full, permissions, I/O).
    case sqlite(SQLiteError)

    /// The full message: what is wrong, then what to do.
    public var description: String {
        switch self {
        case .corrupt(let table, let index, let detail, let remedy):
            let location = index.map { "table \(table), record \($0)" } ?? "table \(table)"
            return "storage is corrupt (\(location)): \(detail). What to do: \(remedy)"
        case .truncated(let path, let detail, let remedy):
            return "database \(path) is truncated: \(detail). What to do: \(remedy)"
        case .schemaVersion(let found, let expected):
            return "database schema version \(found) is not the version \(expected) this build of Warden reads. "
                + "What to do: run the Warden release that wrote it, or move the database aside and re-add the node "
                + "under a new id so it recovers from its peers"
        case .identityMismatch(let detail, let remedy):
            return "database belongs to another node: \(detail). What to do: \(remedy)"
        case .invalidBatch(let detail):
            return "refused to save a batch: \(detail); nothing of it was written"
        case .nodeKey(let path, let detail, let remedy):
            return "node key file \(path): \(detail). What to do: \(remedy)"
        case .io(let detail):
            return "file operation failed: \(detail). What to do: check the disk (space, permissions, I/O errors) and restart"
        case .sqlite(let error):
            return "SQLite failed: \(error). What to do: check the disk (space, permissions, I/O errors) and restart"
        }
    }

    /// The advice for a node whose data cannot be trusted: it must be rebuilt from its peers.
    static func rebuildRemedy(path: String) -> String {
        "this node's data is damaged; stop the node, move \(path) (and its -wal and -shm files) aside, "
            + "remove this node from the cluster (DELETE /v1/cluster/members/{id} on a healthy node), then add it "
            + "back under a new id (POST /v1/cluster/members) so it recovers from its peers — a wiped node must "
            + "never rejoin under its old id, whose log the leader still counts as replicated"
    }

    /// `SQLITE_IOERR_SHORT_READ`, a macro Swift does not import: a read past the end of the file.
    static let shortReadCode = SQLITE_IOERR | (2 << 8)

    /// Maps an SQLite failure: corruption and short reads become `.corrupt`/`.truncated`
    /// with the rebuild remedy; anything else stays `.sqlite`.
    static func from(_ error: SQLiteError, path: String, table: String) -> StorageError {
        switch error.code & 0xFF {
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return .corrupt(table: table, index: nil, detail: "SQLite reports \(error.message) while \(error.context)",
                            remedy: rebuildRemedy(path: path))
        case SQLITE_IOERR where error.code == shortReadCode:
            return .truncated(path: path, detail: "a read ended early while \(error.context)", remedy: rebuildRemedy(path: path))
        default:
            return .sqlite(error)
        }
    }
}
