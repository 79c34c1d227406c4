import Glibc
import Replica

// MARK: - Wall and monotonic time

/// The production `Clock`: the system's real-time clock, plus a monotonic clock for the shell's
/// own timers (ticks, latencies), which must not jump when the wall clock is set.
public final class SystemClock: Clock, @unchecked Sendable {
    /// A clock; it holds no state.
    public init() {}

    /// Milliseconds since the Unix epoch.
    public var nowMilliseconds: Int64 { Self.wallMilliseconds() }

    /// Milliseconds since the Unix epoch, from `CLOCK_REALTIME`.
    public static func wallMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// Nanoseconds on `CLOCK_MONOTONIC`: for intervals only.
    public static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
