/// A replica's index in the simulated cluster, `0..<nodeCount`.
public typealias NodeID = Int

// MARK: - Link faults

/// The random misbehaviour of one directed link. Probabilities lie in [0, 1]; delays are
/// virtual nanoseconds.
public struct LinkFaults: Equatable, Sendable {
    /// The chance a message is lost.
    public var dropProbability: Double
    /// The chance a message is delivered twice (each copy with its own delay).
    public var duplicateProbability: Double
    /// The shortest one-way delay.
    public var minimumDelay: VirtualNanoseconds
    /// The longest one-way delay before any reordering delay.
    public var maximumDelay: VirtualNanoseconds
    /// The chance a message gets an extra delay, so later messages overtake it.
    public var reorderProbability: Double
    /// The longest such extra delay.
    public var maximumReorderDelay: VirtualNanoseconds

    /// Creates a fault profile; see each property.
    public init(
        dropProbability: Double = 0,
        duplicateProbability: Double = 0,
        minimumDelay: VirtualNanoseconds = 100 * VirtualTime.nanosecondsPerMicrosecond,
        maximumDelay: VirtualNanoseconds = VirtualTime.nanosecondsPerMillisecond,
        reorderProbability: Double = 0,
        maximumReorderDelay: VirtualNanoseconds = 10 * VirtualTime.nanosecondsPerMillisecond
    ) {
        precondition((0...1).contains(dropProbability), "drop probability lies in [0, 1]")
        precondition((0...1).contains(duplicateProbability), "duplicate probability lies in [0, 1]")
        precondition((0...1).contains(reorderProbability), "reorder probability lies in [0, 1]")
        precondition(minimumDelay <= maximumDelay, "minimum delay exceeds maximum delay")
        self.dropProbability = dropProbability
        self.duplicateProbability = duplicateProbability
        self.minimumDelay = minimumDelay
        self.maximumDelay = maximumDelay
        self.reorderProbability = reorderProbability
        self.maximumReorderDelay = maximumReorderDelay
    }

    /// A loopback-like link: 0.1–1 ms delay, nothing lost, duplicated or held back.
    public static var healthy: LinkFaults { LinkFaults() }
}

// MARK: - Deliveries

/// A message in flight, scheduled to arrive at `deliverAt`.
public struct Delivery<Message> {
    /// The sender.
    public let from: NodeID
    /// The receiver.
    public let to: NodeID
    /// The payload.
    public let message: Message
    /// When it was sent.
    public let sentAt: VirtualNanoseconds
    /// When it is due to arrive.
    public let deliverAt: VirtualNanoseconds
    /// The send's number, shared by a message and its duplicate, unique per send in a network.
    public let sendNumber: UInt64
    /// Whether this copy is the extra one made by duplication.
    public let isDuplicate: Bool
}

/// What happens to a delivery when its arrival time comes.
public enum ArrivalDecision: Equatable, Sendable {
    /// Hand the message to the receiver.
    case deliver
    /// The link went down (partition or flapping) while the message was in flight: it is lost.
    case droppedByPartition
    /// The link is clogged: the network holds the message until the link is unclogged.
    case heldByClog
}

/// Counters for a run's report.
public struct NetworkStatistics: Equatable, Sendable {
    /// Sends attempted.
    public var sent = 0
    /// Copies lost to the drop probability.
    public var droppedRandomly = 0
    /// Copies lost to a partition or flapping link, at send or in flight.
    public var droppedByPartition = 0
    /// Extra copies made by duplication.
    public var duplicated = 0
    /// Copies given an extra reordering delay.
    public var reordered = 0
    /// Copies held back by a clogged link.
    public var held = 0
    /// Copies handed to receivers.
    public var delivered = 0
}

// MARK: - The network

/// A deterministic network between `nodeCount` nodes. Each directed link has its own random
/// faults (drop, delay, duplicate, reorder) and state (blocked by a partition, clogged,
/// flapping). All randomness comes from the network's own `SeededRandom` stream, so the same
/// seed and the same calls produce the same deliveries.
///
/// The driver sends with `send`, schedules the returned deliveries in its event queue, and when
/// one is due asks `arrive` whether it still gets through. Messages held by a clog come back
/// from `unclog` with fresh delays.
public struct SimulatedNetwork<Message> {
    /// The number of nodes; links exist between every ordered pair of distinct nodes.
    public let nodeCount: Int
    /// The bound on messages held by clogged links: a clog lasts seconds of virtual time, and
    /// a 5-replica cluster sends far fewer than this per link in that span.
    public static var maximumHeldMessagesPerLink: Int { 100_000 }
    /// Counters since the network was created.
    public private(set) var statistics = NetworkStatistics()

    private var random: SeededRandom
    private var linkFaults: [LinkFaults]
    private var blocked: [Bool]
    private var clogged: [Bool]
    private var heldMessages: [[Delivery<Message>]]
    private var flapping: [(period: VirtualNanoseconds, since: VirtualNanoseconds)?]
    private var nextSendNumber: UInt64 = 0

    /// Creates a fully connected network whose links all start with `faults`.
    public init(nodeCount: Int, random: SeededRandom, faults: LinkFaults = .healthy) {
        precondition(nodeCount >= 1, "a network needs a node")
        self.nodeCount = nodeCount
        self.random = random
        let linkCount = nodeCount * nodeCount
        linkFaults = Array(repeating: faults, count: linkCount)
        blocked = Array(repeating: false, count: linkCount)
        clogged = Array(repeating: false, count: linkCount)
        heldMessages = Array(repeating: [], count: linkCount)
        flapping = Array(repeating: nil, count: linkCount)
    }

    private func link(_ from: NodeID, _ to: NodeID) -> Int {
        precondition((0..<nodeCount).contains(from) && (0..<nodeCount).contains(to), "unknown node")
        precondition(from != to, "a node does not send to itself over the network")
        return from * nodeCount + to
    }

    private var allLinks: [(from: NodeID, to: NodeID)] {
        (0..<nodeCount).flatMap { from in
            (0..<nodeCount).filter { $0 != from }.map { (from, $0) }
        }
    }
}

// MARK: - Sending and arriving

extension SimulatedNetwork {
    /// Sends `message` at `now` and returns the copies that will arrive (none, one, or two when
    /// duplicated), each with its arrival time. A message to a clogged link is held instead.
    public mutating func send(from: NodeID, to: NodeID, message: Message, at now: VirtualNanoseconds) -> [Delivery<Message>] {
        let index = link(from, to)
        statistics.sent += 1
        let sendNumber = nextSendNumber
        nextSendNumber += 1
        if !isLinkUp(from: from, to: to, at: now) {
            statistics.droppedByPartition += 1
            return []
        }
        let faults = linkFaults[index]
        let copies = random.bernoulli(faults.duplicateProbability) ? 2 : 1
        if copies == 2 { statistics.duplicated += 1 }
        var deliveries: [Delivery<Message>] = []
        for copy in 0..<copies {
            if random.bernoulli(faults.dropProbability) {
                statistics.droppedRandomly += 1
                continue
            }
            let delivery = Delivery(
                from: from, to: to, message: message, sentAt: now,
                deliverAt: now + randomDelay(faults), sendNumber: sendNumber, isDuplicate: copy == 1
            )
            if clogged[index] {
                hold(delivery, on: index)
            } else {
                deliveries.append(delivery)
            }
        }
        return deliveries
    }

    /// Sends and schedules the resulting deliveries in `queue`, wrapped as the driver's events.
    public mutating func send<Event>(
        from: NodeID,
        to: NodeID,
        message: Message,
        at now: VirtualNanoseconds,
        into queue: inout EventQueue<Event>,
        as wrap: (Delivery<Message>) -> Event
    ) {
        for delivery in send(from: from, to: to, message: message, at: now) {
            queue.schedule(wrap(delivery), at: delivery.deliverAt)
        }
    }

    /// Decides the fate of `delivery` at its arrival time `now`: delivered, lost because its
    /// link went down in flight, or held because its link is clogged (then `unclog` returns it).
    public mutating func arrive(_ delivery: Delivery<Message>, at now: VirtualNanoseconds) -> ArrivalDecision {
        let index = link(delivery.from, delivery.to)
        if !isLinkUp(from: delivery.from, to: delivery.to, at: now) {
            statistics.droppedByPartition += 1
            return .droppedByPartition
        }
        if clogged[index] {
            hold(delivery, on: index)
            return .heldByClog
        }
        statistics.delivered += 1
        return .deliver
    }

    /// Whether `from` can currently reach `to`: not blocked by a partition and not in the down
    /// half of a flapping cycle. (A clogged link is up but slow.)
    public func isLinkUp(from: NodeID, to: NodeID, at now: VirtualNanoseconds) -> Bool {
        let index = link(from, to)
        if blocked[index] { return false }
        if let cycle = flapping[index] {
            let elapsed = now >= cycle.since ? now - cycle.since : 0
            return (elapsed / cycle.period) % 2 == 1
        }
        return true
    }

    private mutating func randomDelay(_ faults: LinkFaults) -> VirtualNanoseconds {
        var delay = random.uniform(in: faults.minimumDelay...faults.maximumDelay)
        if random.bernoulli(faults.reorderProbability) {
            statistics.reordered += 1
            delay += random.uniform(in: 0...faults.maximumReorderDelay)
        }
        return delay
    }

    private mutating func hold(_ delivery: Delivery<Message>, on index: Int) {
        precondition(heldMessages[index].count < Self.maximumHeldMessagesPerLink, "a clogged link holds too many messages")
        statistics.held += 1
        heldMessages[index].append(delivery)
    }
}

// MARK: - Fault controls

extension SimulatedNetwork {
    /// Sets the random faults of the link `from` → `to`.
    public mutating func setFaults(_ faults: LinkFaults, from: NodeID, to: NodeID) {
        linkFaults[link(from, to)] = faults
    }

    /// Sets the random faults of every link.
    public mutating func setFaultsOnAllLinks(_ faults: LinkFaults) {
        for (from, to) in allLinks { setFaults(faults, from: from, to: to) }
    }

    /// The random faults of the link `from` → `to`.
    public func faults(from: NodeID, to: NodeID) -> LinkFaults {
        linkFaults[link(from, to)]
    }

    /// Symmetric partition: links between nodes of different groups go down both ways. A node
    /// in no group is cut off from everyone.
    public mutating func partition(_ groups: [[NodeID]]) {
        var groupOfNode = Array(repeating: -1, count: nodeCount)
        for (group, members) in groups.enumerated() {
            for node in members {
                precondition(groupOfNode[node] == -1, "node \(node) is in two partition groups")
                groupOfNode[node] = group
            }
        }
        for (from, to) in allLinks where groupOfNode[from] == -1 || groupOfNode[from] != groupOfNode[to] {
            blocked[link(from, to)] = true
        }
    }

    /// One-way partition: messages from any of `senders` to any of `receivers` are lost, while
    /// the reverse direction still works.
    public mutating func blockOneWay(from senders: [NodeID], to receivers: [NodeID]) {
        for from in senders {
            for to in receivers where from != to {
                blocked[link(from, to)] = true
            }
        }
    }

    /// Cuts `node` off from every other node in both directions.
    public mutating func isolate(_ node: NodeID) {
        let others = (0..<nodeCount).filter { $0 != node }
        blockOneWay(from: [node], to: others)
        blockOneWay(from: others, to: [node])
    }

    /// Removes every partition and stops every flapping link (clogs and random faults stay).
    public mutating func healPartitions() {
        for index in blocked.indices {
            blocked[index] = false
            flapping[index] = nil
        }
    }

    /// Makes the link `from` → `to` alternate down and up every `period`, starting down at `now`.
    public mutating func startFlapping(from: NodeID, to: NodeID, period: VirtualNanoseconds, at now: VirtualNanoseconds) {
        precondition(period > 0, "a flapping period must be positive")
        flapping[link(from, to)] = (period, now)
    }

    /// Stops the flapping of the link `from` → `to`.
    public mutating func stopFlapping(from: NodeID, to: NodeID) {
        flapping[link(from, to)] = nil
    }

    /// Clogs the link `from` → `to` (FoundationDB's swizzle-clogging): messages are not lost but
    /// held until the link is unclogged.
    public mutating func clog(from: NodeID, to: NodeID) {
        clogged[link(from, to)] = true
    }

    /// Whether the link `from` → `to` is clogged.
    public func isClogged(from: NodeID, to: NodeID) -> Bool {
        clogged[link(from, to)]
    }

    /// Unclogs the link and returns the messages it held, in the order they were held, each
    /// rescheduled from `now` with a fresh delay; the caller schedules them.
    public mutating func unclog(from: NodeID, to: NodeID, at now: VirtualNanoseconds) -> [Delivery<Message>] {
        let index = link(from, to)
        clogged[index] = false
        let released = heldMessages[index]
        heldMessages[index] = []
        let faults = linkFaults[index]
        var previousArrival = now
        return released.map { held in
            // Held messages leave in order, as a reconnected TCP stream would deliver them.
            previousArrival = max(previousArrival, now + randomDelay(faults))
            return Delivery(
                from: held.from, to: held.to, message: held.message, sentAt: held.sentAt,
                deliverAt: previousArrival, sendNumber: held.sendNumber, isDuplicate: held.isDuplicate
            )
        }
    }

    /// Unclogs every link and returns all held messages, link by link in a fixed order.
    public mutating func unclogAll(at now: VirtualNanoseconds) -> [Delivery<Message>] {
        allLinks.flatMap { unclog(from: $0.from, to: $0.to, at: now) }
    }
}
