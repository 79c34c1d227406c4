/// A stable 64-bit FNV-1a hash that the simulator folds every event of a run into. Two runs of
/// the same seed must end with the same value (the determinism self-check). Unlike Swift's
/// `Hasher`, which is randomly seeded per process, this is the same on every run and platform.
public struct TraceHasher: Sendable, Equatable {
    /// The FNV-1a 64-bit offset basis.
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    /// The FNV-1a 64-bit prime.
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The hash of everything folded in so far.
    public private(set) var value: UInt64 = TraceHasher.offsetBasis
    /// How many values have been folded in, for reports.
    public private(set) var foldedCount: UInt64 = 0

    /// Creates a hasher in its initial state.
    public init() {}

    /// Folds raw bytes in, FNV-1a style: xor each byte, then multiply by the prime.
    public mutating func combine<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            value = (value ^ UInt64(byte)) &* Self.prime
        }
        foldedCount += 1
    }

    /// Folds a 64-bit value in as its eight little-endian bytes.
    public mutating func combine(_ number: UInt64) {
        combine(bytes: (0..<8).map { UInt8(truncatingIfNeeded: number >> ($0 * 8)) })
    }

    /// Folds a signed integer in as its 64-bit two's complement.
    public mutating func combine(_ number: Int) {
        combine(UInt64(bitPattern: Int64(number)))
    }

    /// Folds a Boolean in as one byte.
    public mutating func combine(_ flag: Bool) {
        combine(bytes: [flag ? 1 : 0])
    }

    /// Folds a string in as its length then its UTF-8 bytes, so that ("ab", "c") and
    /// ("a", "bc") hash differently.
    public mutating func combine(_ text: String) {
        combine(UInt64(text.utf8.count))
        combine(bytes: text.utf8)
    }

    /// Folds in a value that knows how to describe itself to the trace.
    public mutating func combine<Value: TraceHashable>(_ item: Value) {
        item.fold(into: &self)
    }

    /// Returns the FNV-1a hash of `text`'s UTF-8 bytes alone (no length prefix), as in the
    /// published FNV test vectors.
    public static func fnv1a(_ text: String) -> UInt64 {
        var hasher = TraceHasher()
        hasher.combine(bytes: text.utf8)
        return hasher.value
    }
}

/// A value that can fold a stable description of itself into a `TraceHasher`. Use explicit
/// fields, never `hashValue` (randomly seeded per process) or `description` of types whose
/// rendering may change between Swift versions.
public protocol TraceHashable {
    /// Folds the value's identifying fields into `hasher`.
    func fold(into hasher: inout TraceHasher)
}

extension FaultEvent: TraceHashable {
    /// Folds the event's case and fields.
    public func fold(into hasher: inout TraceHasher) {
        switch self {
        case .partition(let groups):
            hasher.combine("partition")
            for group in groups { hasher.combine(group.count); group.forEach { hasher.combine($0) } }
        case .partitionOneWay(let from, let to):
            hasher.combine("partitionOneWay")
            hasher.combine(from.count); from.forEach { hasher.combine($0) }
            hasher.combine(to.count); to.forEach { hasher.combine($0) }
        case .isolate(let node): hasher.combine("isolate"); hasher.combine(node)
        case .isolateLeader: hasher.combine("isolateLeader")
        case .isolateNextLeader: hasher.combine("isolateNextLeader")
        case .rotateIsolatedLeaders: hasher.combine("rotateIsolatedLeaders")
        case .rotateAtNextCommit: hasher.combine("rotateAtNextCommit")
        case .healPartitions: hasher.combine("healPartitions")
        case .clogLink(let from, let to): hasher.combine("clogLink"); hasher.combine(from); hasher.combine(to)
        case .unclogLink(let from, let to): hasher.combine("unclogLink"); hasher.combine(from); hasher.combine(to)
        case .startFlapping(let from, let to, let period):
            hasher.combine("startFlapping"); hasher.combine(from); hasher.combine(to); hasher.combine(period)
        case .stopFlapping(let from, let to): hasher.combine("stopFlapping"); hasher.combine(from); hasher.combine(to)
        case .degradeLinks(let faults): hasher.combine("degradeLinks"); hasher.combine(faults)
        case .restoreLinks: hasher.combine("restoreLinks")
        case .crash(let node, let kind): hasher.combine("crash"); hasher.combine(node); hasher.combine(kind)
        case .restart(let node): hasher.combine("restart"); hasher.combine(node)
        case .pause(let node): hasher.combine("pause"); hasher.combine(node)
        case .resume(let node): hasher.combine("resume"); hasher.combine(node)
        case .slow(let node, let factor): hasher.combine("slow"); hasher.combine(node); hasher.combine(factor)
        case .restoreSpeed(let node): hasher.combine("restoreSpeed"); hasher.combine(node)
        case .corruptSyncedRecord(let node, let selector):
            hasher.combine("corruptSyncedRecord"); hasher.combine(node); hasher.combine(selector)
        case .clockSkew(let node, let offset):
            hasher.combine("clockSkew"); hasher.combine(node); hasher.combine(UInt64(bitPattern: offset))
        case .clockDrift(let node, let rate):
            hasher.combine("clockDrift"); hasher.combine(node); hasher.combine(UInt64(bitPattern: rate))
        }
    }
}

extension CrashKind: TraceHashable {
    /// Folds the kind's name.
    public func fold(into hasher: inout TraceHasher) {
        switch self {
        case .loseUnsyncedWrites: hasher.combine("loseUnsyncedWrites")
        case .tornLastWrite: hasher.combine("tornLastWrite")
        case .misdirectedLastWrite: hasher.combine("misdirectedLastWrite")
        }
    }
}

extension LinkFaults: TraceHashable {
    /// Folds every field; probabilities by their exact IEEE 754 bit patterns.
    public func fold(into hasher: inout TraceHasher) {
        hasher.combine(dropProbability.bitPattern)
        hasher.combine(duplicateProbability.bitPattern)
        hasher.combine(minimumDelay)
        hasher.combine(maximumDelay)
        hasher.combine(reorderProbability.bitPattern)
        hasher.combine(maximumReorderDelay)
    }
}

extension FaultPlan: TraceHashable {
    /// Folds every scheduled event with its time, and the healing boundary.
    public func fold(into hasher: inout TraceHasher) {
        hasher.combine(UInt64(events.count))
        for fault in events {
            hasher.combine(fault.time)
            hasher.combine(fault.event)
        }
        hasher.combine(healingStartsAt)
        hasher.combine(endsAt)
    }
}
