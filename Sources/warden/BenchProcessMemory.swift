import Foundation

// MARK: - Resident memory of a node process

/// `VmRSS` (resident now) and `VmHWM` (resident high-water mark) of a process, from `/proc/PID/status`.
struct BenchProcessMemory: Sendable, Equatable {
    /// Resident set size, KiB.
    var residentKiB: Int
    /// Peak resident set size, KiB.
    var peakKiB: Int

    /// Reads `/proc/<pid>/status`; nil when the process is gone or the fields are missing.
    static func read(pid: Int32) -> BenchProcessMemory? {
        (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)).flatMap(parse)
    }

    /// The two fields of a `/proc/PID/status` text (`VmRSS:   123456 kB`).
    static func parse(_ status: String) -> BenchProcessMemory? {
        var fields: [String: Int] = [:]
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") || line.hasPrefix("VmHWM:") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if parts.count >= 2, let value = Int(parts[1]) { fields[String(parts[0].dropLast())] = value }
        }
        guard let resident = fields["VmRSS"], let peak = fields["VmHWM"] else { return nil }
        return BenchProcessMemory(residentKiB: resident, peakKiB: peak)
    }

    /// KiB as MiB with one decimal.
    static func mebibytes(_ kibibytes: Int) -> String { BenchFormat.fixed(Double(kibibytes) / 1024, 1) }
}
