// Readable renderings of fault plans, for the trace a failing seed prints.

extension FaultEvent: CustomStringConvertible {
    /// One line in words, e.g. "crash node 2 (torn last write)".
    public var description: String {
        switch self {
        case .partition(let groups): return "partition \(groups.map { "\($0)" }.joined(separator: " | "))"
        case .partitionOneWay(let from, let to): return "block messages from \(from) to \(to)"
        case .isolate(let node): return "isolate node \(node)"
        case .isolateLeader: return "isolate the leader"
        case .isolateNextLeader: return "isolate the next leader as it wins"
        case .rotateIsolatedLeaders: return "heal, then isolate only the last isolated leader"
        case .rotateAtNextCommit: return "when a leader next commits, heal and isolate only that leader"
        case .healPartitions: return "heal all partitions"
        case .clogLink(let from, let to): return "clog link \(from)→\(to)"
        case .unclogLink(let from, let to): return "unclog link \(from)→\(to)"
        case .startFlapping(let from, let to, let period):
            return "flap link \(from)→\(to) every \(FaultPlan.render(period))"
        case .stopFlapping(let from, let to): return "stop flapping link \(from)→\(to)"
        case .degradeLinks(let faults):
            return "degrade links: drop \(faults.dropProbability), duplicate \(faults.duplicateProbability), "
                + "delay \(FaultPlan.render(faults.minimumDelay))–\(FaultPlan.render(faults.maximumDelay)), "
                + "reorder \(faults.reorderProbability) up to \(FaultPlan.render(faults.maximumReorderDelay))"
        case .restoreLinks: return "restore healthy links"
        case .crash(let node, .loseUnsyncedWrites): return "crash node \(node)"
        case .crash(let node, .tornLastWrite): return "crash node \(node) (torn last write)"
        case .crash(let node, .misdirectedLastWrite): return "crash node \(node) (misdirected last write)"
        case .restart(let node): return "restart node \(node)"
        case .pause(let node): return "pause node \(node)"
        case .resume(let node): return "resume node \(node)"
        case .slow(let node, let factor): return "slow node \(node) down \(factor)×"
        case .restoreSpeed(let node): return "restore node \(node)'s speed"
        case .corruptSyncedRecord(let node, let selector): return "corrupt a synced record on node \(node) (selector \(selector))"
        case .clockSkew(let node, let offset): return "skew node \(node)'s clock by \(offset) ns"
        case .clockDrift(let node, let rate): return "drift node \(node)'s timers by \(rate) ppm"
        }
    }
}

extension ScheduledFault: CustomStringConvertible {
    /// The time in seconds with microseconds, then the event.
    public var description: String {
        "t=\(FaultPlan.render(time)) \(event)"
    }
}

extension FaultPlan: CustomStringConvertible {
    /// The whole timeline, one event a line, then the healing boundary.
    public var description: String {
        var lines = events.map(\.description)
        lines.append("t=\(FaultPlan.render(healingStartsAt)) healing period begins; run ends at t=\(FaultPlan.render(endsAt))")
        return lines.joined(separator: "\n")
    }

    /// Renders a virtual time as seconds with six decimals, e.g. "1.250000s", using integer
    /// arithmetic only so the text is the same on every platform.
    public static func render(_ time: VirtualNanoseconds) -> String {
        let seconds = time / VirtualTime.nanosecondsPerSecond
        let microseconds = (time % VirtualTime.nanosecondsPerSecond) / VirtualTime.nanosecondsPerMicrosecond
        let fraction = String(microseconds)
        return "\(seconds).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)s"
    }
}
