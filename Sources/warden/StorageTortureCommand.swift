#if canImport(Glibc)
import Glibc
#endif
import Raft
import Storage

/// `warden storage-torture`: a writer for crash tests, and the storage benchmark.
///
/// Writer: `--path P [--entries N]` appends `StorageTortureWorkload` batches to the store at P
/// (continuing where it stopped) and prints `acked <last index>` after each `save` returns, until
/// N more entries were written (forever without `--entries`). A test kills it with SIGKILL at
/// any moment and checks that every acknowledged index is there and nothing half-written is.
///
/// Benchmark: `--bench [--path DIRECTORY] [--seconds S]` saves batches of 1, 64 and 1024 entries
/// of 100 bytes (plus a hard state, as a Ready carries) to fresh databases in DIRECTORY (default
/// /tmp) with synchronous=FULL, and prints saves/s and entries/s for each.
enum StorageTortureCommand {
    static let usage = "usage: warden storage-torture --path P [--entries N] | --bench [--path DIRECTORY] [--seconds S]"
    /// Batch sizes the benchmark measures.
    static let benchmarkBatchSizes = [1, 64, 1024]

    static func run(_ arguments: [String]) -> Int32 {
        guard let settings = Settings(arguments) else {
            FileHandleOutput.standardError(usage)
            return 2
        }
        do throws(StorageError) {
            if settings.bench {
                try synchronizeBaseline(directory: settings.path ?? "/tmp", seconds: settings.seconds)
                for batchSize in benchmarkBatchSizes {
                    try benchmark(batchSize: batchSize, directory: settings.path ?? "/tmp", seconds: settings.seconds)
                }
            } else {
                try write(path: settings.path!, entries: settings.entries)
            }
            return 0
        } catch {
            FileHandleOutput.standardError("storage-torture: \(error)")
            return 1
        }
    }

    // MARK: - Writer

    static func write(path: String, entries: UInt64?) throws(StorageError) {
        let store = try SQLiteLogStore(path: path)
        let startIndex = store.lastIndex
        while entries.map({ store.lastIndex - startIndex < $0 }) ?? true {
            let batch = StorageTortureWorkload.batch(
                afterIndex: store.lastIndex, auditHead: store.auditHeadSeq, snapshotIndex: store.firstIndex - 1)
            try store.save(batch)
            standardOutput("acked \(store.lastIndex)")
        }
        store.close()
    }

    // MARK: - Benchmark

    static func benchmark(batchSize: Int, directory: String, seconds: Int) throws(StorageError) {
        var template = Array("\(directory)/warden-storage-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw .io(detail: "mkdtemp in \(directory): \(String(cString: strerror(errno)))")
        }
        let benchDirectory = String(cString: created)
        let path = benchDirectory + "/bench.db"
        defer {
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            rmdir(benchDirectory)
        }
        let store = try SQLiteLogStore(path: path)
        defer { store.close() }
        let payload = [UInt8](repeating: 0xAB, count: StorageTortureWorkload.payloadBytes)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .seconds(seconds)
        var saves = 0
        while clock.now < deadline {
            let first = store.lastIndex + 1
            let entries = (first..<first + UInt64(batchSize)).map { Entry(term: 1, index: $0, data: payload) }
            try store.save(PersistBatch(entries: entries, hardState: HardState(term: 1, votedFor: 1, commitIndex: first - 1)))
            saves += 1
        }
        let elapsed = clock.now - start
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let savesPerSecond = Double(saves) / elapsedSeconds
        let millisecondsPerSave = elapsedSeconds * 1_000 / Double(saves)
        standardOutput("storage: batch \(batchSize) x \(StorageTortureWorkload.payloadBytes) B, synchronous=FULL: \(saves) saves in "
              + "\(Int(elapsedSeconds * 1_000)) ms: \(Int(savesPerSecond)) saves/s, \(Int(savesPerSecond * Double(batchSize))) "
              + "entries/s, \(format3(millisecondsPerSave)) ms/save")
    }

    /// The disk's own limit, for comparison: rewrites one 4 KiB block and `fdatasync`s it, repeatedly.
    static func synchronizeBaseline(directory: String, seconds: Int) throws(StorageError) {
        let path = "\(directory)/warden-storage-bench-\(getpid()).fsync"
        let descriptor = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io(detail: "open \(path): \(String(cString: strerror(errno)))") }
        defer {
            close(descriptor)
            unlink(path)
        }
        let block = [UInt8](repeating: 0x5A, count: 4_096)
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        while clock.now < start + .seconds(seconds) {
            let written = block.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
            guard written == block.count, fdatasync(descriptor) == 0 else {
                throw .io(detail: "write and fdatasync \(path): \(String(cString: strerror(errno)))")
            }
            count += 1
        }
        let elapsed = clock.now - start
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        standardOutput("disk: \(Int(Double(count) / elapsedSeconds)) fdatasync/s rewriting one 4 KiB block (the ceiling for saves/s)")
    }

    /// Writes `text` and a newline to standard output at once, unbuffered, so a reader sees each
    /// acknowledgement as soon as the save behind it returned.
    static func standardOutput(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + written, $0.count - written) }
            if result > 0 { written += result } else if result < 0 && errno == EINTR { continue } else { return }
        }
    }

    /// `value` with three decimals, without Foundation.
    static func format3(_ value: Double) -> String {
        let thousandths = Int((value * 1_000).rounded())
        let fraction = String(thousandths % 1_000)
        return "\(thousandths / 1_000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    struct Settings {
        var path: String?
        var entries: UInt64?
        var bench = false
        var seconds = 3

        init?(_ arguments: [String]) {
            var remaining = arguments[...]
            while let flag = remaining.popFirst() {
                switch flag {
                case "--bench": bench = true
                case "--path": guard let value = remaining.popFirst() else { return nil }; path = value
                case "--entries": guard let value = remaining.popFirst().flatMap({ UInt64($0) }) else { return nil }; entries = value
                case "--seconds": guard let value = remaining.popFirst().flatMap({ Int($0) }), value > 0 else { return nil }; seconds = value
                default: return nil
                }
            }
            guard bench || path != nil else { return nil }
        }
    }
}
