import Governance
import Raft
import Replica

// MARK: - Events

/// Everything that can happen in a chaos run, in virtual time.
enum SimulationEvent {
    /// A replica's timer fires (ignored when from an earlier life of the node).
    case tick(node: Int, incarnation: UInt64)
    /// A peer message arrives (parked in the simulation's in-flight slab at `slot`).
    case delivery(slot: Int)
    /// The nemesis strikes.
    case fault(FaultEvent)
    /// An armed crash did not meet a save in time: crash now.
    case forceCrash(node: Int)
    /// A node whose disk was just corrupted restarts to find it.
    case restartAfterCorruption(node: Int)
    /// A client starts its next operation.
    case clientStart(client: Int)
    /// A client's request reaches a replica.
    case clientSubmit(client: Int, attempt: Int, node: Int)
    /// A client stops waiting for one attempt.
    case clientTimeout(client: Int, attempt: Int)
}

/// One problem a checker found.
public struct SimulationViolation: Sendable, CustomStringConvertible {
    /// The checker that found it (`election safety`, `linearizability`, …).
    public let checker: String
    /// When it was found, in virtual time.
    public let time: VirtualNanoseconds
    /// What exactly is wrong.
    public let detail: String

    /// One line for a report.
    public var description: String { "[\(FaultPlan.render(time))] \(checker): \(detail)" }
}

// MARK: - The simulation

/// One seeded chaos run: N replicas of the production `Replica` code on a simulated network and
/// simulated disks, a nemesis from `FaultPlan`, concurrent clients, and checkers after every
/// step and at the end. Single-threaded and deterministic: the seed is the whole input.
public final class Simulation {
    /// The seed everything derives from.
    public let seed: UInt64
    /// The knobs.
    public let configuration: SimulationConfiguration
    /// The nemesis timeline.
    public let plan: FaultPlan

    var clock = VirtualClock()
    var queue = EventQueue<SimulationEvent>()
    var network: SimulatedNetwork<PeerMessage>
    var nodes: [SimulatedNode]
    var replicaRandom: SeededRandom
    var workloadRandom: SeededRandom
    var hasher = TraceHasher()
    var safety: RaftSafetyChecker
    var leaderQuorum: LeaderQuorumChecker
    var workload: Workload
    var inFlight: [Delivery<PeerMessage>?] = []
    var freeSlots: [Int] = []

    /// Every violation found so far.
    public internal(set) var violations: [SimulationViolation] = []
    /// The readable timeline, when `recordsTimeline` is on.
    public internal(set) var timeline: [String] = []
    /// Events processed.
    public internal(set) var processedEvents = 0
    /// When, after healing began, a leader existed and a client write applied (liveness).
    var livenessReachedAt: VirtualNanoseconds?
    var lastRoles: [Role?]
    /// The figure-8 nemesis: armed to isolate the next election winner; the leaders it and
    /// `isolateLeader` cut off since the last heal, oldest first.
    var isolatesNextLeader = false
    var isolatedLeaders: [Int] = []
    /// The figure-8 nemesis: armed to cut off the next leader whose commit index moves past
    /// what was last seen of it.
    var rotatesAtNextCommit = false
    var commitsSeen: [UInt64] = []

    /// Prepares the run for `seed`; nothing happens until `run()`.
    public init(seed: UInt64, configuration: SimulationConfiguration) {
        precondition(configuration.nodeCount >= 1 && configuration.nodeCount <= 9, "a cluster of 1 to 9 replicas")
        self.seed = seed
        self.configuration = configuration
        plan = FaultPlan.generate(seed: seed, classes: configuration.faults, configuration: configuration.faultPlanConfiguration)
        network = SimulatedNetwork(nodeCount: configuration.nodeCount, random: SeededRandom(seed: seed, stream: RandomStreams.network))
        nodes = (0..<configuration.nodeCount).map(SimulatedNode.init(index:))
        replicaRandom = SeededRandom(seed: seed, stream: RandomStreams.replicas)
        workloadRandom = SeededRandom(seed: seed, stream: RandomStreams.workload)
        safety = RaftSafetyChecker(nodeCount: configuration.nodeCount)
        leaderQuorum = LeaderQuorumChecker(nodeCount: configuration.nodeCount)
        workload = Workload(configuration: configuration)
        lastRoles = Array(repeating: nil, count: configuration.nodeCount)
    }

    /// The trace hash so far: every processed event and every client outcome folded in.
    public var traceHash: UInt64 { hasher.value }
    /// Virtual time now.
    public var now: VirtualNanoseconds { clock.now }
    /// The client history of kill-switch operations.
    public var killSwitchHistory: History<WardenKillSwitchModel.Input, WardenKillSwitchModel.Output> { workload.history }

    // MARK: - Running

    /// Runs the event loop to the plan's end (or the first violation when configured so).
    public func runEvents() {
        hasher.combine(plan)
        for node in nodes { start(node) }
        plan.schedule(into: &queue) { SimulationEvent.fault($0) }
        for client in 0..<configuration.clientCount {
            queue.schedule(.clientStart(client: client), at: workloadRandom.uniform(in: configuration.thinkTime))
        }
        while let nextTime = queue.nextTime, nextTime <= plan.endsAt {
            let entry = queue.popNext(advancing: &clock)!
            processedEvents += 1
            handle(entry.event)
            if configuration.stopAtFirstViolation && !violations.isEmpty { return }
        }
        clock.advance(to: max(clock.now, plan.endsAt))
    }

    private func handle(_ event: SimulationEvent) {
        hasher.combine(clock.now)
        switch event {
        case .tick(let index, let incarnation):
            let node = nodes[index]
            guard node.isUp, node.incarnation == incarnation else { return }
            scheduleTick(node)
            guard !node.isPaused else { return }
            hasher.combine(UInt64(1 + index))
            node.clock.trueTime = clock.now
            node.replica!.tick()
            checkTick(node)
            process(node)
        case .delivery(let slot):
            deliver(slot: slot)
        case .fault(let fault):
            hasher.combine(fault)
            apply(fault)
        case .forceCrash(let index):
            if nodes[index].disk.armedCrash != nil {
                nodes[index].disk.armedCrash = nil
                crash(nodes[index], reason: "crash")
            }
        case .restartAfterCorruption(let index):
            if !nodes[index].isUp { restart(nodes[index]) }
        case .clientStart(let client):
            startOperation(client: client)
        case .clientSubmit(let client, let attempt, let node):
            submit(client: client, attempt: attempt, node: nodes[node])
        case .clientTimeout(let client, let attempt):
            attemptTimedOut(client: client, attempt: attempt)
        }
    }

    // MARK: - Reporting helpers

    func note(_ text: @autoclosure () -> String) {
        guard configuration.recordsTimeline else { return }
        timeline.append("[\(FaultPlan.render(clock.now))] " + text())
    }

    func violation(_ checker: String, _ detail: String) {
        let found = SimulationViolation(checker: checker, time: clock.now, detail: detail)
        violations.append(found)
        note("VIOLATION \(checker): \(detail)")
    }
}
