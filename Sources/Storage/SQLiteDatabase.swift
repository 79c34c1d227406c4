import CSQLite

/// An SQLite error: the result code, the library's message, and what we were doing.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The primary or extended SQLite result code.
    public let code: Int32
    /// SQLite's own message for the failure.
    public let message: String
    /// What Warden was doing when it failed ("opening /data/n1/warden.db").
    public let context: String

    /// The error as one line: context, SQLite's message and the code.
    public var description: String { "\(context): \(message) (SQLite code \(code))" }

    /// Creates an error; the wrapper makes these from failed calls.
    public init(code: Int32, message: String, context: String) {
        self.code = code
        self.message = message
        self.context = context
    }
}

/// One SQLite connection, used from one thread at a time.
///
/// Opened in WAL mode with `synchronous=FULL`: a transaction that returned is on disk.
/// Statements are prepared once and cached by their SQL text.
public final class SQLiteDatabase {
    /// How long a writer waits on a lock held by another connection before failing.
    public static let busyTimeoutMilliseconds: Int32 = 5_000

    private var handle: OpaquePointer?
    private var statementCache: [String: SQLiteStatement] = [:]
    /// The file this connection opened.
    public let path: String

    /// Opens (creating when asked) the database at `path` with Warden's durability settings.
    public init(path: String, create: Bool = true) throws(SQLiteError) {
        self.path = path
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        if create { flags |= SQLITE_OPEN_CREATE }
        var opened: OpaquePointer?
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(opened)
            throw SQLiteError(code: code, message: message, context: "opening \(path)")
        }
        handle = opened
        sqlite3_extended_result_codes(opened, 1)
        sqlite3_busy_timeout(opened, Self.busyTimeoutMilliseconds)
        try execute("PRAGMA journal_mode=WAL", context: "enabling WAL")
        try execute("PRAGMA synchronous=FULL", context: "setting synchronous=FULL")
        try execute("PRAGMA foreign_keys=ON", context: "enabling foreign keys")
    }

    deinit { close() }

    /// Finalizes every cached statement and closes the connection; closing the last connection
    /// checkpoints the write-ahead log into the file and removes it. Later calls do nothing.
    public func close() {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
        handle = nil
    }

    /// Whether `close()` was called.
    public var isClosed: Bool { handle == nil }

    // MARK: - Statements

    /// Runs one or more SQL statements that return no rows.
    public func execute(_ sql: String, context: String? = nil) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        guard code == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw SQLiteError(code: code, message: message, context: context ?? "executing \(sql)")
        }
    }

    /// The cached prepared statement for `sql`, reset and with its bindings cleared.
    public func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = statementCache[sql] {
            cached.reset()
            return cached
        }
        var prepared: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard code == SQLITE_OK, let prepared else {
            throw SQLiteError(code: code, message: lastErrorMessage, context: "preparing \(sql)")
        }
        let statement = SQLiteStatement(handle: prepared, database: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    // MARK: - Transactions

    /// Runs `body` inside one `BEGIN IMMEDIATE … COMMIT`; any error rolls everything back.
    public func transaction<Result>(_ body: () throws(SQLiteError) -> Result) throws(SQLiteError) -> Result {
        try execute("BEGIN IMMEDIATE", context: "beginning a transaction")
        do {
            let result = try body()
            try execute("COMMIT", context: "committing a transaction")
            return result
        } catch {
            try? execute("ROLLBACK", context: "rolling back a transaction")
            throw error
        }
    }

    /// Runs SQLite's full integrity check; returns the problems it reports (empty when sound).
    public func integrityProblems() throws(SQLiteError) -> [String] {
        let check = try statement("PRAGMA integrity_check")
        var problems: [String] = []
        while try check.step() {
            let line = check.text(at: 0) ?? ""
            if line != "ok" { problems.append(line) }
        }
        return problems
    }

    /// The rowid of the most recent insert on this connection.
    public var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// How many rows the most recent statement changed.
    public var changedRowCount: Int { Int(sqlite3_changes(handle)) }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A prepared statement owned by its database's cache.
public final class SQLiteStatement {
    private let handle: OpaquePointer
    private unowned let database: SQLiteDatabase
    /// The SQL this statement runs.
    public let sql: String

    init(handle: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Clears the previous run and its bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: - Binding (indexes start at 1, as in SQLite)

    /// Binds a 64-bit integer.
    public func bind(_ value: Int64, at index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_int64(handle, index, value), "binding an integer")
    }

    /// Binds bytes (copied by SQLite before this returns).
    public func bind(_ bytes: [UInt8], at index: Int32) throws(SQLiteError) {
        let code = bytes.withUnsafeBufferPointer { buffer in
            warden_sqlite_bind_blob(handle, index, buffer.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(buffer.count))
        }
        try check(code, "binding a blob")
    }

    /// Binds text (copied by SQLite before this returns).
    public func bind(_ text: String, at index: Int32) throws(SQLiteError) {
        let utf8 = Array(text.utf8)
        let code = utf8.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                warden_sqlite_bind_text(handle, index, characters.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(characters.count))
            }
        }
        try check(code, "binding text")
    }

    /// Binds SQL NULL.
    public func bindNull(at index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_null(handle, index), "binding null")
    }

    // MARK: - Running

    /// Advances to the next row: true when a row is available, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(code: code, message: database.lastErrorMessage, context: "running \(sql)")
        }
    }

    /// The integer in column `index` (from 0) of the current row.
    public func integer(at index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// The bytes in column `index` (from 0) of the current row; empty for NULL.
    public func bytes(at index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let pointer = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// The text in column `index` (from 0) of the current row; nil for NULL.
    public func text(at index: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, index) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Whether column `index` (from 0) of the current row is NULL.
    public func isNull(at index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    private func check(_ code: Int32, _ what: String) throws(SQLiteError) {
        guard code == SQLITE_OK else {
            throw SQLiteError(code: code, message: database.lastErrorMessage, context: "\(what) for \(sql)")
        }
    }
}
