import Foundation
import Raft
@testable import Storage
import Testing

/// One way a stored row can be damaged, and the error opening must report for it.
struct RowDamage: Sendable, CustomStringConvertible {
    let description: String
    /// SQL run against the closed database.
    let sql: String
    let table: String
    let index: UInt64?
    /// Words the error's message must contain.
    let detail: String
}

@Suite("corruption and truncation are detected at start")
struct CorruptionTests {
    /// Long enough for a compaction (a snapshot row) and many pages.
    static let workloadIndex: UInt64 = 2_000

    static let rowDamages: [RowDamage] = [
        RowDamage(description: "a log entry's payload byte", sql: "UPDATE log SET data = zeroblob(100) WHERE log_index = 1800",
                  table: "log", index: 1_800, detail: "checksum mismatch"),
        RowDamage(description: "a log entry's term", sql: "UPDATE log SET term = term + 1 WHERE log_index = 1700",
                  table: "log", index: 1_700, detail: "checksum mismatch"),
        RowDamage(description: "a missing log entry", sql: "DELETE FROM log WHERE log_index = 1750",
                  table: "log", index: 1_750, detail: "is missing"),
        RowDamage(description: "missing tail entries", sql: "DELETE FROM log WHERE log_index > 1900",
                  table: "hard_state", index: nil, detail: "commit index"),
        RowDamage(description: "the hard state's vote", sql: "UPDATE hard_state SET voted_for = 2",
                  table: "hard_state", index: nil, detail: "checksum mismatch"),
        RowDamage(description: "the snapshot's data", sql: "UPDATE snapshot SET data = zeroblob(256)",
                  table: "snapshot", index: nil, detail: "checksum mismatch"),
        RowDamage(description: "an audit record", sql: "UPDATE audit SET record = X'00' WHERE seq = 5",
                  table: "audit", index: 5, detail: "checksum mismatch"),
        RowDamage(description: "a missing audit record", sql: "DELETE FROM audit WHERE seq = 3",
                  table: "audit", index: 3, detail: "is missing"),
        RowDamage(description: "a metadata value", sql: "UPDATE metadata SET value = X'01'",
                  table: "metadata", index: nil, detail: "checksum mismatch"),
        RowDamage(description: "the schema version's checksum", sql: "UPDATE meta SET value = 2 WHERE key = 'schema_version'",
                  table: "meta", index: nil, detail: "checksum mismatch"),
        RowDamage(description: "a dropped table", sql: "DROP TABLE audit", table: "audit", index: nil, detail: "missing"),
        RowDamage(description: "no meta table", sql: "DROP TABLE meta", table: "meta", index: nil, detail: "not a Warden database"),
    ]

    @Test("a damaged row is refused at open, naming the table, the record and the remedy", arguments: rowDamages)
    func damagedRow(_ damage: RowDamage) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            try writeWorkload(to: path, through: Self.workloadIndex)
            try tamper(path) { try $0.execute(damage.sql) }
            let error = try #require(openingError(path))
            #expect(error.corruptTable == damage.table, "\(error)")
            if let index = damage.index { #expect(error.corruptIndex == index, "\(error)") }
            #expect(error.description.contains(damage.detail), "\(error)")
            #expect(error.description.contains("move \(path)"), "\(error)")
            #expect(error.description.contains("add it back under a new id"), "\(error)")
        }
    }

    @Test("one flipped bit of a payload in the database file is caught by the row checksum")
    func flippedBitInFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            try writeWorkload(to: path, through: Self.workloadIndex)
            let target = StorageTortureWorkload.entry(at: 1_900).data
            let contents = try Data(contentsOf: URL(fileURLWithPath: path))
            let range = try #require(contents.range(of: Data(target)), "the payload of entry 1900 is in the file")
            try overwrite(path, at: UInt64(range.lowerBound + 40), with: [target[40] ^ 0x10])
            let error = try #require(openingError(path))
            #expect(error.corruptTable == "log" && error.corruptIndex == 1_900, "\(error)")
            #expect(error.description.contains("checksum mismatch"))
        }
    }

    @Test("garbage over a page's structure or the file header is refused as corrupt")
    func damagedStructure() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            try writeWorkload(to: path, through: Self.workloadIndex)
            let pageSize = try Self.pageSize(path)
            let pristine = try Data(contentsOf: URL(fileURLWithPath: path))
            try overwrite(path, at: pageSize * 3, with: [UInt8](repeating: 0xEE, count: 64))
            let structural = try #require(openingError(path))
            #expect(structural.corruptTable != nil, "\(structural)")
            try pristine.write(to: URL(fileURLWithPath: path))
            try overwrite(path, at: 0, with: Array("SQLite format 2".utf8))
            let header = try #require(openingError(path))
            #expect(header.corruptTable == "database" && header.description.contains("SQLite header"), "\(header)")
        }
    }

    @Test("a truncated database file is refused with what is missing", arguments: ["empty", "inside the header", "half the pages", "a partial page"])
    func truncatedFile(_ cut: String) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            try writeWorkload(to: path, through: Self.workloadIndex)
            let size = try fileSize(path)
            let pageSize = try Self.pageSize(path)
            let (newSize, words): (UInt64, String) = switch cut {
            case "empty": (0, "the file is empty")
            case "inside the header": (50, "100-byte")
            case "half the pages": (size / pageSize / 2 * pageSize, "header records")
            default: (size - pageSize / 2, "whole number")
            }
            try truncateFile(path, to: newSize)
            let error = try #require(openingError(path))
            #expect(error.isTruncated, "\(error)")
            #expect(error.description.contains(words), "\(error)")
            #expect(error.description.contains("move \(path)"), "\(error)")
        }
    }

    @Test("a write-ahead log without its database is refused instead of starting empty")
    func orphanWriteAheadLog() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            #expect(FileManager.default.createFile(atPath: path + "-wal", contents: Data([1, 2, 3])))
            let error = try #require(openingError(path))
            #expect(error.isTruncated && error.description.contains("write-ahead log"), "\(error)")
        }
    }

    @Test("another schema version is refused with both versions named")
    func otherSchemaVersion() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            try writeWorkload(to: path, through: 10)
            try tamper(path) { database in
                try SQLiteLogStore.writeMeta(key: SQLiteLogStore.MetaKey.schemaVersion, value: 2, into: database)
            }
            let error = try #require(openingError(path))
            #expect(error == .schemaVersion(found: 2, expected: SQLiteLogStore.schemaVersion))
            #expect(error.description.contains("version 2") && error.description.contains("version 1"))
        }
    }

    @Test("damage after opening is caught on read: wrong bytes are never returned")
    func damageAfterOpen() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.db"
            let store = try SQLiteLogStore(path: path)
            defer { store.close() }
            try store.save(PersistBatch(entries: makeEntries(1...10, term: 1),
                                        auditRecords: [AuditRecord(seq: 1, bytes: [1]), AuditRecord(seq: 2, bytes: [2])]))
            try tamper(path) { database in
                try database.execute("UPDATE log SET data = X'00' WHERE log_index = 6; UPDATE audit SET record = X'09' WHERE seq = 2")
            }
            let entries = #expect(throws: StorageError.self) { try store.entries(from: 1, to: 11, maxBytes: .max) }
            #expect(entries?.corruptIndex == 6)
            #expect(throws: StorageError.self) { try store.load() }
            #expect(try store.entries(from: 1, to: 6, maxBytes: .max) == makeEntries(1...5, term: 1))
            let audit = #expect(throws: StorageError.self) { try store.auditHead() }
            #expect(audit?.corruptTable == "audit" && audit?.corruptIndex == 2)
        }
    }

    static func pageSize(_ path: String) throws -> UInt64 {
        let database = try SQLiteDatabase(path: path, create: false)
        defer { database.close() }
        let statement = try database.statement("PRAGMA page_size")
        #expect(try statement.step())
        return UInt64(statement.integer(at: 0))
    }
}
