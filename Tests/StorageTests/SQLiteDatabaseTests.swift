import Foundation
import Storage
import Testing

@Suite("SQLite database wrapper")
struct SQLiteDatabaseTests {
    @Test("opens in WAL mode with synchronous=FULL")
    func durabilitySettings() throws {
        try withTemporaryDirectory { directory in
            let database = try SQLiteDatabase(path: directory + "/a.db")
            let journal = try database.statement("PRAGMA journal_mode")
            #expect(try journal.step())
            #expect(journal.text(at: 0) == "wal")
            let synchronous = try database.statement("PRAGMA synchronous")
            #expect(try synchronous.step())
            #expect(synchronous.integer(at: 0) == 2)
        }
    }

    @Test("a committed transaction survives reopening; a failed one leaves nothing")
    func transactionsAreAtomic() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/a.db"
            do {
                let database = try SQLiteDatabase(path: path)
                try database.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)")
                try database.transaction { () throws(SQLiteError) in
                    let insert = try database.statement("INSERT INTO t (k, v) VALUES (?, ?)")
                    try insert.bind(1, at: 1)
                    try insert.bind([1, 2, 3], at: 2)
                    try insert.step()
                }
                #expect(throws: SQLiteError.self) {
                    try database.transaction { () throws(SQLiteError) in
                        let insert = try database.statement("INSERT INTO t (k, v) VALUES (?, ?)")
                        try insert.bind(2, at: 1)
                        try insert.bind([4], at: 2)
                        try insert.step()
                        insert.reset()
                        try insert.bind(1, at: 1)
                        try insert.bind([5], at: 2)
                        try insert.step()
                    }
                }
            }
            let reopened = try SQLiteDatabase(path: path, create: false)
            let select = try reopened.statement("SELECT k, v FROM t ORDER BY k")
            var rows: [(Int64, [UInt8])] = []
            while try select.step() { rows.append((select.integer(at: 0), select.bytes(at: 1))) }
            #expect(rows.count == 1)
            #expect(rows.first?.0 == 1)
            #expect(rows.first?.1 == [1, 2, 3])
        }
    }

    @Test("text, empty blobs and NULL round-trip")
    func valueRoundTrip() throws {
        try withTemporaryDirectory { directory in
            let database = try SQLiteDatabase(path: directory + "/a.db")
            try database.execute("CREATE TABLE t (a TEXT, b BLOB, c BLOB)")
            let insert = try database.statement("INSERT INTO t VALUES (?, ?, ?)")
            try insert.bind("héllo ✓", at: 1)
            try insert.bind([], at: 2)
            try insert.bindNull(at: 3)
            try insert.step()
            let select = try database.statement("SELECT a, b, c FROM t")
            #expect(try select.step())
            #expect(select.text(at: 0) == "héllo ✓")
            #expect(select.bytes(at: 1) == [])
            #expect(select.isNull(at: 2))
            #expect(try database.integrityProblems() == [])
        }
    }

    @Test("a file that is not a database is refused at open with a clear error")
    func refusesGarbage() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/garbage.db"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0xAB, count: 8192)))
            #expect(throws: SQLiteError.self) { try SQLiteDatabase(path: path) }
        }
    }

    @Test("opening a missing file without create fails")
    func missingFileWithoutCreate() throws {
        try withTemporaryDirectory { directory in
            #expect(throws: SQLiteError.self) { try SQLiteDatabase(path: directory + "/none.db", create: false) }
        }
    }

    @Test("close checkpoints the write-ahead log into the file, and a second close does nothing")
    func closeCheckpoints() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/a.db"
            let database = try SQLiteDatabase(path: path)
            try database.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            database.close()
            database.close()
            #expect(database.isClosed)
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }
}
