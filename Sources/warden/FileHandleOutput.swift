#if canImport(Glibc)
import Glibc
#endif

/// Writes to the process's standard streams without Foundation.
enum FileHandleOutput {
    /// Writes `text` and a newline to standard error.
    static func standardError(_ text: String) {
        let line = text + "\n"
        _ = line.utf8CString.withUnsafeBufferPointer { buffer in
            write(2, buffer.baseAddress, buffer.count - 1)
        }
    }
}
