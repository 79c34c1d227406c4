#if canImport(Glibc)
import Glibc
#endif

/// The few file-system calls storage makes outside SQLite, each wrapped once: `EINTR` is
/// retried, and failures come back as `errno` with a readable message.
enum FileSystem {
    /// A failed call: which one, on what, and `strerror(errno)`.
    struct Failure: Error {
        /// The `errno` value.
        let code: Int32
        /// "open /data/node.key: Permission denied".
        let message: String
    }

    /// What `stat` says about a path, or nil when nothing is there.
    static func status(_ path: String) throws(Failure) -> stat? {
        var information = stat()
        if stat(path, &information) == 0 { return information }
        if errno == ENOENT { return nil }
        throw failure("stat", path)
    }

    /// Whether something exists at `path`.
    static func exists(_ path: String) -> Bool {
        var information = stat()
        return stat(path, &information) == 0
    }

    /// Opens `path`, retrying on `EINTR`.
    static func open(_ path: String, flags: Int32, mode: mode_t = 0) throws(Failure) -> Int32 {
        while true {
            let descriptor = Glibc.open(path, flags, mode)
            if descriptor >= 0 { return descriptor }
            if errno != EINTR { throw failure("open", path) }
        }
    }

    /// Writes all of `bytes`, continuing after short writes and `EINTR`.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(Failure) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if result > 0 { written += result } else if result < 0 && errno == EINTR { continue } else {
                throw failure("write", path)
            }
        }
    }

    /// Reads up to `limit` bytes from the start of an open file; nil when it holds more.
    static func readAll(_ descriptor: Int32, limit: Int, path: String) throws(Failure) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let result = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if result == 0 { return bytes }
            if result < 0 {
                if errno == EINTR { continue }
                throw failure("read", path)
            }
            bytes.append(contentsOf: chunk[..<result])
            if bytes.count > limit { return nil }
        }
    }

    /// Reads the first `count` bytes of the file at `path`; fewer when the file is shorter.
    static func readPrefix(_ path: String, count: Int) throws(Failure) -> [UInt8] {
        let descriptor = try open(path, flags: O_RDONLY | O_CLOEXEC)
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { Glibc.pread(descriptor, $0.baseAddress! + filled, count - filled, off_t(filled)) }
            if result == 0 { break }
            if result < 0 {
                if errno == EINTR { continue }
                throw failure("read", path)
            }
            filled += result
        }
        return Array(bytes[..<filled])
    }

    /// Flushes an open file to stable storage.
    static func synchronize(_ descriptor: Int32, path: String) throws(Failure) {
        while fsync(descriptor) != 0 {
            if errno != EINTR { throw failure("fsync", path) }
        }
    }

    /// Flushes a directory, so a file created or renamed in it survives a crash.
    static func synchronizeDirectory(of path: String) throws(Failure) {
        let directory = directoryName(path)
        let descriptor = try open(directory, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(descriptor) }
        try synchronize(descriptor, path: directory)
    }

    /// Atomically renames `source` to `destination`.
    static func rename(_ source: String, to destination: String) throws(Failure) {
        guard Glibc.rename(source, destination) == 0 else { throw failure("rename", "\(source) to \(destination)") }
    }

    /// Creates `destination` as a second name of `source`; fails when `destination` exists.
    static func link(_ source: String, to destination: String) throws(Failure) {
        guard Glibc.link(source, destination) == 0 else { throw failure("link", "\(source) to \(destination)") }
    }

    /// Removes `path` if it exists.
    static func removeIfPresent(_ path: String) throws(Failure) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("unlink", path) }
    }

    /// The directory part of `path` ("." when it has none).
    static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func failure(_ call: String, _ subject: String) -> Failure {
        let code = errno
        return Failure(code: code, message: "\(call) \(subject): \(String(cString: strerror(code)))")
    }
}
