import Testing
@testable import Simulator

/// A stand-in for the replica-driving simulator, until Raft lands: three nodes gossip
/// counters over the simulated network while a network fault plan runs, every processed event
/// is folded into a trace hash, and the run ends after the plan's healing period.
struct GossipSimulation {
    enum Event {
        case tick(NodeID)
        case delivery(Delivery<Int>)
        case fault(FaultEvent)
    }

    struct Outcome: Equatable {
        let traceHash: UInt64
        let processedEvents: Int
        let deliveredAfterHealing: Int
        let lostAfterHealingSettled: Int
        let statistics: NetworkStatistics
    }

    static let nodeCount = 3
    /// How long after the healing period starts in-flight messages from the fault window may
    /// still arrive late or be lost: well above the largest delay a degraded link can add.
    static let settlingTime = VirtualTime.seconds(1)

    let plan: FaultPlan
    var network: SimulatedNetwork<Int>
    var workload: SeededRandom
    var queue = EventQueue<Event>()
    var clock = VirtualClock()
    var hasher = TraceHasher()

    init(seed: UInt64) {
        var configuration = FaultPlan.Configuration(nodeCount: Self.nodeCount)
        configuration.faultWindow = VirtualTime.seconds(5)
        configuration.healingPeriod = VirtualTime.seconds(3)
        plan = FaultPlan.generate(seed: seed, classes: .network, configuration: configuration)
        network = SimulatedNetwork(nodeCount: Self.nodeCount, random: SeededRandom(seed: seed, stream: RandomStreams.network))
        workload = SeededRandom(seed: seed, stream: RandomStreams.workload)
    }

    mutating func run() -> Outcome {
        plan.schedule(into: &queue, as: Event.fault)
        for node in 0..<Self.nodeCount { queue.schedule(.tick(node), at: 0) }
        var processed = 0
        var deliveredAfterHealing = 0
        var lostAfterSettled = 0
        while let entry = queue.popNext(advancing: &clock), clock.now <= plan.endsAt {
            processed += 1
            hasher.combine(entry.time)
            switch entry.event {
            case .tick(let node):
                tick(node)
            case .delivery(let delivery):
                let decision = network.arrive(delivery, at: clock.now)
                hasher.combine(delivery.from); hasher.combine(delivery.to); hasher.combine(delivery.message)
                hasher.combine(decision == .deliver)
                if clock.now >= plan.healingStartsAt && decision == .deliver { deliveredAfterHealing += 1 }
                if clock.now >= plan.healingStartsAt + Self.settlingTime && decision != .deliver { lostAfterSettled += 1 }
            case .fault(let fault):
                hasher.combine(fault)
                apply(fault)
            }
        }
        return Outcome(
            traceHash: hasher.value, processedEvents: processed, deliveredAfterHealing: deliveredAfterHealing,
            lostAfterHealingSettled: lostAfterSettled, statistics: network.statistics
        )
    }

    private mutating func tick(_ node: NodeID) {
        let peer = (node + 1 + workload.uniform(in: 0..<(Self.nodeCount - 1))) % Self.nodeCount
        network.send(from: node, to: peer, message: workload.uniform(in: 0...1_000), at: clock.now, into: &queue, as: Event.delivery)
        queue.schedule(.tick(node), at: clock.now + workload.uniform(in: VirtualTime.milliseconds(1)...VirtualTime.milliseconds(10)))
    }

    private mutating func apply(_ fault: FaultEvent) {
        switch fault {
        case .partition(let groups): network.partition(groups)
        case .partitionOneWay(let from, let to): network.blockOneWay(from: from, to: to)
        case .isolate(let node): network.isolate(node)
        case .isolateLeader: network.isolate(0)
        case .isolateNextLeader: network.isolate(1)
        case .rotateIsolatedLeaders, .rotateAtNextCommit: network.healPartitions(); network.isolate(1)
        case .healPartitions: network.healPartitions()
        case .clogLink(let from, let to): network.clog(from: from, to: to)
        case .unclogLink(let from, let to):
            for delivery in network.unclog(from: from, to: to, at: clock.now) {
                queue.schedule(.delivery(delivery), at: delivery.deliverAt)
            }
        case .startFlapping(let from, let to, let period): network.startFlapping(from: from, to: to, period: period, at: clock.now)
        case .stopFlapping(let from, let to): network.stopFlapping(from: from, to: to)
        case .degradeLinks(let faults): network.setFaultsOnAllLinks(faults)
        case .restoreLinks: network.setFaultsOnAllLinks(.healthy)
        default: Issue.record("a network-only plan scheduled \(fault)")
        }
    }
}

@Suite("Determinism self-check")
struct DeterminismTests {
    @Test("the same seed run twice gives the same trace hash")
    func sameSeedSameTrace() {
        for seed: UInt64 in [1, 2, 0xC0FFEE] {
            var first = GossipSimulation(seed: seed)
            var second = GossipSimulation(seed: seed)
            let firstOutcome = first.run()
            #expect(firstOutcome == second.run())
            #expect(firstOutcome.processedEvents > 1_000)
        }
    }

    @Test("different seeds give different trace hashes")
    func differentSeedsDiffer() {
        var hashes = Set<UInt64>()
        for seed in UInt64(0)..<10 {
            var simulation = GossipSimulation(seed: seed)
            hashes.insert(simulation.run().traceHash)
        }
        #expect(hashes.count == 10)
    }

    @Test("under a network fault plan messages are lost during faults and flow again after healing")
    func healingRestoresDelivery() {
        var lostSomewhere = false
        for seed in UInt64(0)..<10 {
            var simulation = GossipSimulation(seed: seed)
            let outcome = simulation.run()
            #expect(outcome.deliveredAfterHealing > 500)
            #expect(outcome.lostAfterHealingSettled == 0)
            if outcome.statistics.droppedByPartition + outcome.statistics.droppedRandomly > 0 { lostSomewhere = true }
        }
        #expect(lostSomewhere)
    }
}
