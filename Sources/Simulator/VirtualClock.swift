/// A point or span of simulated time, in nanoseconds since the simulation began.
public typealias VirtualNanoseconds = UInt64

/// Conversions into `VirtualNanoseconds`, so schedules read in the unit they were thought in.
public enum VirtualTime {
    /// Nanoseconds in one microsecond.
    public static let nanosecondsPerMicrosecond: VirtualNanoseconds = 1_000
    /// Nanoseconds in one millisecond.
    public static let nanosecondsPerMillisecond: VirtualNanoseconds = 1_000_000
    /// Nanoseconds in one second.
    public static let nanosecondsPerSecond: VirtualNanoseconds = 1_000_000_000

    /// Returns `count` milliseconds as nanoseconds.
    public static func milliseconds(_ count: UInt64) -> VirtualNanoseconds {
        count * nanosecondsPerMillisecond
    }

    /// Returns `count` seconds as nanoseconds.
    public static func seconds(_ count: UInt64) -> VirtualNanoseconds {
        count * nanosecondsPerSecond
    }
}

/// The simulation's one clock. It never reads the host's time: it only moves forward when the
/// simulator advances it to the time of the next event, so a run is a pure function of its seed.
public struct VirtualClock: Sendable, Equatable {
    /// The current simulated time.
    public private(set) var now: VirtualNanoseconds

    /// Creates a clock reading `start`.
    public init(start: VirtualNanoseconds = 0) {
        now = start
    }

    /// Moves the clock to `time`, which must not be in the past: time never runs backwards.
    public mutating func advance(to time: VirtualNanoseconds) {
        precondition(time >= now, "virtual time cannot run backwards (\(time) < \(now))")
        now = time
    }

    /// Moves the clock forward by `span` nanoseconds.
    public mutating func advance(by span: VirtualNanoseconds) {
        let (sum, overflow) = now.addingReportingOverflow(span)
        precondition(!overflow, "virtual time overflowed UInt64 nanoseconds")
        now = sum
    }
}
