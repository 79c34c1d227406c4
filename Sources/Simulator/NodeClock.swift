/// One replica's view of time under clock faults: a wall-clock offset (skew) and a timer rate
/// error (drift), both changed by the fault plan's `clockSkew` and `clockDrift` events. The
/// driver converts true virtual time to the node's local time when the node reads its clock,
/// and converts a node's timer duration to true time when it schedules the timer.
public struct NodeClock: Sendable, Equatable {
    /// The largest rate error accepted, either way: 50%. Beyond that a "clock" is not one, and
    /// a rate of -100% would stop time altogether.
    public static let maximumDriftPartsPerMillion: Int64 = 500_000
    private static let partsPerMillion: Int64 = 1_000_000

    /// The rate error now in force: positive runs fast, negative runs slow.
    public private(set) var driftPartsPerMillion: Int64 = 0
    private var anchorTrueTime: VirtualNanoseconds = 0
    private var anchorLocalTime: Int64 = 0

    /// Creates a clock that agrees with true time.
    public init() {}

    /// The node's local reading at true time `trueTime` (not before the last change).
    public func localTime(at trueTime: VirtualNanoseconds) -> Int64 {
        precondition(trueTime >= anchorTrueTime, "a node clock is read at a time before its last change")
        let elapsed = Int64(trueTime - anchorTrueTime)
        let rate = Self.partsPerMillion + driftPartsPerMillion
        let (high, low) = elapsed.multipliedFullWidth(by: rate)
        let (scaled, _) = Self.partsPerMillion.dividingFullWidth((high, low))
        return anchorLocalTime + scaled
    }

    /// The local time minus true time at `trueTime`, for reports and checkers.
    public func offset(at trueTime: VirtualNanoseconds) -> Int64 {
        localTime(at: trueTime) - Int64(trueTime)
    }

    /// Sets the wall-clock offset at `trueTime`: from then on local time reads `offset` away
    /// from true time (and drifts from there). The jump may go backwards, as NTP steps do.
    public mutating func setSkew(_ offsetNanoseconds: Int64, at trueTime: VirtualNanoseconds) {
        precondition(trueTime >= anchorTrueTime, "clock faults are applied in time order")
        anchorLocalTime = Int64(trueTime) + offsetNanoseconds
        anchorTrueTime = trueTime
    }

    /// Sets the timer rate error at `trueTime`; local time stays continuous across the change.
    public mutating func setDrift(_ partsPerMillion: Int64, at trueTime: VirtualNanoseconds) {
        precondition(abs(partsPerMillion) <= Self.maximumDriftPartsPerMillion, "drift beyond ±50%")
        anchorLocalTime = localTime(at: trueTime)
        anchorTrueTime = trueTime
        driftPartsPerMillion = partsPerMillion
    }

    /// How much true time passes while this node's timer counts `localDuration`, rounded up so
    /// a timer never fires early: a fast clock fires its timers sooner in true time.
    public func trueDuration(forLocal localDuration: VirtualNanoseconds) -> VirtualNanoseconds {
        let rate = UInt64(Self.partsPerMillion + driftPartsPerMillion)
        let (high, low) = localDuration.multipliedFullWidth(by: UInt64(Self.partsPerMillion))
        let (quotient, remainder) = rate.dividingFullWidth((high, low))
        return quotient + (remainder == 0 ? 0 : 1)
    }
}
