#if canImport(Glibc)
import Glibc
#endif

/// Checks the database file's own header before SQLite opens it, so a truncated or foreign file
/// is reported as such instead of as an empty database or a vague SQLite error.
///
/// SQLite file format: bytes 0–15 hold the magic string, 16–17 the page size (big-endian, 1
/// meaning 65,536), 24–27 the change counter, 28–31 the page count, which is valid when bytes
/// 92–95 equal the change counter.
enum DatabaseFileCheck {
    /// The length of the SQLite header.
    static let headerByteCount = 100
    /// The first sixteen bytes of every SQLite 3 database.
    static let magic: [UInt8] = Array("SQLite format 3".utf8) + [0]

    /// Throws `.truncated` or `.corrupt` when the file at `path` cannot be a whole database.
    static func verify(path: String) throws(StorageError) {
        let remedy = StorageError.rebuildRemedy(path: path)
        let fileSize: Int
        let header: [UInt8]
        do throws(FileSystem.Failure) {
            guard let information = try FileSystem.status(path) else {
                throw FileSystem.Failure(code: ENOENT, message: "\(path) does not exist")
            }
            fileSize = Int(information.st_size)
            header = try FileSystem.readPrefix(path, count: headerByteCount)
        } catch {
            throw .io(detail: error.message)
        }
        guard fileSize > 0 else {
            throw .truncated(path: path, detail: "the file is empty, but Warden only ever renames a database into place "
                             + "after writing its schema", remedy: remedy)
        }
        guard header.count == headerByteCount else {
            throw .truncated(path: path, detail: "the file holds \(fileSize) bytes, less than the \(headerByteCount)-byte "
                             + "SQLite header", remedy: remedy)
        }
        guard Array(header[0..<16]) == magic else {
            throw .corrupt(table: "database", index: nil, detail: "the file does not start with the SQLite header, so it is "
                           + "not a database or its first page is damaged", remedy: remedy)
        }
        try verifySize(path: path, header: header, fileSize: fileSize, remedy: remedy)
    }

    private static func verifySize(path: String, header: [UInt8], fileSize: Int, remedy: String) throws(StorageError) {
        let rawPageSize = Int(header[16]) << 8 | Int(header[17])
        let pageSize = rawPageSize == 1 ? 65_536 : rawPageSize
        guard pageSize >= 512, pageSize <= 65_536, pageSize & (pageSize - 1) == 0 else {
            throw .corrupt(table: "database", index: nil, detail: "the header's page size \(rawPageSize) is impossible",
                           remedy: remedy)
        }
        guard fileSize % pageSize == 0 else {
            throw .truncated(path: path, detail: "\(fileSize) bytes is not a whole number of \(pageSize)-byte pages",
                             remedy: remedy)
        }
        // A checkpoint interrupted by a crash may have written the new header but not yet the pages
        // after it; the write-ahead log still holds them, so the count is only binding without one.
        let changeCounter = bigEndian(header, at: 24)
        let pageCount = bigEndian(header, at: 28)
        let countIsValid = pageCount > 0 && changeCounter == bigEndian(header, at: 92)
        let walSize = (try? FileSystem.status(path + "-wal"))??.st_size ?? 0
        guard countIsValid, walSize == 0 else { return }
        let expected = Int(pageCount) * pageSize
        guard fileSize >= expected else {
            throw .truncated(path: path, detail: "the header records \(pageCount) pages of \(pageSize) bytes (\(expected) "
                             + "bytes) but the file holds \(fileSize) bytes", remedy: remedy)
        }
    }

    private static func bigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
