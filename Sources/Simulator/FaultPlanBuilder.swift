/// Draws a `FaultPlan` from a seed: episodes of the enabled classes one after another, each
/// with its start and its undoing, clipped to the fault window, then the final healing events.
struct FaultPlanBuilder {
    private var random: SeededRandom
    private let classes: FaultClasses
    private let configuration: FaultPlan.Configuration
    private var events: [ScheduledFault] = []
    private var networkBusyUntil: VirtualNanoseconds = 0
    private var nodeDownUntil: [VirtualNanoseconds]
    private var nodeSlowUntil: [VirtualNanoseconds]
    private let corruptibleNodes: [NodeID]
    /// Draws the mixed-in figure-8 episode, apart from the other episodes.
    private var figure8Random: SeededRandom
    /// The span of the mixed-in figure-8 episode, which other network episodes keep out of.
    private var figure8Span: Range<VirtualNanoseconds> = 0..<0

    /// The share of plans with network faults that get one figure-8 episode.
    static let figure8Rate = 0.25

    init(seed: UInt64, classes: FaultClasses, configuration: FaultPlan.Configuration) {
        random = SeededRandom(seed: seed, stream: RandomStreams.faultPlan)
        figure8Random = SeededRandom(seed: seed, stream: RandomStreams.figure8)
        self.classes = classes
        self.configuration = configuration
        nodeDownUntil = Array(repeating: 0, count: configuration.nodeCount)
        nodeSlowUntil = Array(repeating: 0, count: configuration.nodeCount)
        // Corruption may only ever hit a minority of replicas: if a majority lost the same
        // committed record, no protocol could recover it, and the checkers would flag the
        // simulator rather than the code under test.
        let shuffledNodes = random.shuffled(0..<configuration.nodeCount)
        corruptibleNodes = Array(shuffledNodes.prefix(Self.minorityBound(configuration.nodeCount)))
    }

    /// The most replicas that may be down (crashed or paused) at once while a majority remains.
    static func minorityBound(_ nodeCount: Int) -> Int {
        (nodeCount - 1) / 2
    }

    private var window: VirtualNanoseconds { configuration.faultWindow }

    mutating func build() -> [ScheduledFault] {
        let enabled = [FaultClasses.network, .process, .storage, .clock, .figure8].filter { classes.contains($0) }
        guard !enabled.isEmpty else { return [] }
        if classes.contains(.network) && configuration.nodeCount > 1 && figure8Random.bernoulli(Self.figure8Rate) {
            addMixedInFigure8Episode()
        }
        var now = random.uniform(in: configuration.gapBetweenFaults)
        while now < window {
            switch random.pick(enabled)! {
            case .network: addNetworkEpisode(at: now)
            case .process: addProcessEpisode(at: now)
            case .storage: addStorageFault(at: now)
            case .figure8: addFigure8Episode(at: now)
            default: addClockFault(at: now)
            }
            precondition(events.count < FaultPlan.maximumEvents, "fault plan exceeds \(FaultPlan.maximumEvents) events")
            now += random.uniform(in: configuration.gapBetweenFaults)
        }
        var ordered = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        // Belt and braces: every episode already undoes itself by the window's end.
        if classes.contains(.network) || classes.contains(.figure8) {
            ordered.append(ScheduledFault(time: window, event: .healPartitions))
        }
        if classes.contains(.network) {
            ordered.append(ScheduledFault(time: window, event: .restoreLinks))
        }
        return ordered
    }

    private mutating func add(_ event: FaultEvent, at time: VirtualNanoseconds) {
        events.append(ScheduledFault(time: min(time, window), event: event))
    }

    private mutating func episodeEnd(from start: VirtualNanoseconds) -> VirtualNanoseconds {
        min(start + random.uniform(in: configuration.faultDuration), window)
    }
}

// MARK: - Network episodes

extension FaultPlanBuilder {
    private mutating func addNetworkEpisode(at start: VirtualNanoseconds) {
        guard start >= networkBusyUntil else { return }
        let end = episodeEnd(from: start)
        guard end <= figure8Span.lowerBound || start >= figure8Span.upperBound else { return }
        networkBusyUntil = end
        let nodes = random.shuffled(0..<configuration.nodeCount)
        let nodeCount = configuration.nodeCount
        guard nodeCount > 1 else { return }
        switch random.uniform(in: 0...6) {
        case 0:
            let minoritySize = random.uniform(in: 1...max(1, nodeCount / 2))
            add(.partition(groups: [Array(nodes.prefix(minoritySize)).sorted(), Array(nodes.dropFirst(minoritySize)).sorted()]), at: start)
            add(.healPartitions, at: end)
        case 1:
            let senderCount = random.uniform(in: 1...(nodeCount - 1))
            add(.partitionOneWay(from: Array(nodes.prefix(senderCount)).sorted(), to: Array(nodes.dropFirst(senderCount)).sorted()), at: start)
            add(.healPartitions, at: end)
        case 2:
            add(.isolate(nodes[0]), at: start)
            add(.healPartitions, at: end)
        case 3:
            add(.isolateLeader, at: start)
            add(.healPartitions, at: end)
        case 4:
            let period = random.uniform(in: VirtualTime.milliseconds(20)...VirtualTime.milliseconds(500))
            add(.startFlapping(from: nodes[0], to: nodes[1], period: period), at: start)
            add(.stopFlapping(from: nodes[0], to: nodes[1]), at: end)
        case 5:
            addSwizzleClog(from: start, to: end)
        default:
            add(.degradeLinks(randomDegradedLinks()), at: start)
            add(.restoreLinks, at: end)
        }
    }

    /// The mixed-in figure-8 episode: at a random time of the window, drawn from its own stream.
    private mutating func addMixedInFigure8Episode() {
        let latest = window > Self.figure8Length ? window - Self.figure8Length : 0
        let start = figure8Random.uniform(in: 0...latest)
        var episodeRandom = figure8Random
        figure8Span = start..<addFigure8Episode(at: start, random: &episodeRandom)
        figure8Random = episodeRandom
    }

    /// The longest a figure-8 episode lasts.
    static let figure8Length = VirtualTime.milliseconds(5_200)

    private mutating func addFigure8Episode(at start: VirtualNanoseconds) {
        guard start >= networkBusyUntil else { return }
        var episodeRandom = random
        networkBusyUntil = addFigure8Episode(at: start, random: &episodeRandom)
        random = episodeRandom
    }

    /// Raft's Figure 8, set up by partitions: leaders that write tails of their own term nobody
    /// else holds, then come back one by one. The leader L1 is cut off while clients keep
    /// writing to it; the next leader L2 is cut off the moment it wins (so the node that elected
    /// it never gets an entry of its term) and writes its own tail alone. Then L1 rejoins, wins
    /// again and ships its old-term tail to the others; a tail longer than one append (the
    /// simulation cuts appends short in these runs) is acknowledged an old-term entry at a time,
    /// which a correct leader must not count toward commit. The moment that leader's commit
    /// index moves, it is cut off and L2 rejoins: if the commit landed on an old-term entry,
    /// L2's later-term tail wins the election and overwrites it. Returns the episode's end.
    @discardableResult
    private mutating func addFigure8Episode(at start: VirtualNanoseconds, random episodeRandom: inout SeededRandom) -> VirtualNanoseconds {
        let secondLeaderWrites = episodeRandom.uniform(in: VirtualTime.milliseconds(800)...VirtualTime.milliseconds(2_000))
        let rejoined = episodeRandom.uniform(in: VirtualTime.milliseconds(1_000)...VirtualTime.milliseconds(3_000))
        add(.isolateLeader, at: start)
        add(.isolateNextLeader, at: start)
        let rotation = start + secondLeaderWrites
        add(.rotateIsolatedLeaders, at: rotation)
        add(.rotateAtNextCommit, at: rotation)
        let end = min(rotation + rejoined, window)
        add(.healPartitions, at: end)
        return end
    }

    /// FoundationDB's swizzle-clogging: clog a random subset of links one by one over the first
    /// half of the episode, then unclog them in a different random order over the second half.
    private mutating func addSwizzleClog(from start: VirtualNanoseconds, to end: VirtualNanoseconds) {
        let nodeCount = configuration.nodeCount
        let links = (0..<nodeCount).flatMap { from in (0..<nodeCount).filter { $0 != from }.map { (from, $0) } }
        let chosen = Array(random.shuffled(links).prefix(random.uniform(in: 1...links.count)))
        let step = max(1, (end - start) / UInt64(2 * chosen.count + 1))
        for (position, link) in chosen.enumerated() {
            add(.clogLink(from: link.0, to: link.1), at: start + UInt64(position) * step)
        }
        let unclogStart = start + UInt64(chosen.count) * step
        for (position, link) in random.shuffled(chosen).enumerated() {
            add(.unclogLink(from: link.0, to: link.1), at: unclogStart + UInt64(position + 1) * step)
        }
    }

    private mutating func randomDegradedLinks() -> LinkFaults {
        let maximumDelay = random.uniform(in: VirtualTime.milliseconds(1)...VirtualTime.milliseconds(50))
        return LinkFaults(
            dropProbability: Double(random.uniform(in: 0...30)) / 100,
            duplicateProbability: Double(random.uniform(in: 0...20)) / 100,
            minimumDelay: 100 * VirtualTime.nanosecondsPerMicrosecond,
            maximumDelay: max(maximumDelay, 100 * VirtualTime.nanosecondsPerMicrosecond),
            reorderProbability: Double(random.uniform(in: 0...50)) / 100,
            maximumReorderDelay: random.uniform(in: VirtualTime.milliseconds(1)...VirtualTime.milliseconds(100))
        )
    }
}

// MARK: - Process, storage and clock faults

extension FaultPlanBuilder {
    private mutating func addProcessEpisode(at start: VirtualNanoseconds) {
        let end = episodeEnd(from: start)
        let downNow = nodeDownUntil.filter { $0 > start }.count
        let available = (0..<configuration.nodeCount).filter { nodeDownUntil[$0] <= start && nodeSlowUntil[$0] <= start }
        guard let node = random.pick(available) else { return }
        let canTakeDown = downNow < Self.minorityBound(configuration.nodeCount)
        switch random.uniform(in: 0...2) {
        case 0 where canTakeDown:
            add(.crash(node, randomCrashKind()), at: start)
            add(.restart(node), at: end)
            nodeDownUntil[node] = end
        case 1 where canTakeDown:
            add(.pause(node), at: start)
            add(.resume(node), at: end)
            nodeDownUntil[node] = end
        default:
            add(.slow(node, factor: random.uniform(in: 2...configuration.maximumSlowdownFactor)), at: start)
            add(.restoreSpeed(node), at: end)
            nodeSlowUntil[node] = end
        }
    }

    private mutating func randomCrashKind() -> CrashKind {
        guard classes.contains(.storage) else { return .loseUnsyncedWrites }
        switch random.uniform(in: 0...2) {
        case 0: return .loseUnsyncedWrites
        case 1: return .tornLastWrite
        default: return .misdirectedLastWrite
        }
    }

    private mutating func addStorageFault(at time: VirtualNanoseconds) {
        guard let node = random.pick(corruptibleNodes) else { return }
        add(.corruptSyncedRecord(node, recordSelector: random.next()), at: time)
    }

    private mutating func addClockFault(at time: VirtualNanoseconds) {
        let node = random.uniform(in: 0..<configuration.nodeCount)
        if random.bernoulli(0.5) {
            let skew = Int64(configuration.maximumClockSkew)
            add(.clockSkew(node, offsetNanoseconds: Int64(random.uniform(in: Int(-skew)...Int(skew)))), at: time)
        } else {
            let drift = configuration.maximumDriftPartsPerMillion
            add(.clockDrift(node, partsPerMillion: Int64(random.uniform(in: Int(-drift)...Int(drift)))), at: time)
        }
    }
}
