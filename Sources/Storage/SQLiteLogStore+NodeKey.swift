#if canImport(Glibc)
import Glibc
#endif

// MARK: - The node's private signing key, in a 0600 file beside the database

extension SQLiteLogStore {
    /// The largest node key file accepted; the key format is a few dozen bytes.
    public static let maximumNodeKeyBytes = 64 * 1024

    /// Writes `bytes` (opaque here; the key format carries its own checksum) to a new file at `path`
    /// with mode 0600, durably: the file and its directory are fsynced. Refuses to replace an existing
    /// key. The bytes go to `path.partial` first and are linked into place, so `path` never holds a
    /// partial key.
    public static func saveNodeKey(_ bytes: [UInt8], path: String) throws(StorageError) {
        precondition(bytes.count <= maximumNodeKeyBytes, "node key larger than \(maximumNodeKeyBytes) bytes")
        let partialPath = path + ".partial"
        do throws(FileSystem.Failure) {
            guard !FileSystem.exists(path) else {
                throw FileSystem.Failure(code: EEXIST, message: "a node key already exists; refusing to replace it")
            }
            try FileSystem.removeIfPresent(partialPath)
            let descriptor = try FileSystem.open(partialPath, flags: O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode: 0o600)
            defer { Glibc.close(descriptor) }
            try FileSystem.writeAll(descriptor, bytes, path: partialPath)
            try FileSystem.synchronize(descriptor, path: partialPath)
            try FileSystem.link(partialPath, to: path)
            try FileSystem.removeIfPresent(partialPath)
            try FileSystem.synchronizeDirectory(of: path)
        } catch {
            try? FileSystem.removeIfPresent(partialPath)
            throw .nodeKey(path: path, detail: error.message,
                           remedy: error.code == EEXIST ? "keep the existing key, or move it aside to generate a new one"
                               : "check that the directory exists and is writable by this user")
        }
    }

    /// Reads the node key file at `path`. Refuses a file that group or others may read or write,
    /// or that another user owns, since the key signs this node's tokens.
    public static func loadNodeKey(path: String) throws(StorageError) -> [UInt8] {
        let descriptor: Int32
        do throws(FileSystem.Failure) {
            descriptor = try FileSystem.open(path, flags: O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        } catch {
            throw .nodeKey(path: path, detail: error.message,
                           remedy: "create the node's key first, or point the node at the directory that holds it")
        }
        defer { Glibc.close(descriptor) }
        var information = stat()
        guard fstat(descriptor, &information) == 0, (information.st_mode & S_IFMT) == S_IFREG else {
            throw .nodeKey(path: path, detail: "not a regular file", remedy: "replace it with the node's key file")
        }
        let permissions = information.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw .nodeKey(path: path, detail: "the private key is accessible to group or others (mode 0"
                           + String(permissions, radix: 8) + ")",
                           remedy: "run `chmod 600 \(path)`, and consider the key exposed if others could read it")
        }
        guard information.st_uid == geteuid() else {
            throw .nodeKey(path: path, detail: "owned by user \(information.st_uid), not by this process's user \(geteuid())",
                           remedy: "run the node as the key's owner, or `chown` the key to the node's user")
        }
        do throws(FileSystem.Failure) {
            guard let bytes = try FileSystem.readAll(descriptor, limit: maximumNodeKeyBytes, path: path) else {
                throw FileSystem.Failure(code: EFBIG, message: "larger than \(maximumNodeKeyBytes) bytes, so not a node key")
            }
            return bytes
        } catch {
            throw .nodeKey(path: path, detail: error.message, remedy: "restore the node's key file from its backup")
        }
    }
}
