import Foundation
import Raft
@testable import Storage
import Testing

/// A fresh directory per test, removed afterwards, so tests run in parallel and twice in a row.
@discardableResult
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("warden-storage-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try body(directory)
}

/// The error `SQLiteLogStore(path:)` throws for `path`, or nil when it opens.
func openingError(_ path: String) -> StorageError? {
    do throws(StorageError) {
        let store = try SQLiteLogStore(path: path)
        store.close()
        return nil
    } catch {
        return error
    }
}

/// Entries `range` of term `term`, each with a payload that names its index and term.
func makeEntries(_ range: ClosedRange<UInt64>, term: UInt64) -> [Entry] {
    range.map { Entry(term: term, index: $0, data: Array("entry \($0) term \(term)".utf8)) }
}

/// Writes the torture workload in-process until the log ends at or after `index`; returns the store closed.
func writeWorkload(to path: String, through index: UInt64) throws {
    let store = try SQLiteLogStore(path: path)
    defer { store.close() }
    while store.lastIndex < index {
        try store.save(StorageTortureWorkload.batch(
            afterIndex: store.lastIndex, auditHead: store.auditHeadSeq, snapshotIndex: store.firstIndex - 1))
    }
}

/// Runs raw SQL against a closed store's file, as a disk fault or a careless operator would.
func tamper(_ path: String, _ body: (SQLiteDatabase) throws -> Void) throws {
    let database = try SQLiteDatabase(path: path, create: false)
    defer { database.close() }
    try body(database)
}

/// Overwrites bytes of the file at `path` in place.
func overwrite(_ path: String, at offset: UInt64, with bytes: [UInt8]) throws {
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    try handle.write(contentsOf: Data(bytes))
    try handle.synchronize()
}

/// Shortens the file at `path` to `size` bytes.
func truncateFile(_ path: String, to size: UInt64) throws {
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? handle.close() }
    try handle.truncate(atOffset: size)
}

/// The size of the file at `path`.
func fileSize(_ path: String) throws -> UInt64 {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return try #require(attributes[.size] as? UInt64)
}

extension StorageError {
    /// The table named by a `.corrupt` error.
    var corruptTable: String? {
        if case .corrupt(let table, _, _, _) = self { return table }
        return nil
    }

    /// The record index named by a `.corrupt` error.
    var corruptIndex: UInt64? {
        if case .corrupt(_, let index, _, _) = self { return index }
        return nil
    }

    /// Whether this is `.truncated`.
    var isTruncated: Bool {
        if case .truncated = self { return true }
        return false
    }

    /// Whether this is `.invalidBatch`.
    var isInvalidBatch: Bool {
        if case .invalidBatch = self { return true }
        return false
    }
}
