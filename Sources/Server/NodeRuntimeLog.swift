import Foundation
import Glibc

// MARK: - Event log

/// One line per event on standard error (leader changes, errors, lifecycle); never secrets.
public enum NodeRuntimeLog {
    /// Writes `message` with a UTC timestamp and the node's id.
    public static func event(_ nodeID: UInt64, _ message: String) {
        let milliseconds = SystemClock.wallMilliseconds()
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1_000)
        let line = "\(stamp(date)) node=\(nodeID) \(message)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { buffer in write(2, buffer.baseAddress, buffer.count - 1) }
    }

    private static func stamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}
