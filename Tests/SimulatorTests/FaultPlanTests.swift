import Testing
@testable import Simulator

/// Replays a plan's events and checks that each one makes sense in the state the earlier ones
/// left (no restart of a running node, no unclog of a free link, a majority always up), then
/// reports what is still faulty at the end.
struct FaultPlanReplay {
    var crashed: Set<NodeID> = []
    var paused: Set<NodeID> = []
    var slowed: Set<NodeID> = []
    var clogged: Set<[NodeID]> = []
    var flapping: Set<[NodeID]> = []
    var partitioned = false
    var degraded = false
    var corruptedNodes: Set<NodeID> = []
    var problems: [String] = []
    var mostNodesDown = 0

    var isHealthy: Bool {
        crashed.isEmpty && paused.isEmpty && slowed.isEmpty && clogged.isEmpty && flapping.isEmpty && !partitioned && !degraded
    }

    mutating func apply(_ event: FaultEvent) {
        switch event {
        case .partition, .partitionOneWay, .isolate, .isolateLeader, .isolateNextLeader, .rotateIsolatedLeaders, .rotateAtNextCommit: partitioned = true
        case .healPartitions: partitioned = false; flapping = []
        case .clogLink(let from, let to): expect(clogged.insert([from, to]).inserted, "clog of a clogged link")
        case .unclogLink(let from, let to): expect(clogged.remove([from, to]) != nil, "unclog of a free link")
        case .startFlapping(let from, let to, _): flapping.insert([from, to])
        case .stopFlapping(let from, let to): flapping.remove([from, to])
        case .degradeLinks: degraded = true
        case .restoreLinks: degraded = false
        case .crash(let node, _): expect(!crashed.contains(node) && !paused.contains(node), "crash of a down node"); crashed.insert(node)
        case .restart(let node): expect(crashed.remove(node) != nil, "restart of a running node")
        case .pause(let node): expect(!crashed.contains(node) && !paused.contains(node), "pause of a down node"); paused.insert(node)
        case .resume(let node): expect(paused.remove(node) != nil, "resume of a running node")
        case .slow(let node, let factor): expect(factor >= 2 && slowed.insert(node).inserted, "bad slowdown")
        case .restoreSpeed(let node): expect(slowed.remove(node) != nil, "speed restored on a normal node")
        case .corruptSyncedRecord(let node, _): corruptedNodes.insert(node)
        case .clockSkew, .clockDrift: break
        }
        mostNodesDown = max(mostNodesDown, crashed.count + paused.count)
    }

    private mutating func expect(_ condition: Bool, _ problem: String) {
        if !condition { problems.append(problem) }
    }
}

/// A name per event case, to check which kinds a plan produces.
func kindName(_ event: FaultEvent) -> String {
    switch event {
    case .partition: return "partition"
    case .partitionOneWay: return "partitionOneWay"
    case .isolate: return "isolate"
    case .isolateLeader: return "isolateLeader"
    case .isolateNextLeader: return "isolateNextLeader"
    case .rotateIsolatedLeaders: return "rotateIsolatedLeaders"
    case .rotateAtNextCommit: return "rotateAtNextCommit"
    case .healPartitions: return "healPartitions"
    case .clogLink: return "clogLink"
    case .unclogLink: return "unclogLink"
    case .startFlapping: return "startFlapping"
    case .stopFlapping: return "stopFlapping"
    case .degradeLinks: return "degradeLinks"
    case .restoreLinks: return "restoreLinks"
    case .crash(_, .loseUnsyncedWrites): return "crash"
    case .crash(_, .tornLastWrite): return "crashTorn"
    case .crash(_, .misdirectedLastWrite): return "crashMisdirected"
    case .restart: return "restart"
    case .pause: return "pause"
    case .resume: return "resume"
    case .slow: return "slow"
    case .restoreSpeed: return "restoreSpeed"
    case .corruptSyncedRecord: return "corruptSyncedRecord"
    case .clockSkew: return "clockSkew"
    case .clockDrift: return "clockDrift"
    }
}

@Suite("FaultPlan")
struct FaultPlanTests {
    static let seedsPerProperty: UInt64 = 200

    @Test("the same seed gives the same plan and another seed a different one")
    func deterministicFromSeed() {
        let configuration = FaultPlan.Configuration(nodeCount: 5)
        let first = FaultPlan.generate(seed: 3, classes: .all, configuration: configuration)
        #expect(first == FaultPlan.generate(seed: 3, classes: .all, configuration: configuration))
        #expect(first != FaultPlan.generate(seed: 4, classes: .all, configuration: configuration))
        #expect(!first.events.isEmpty)
    }

    @Test("events are in time order and no fault starts during the healing period")
    func orderedAndQuietAtTheEnd() {
        for seed in 0..<Self.seedsPerProperty {
            let plan = FaultPlan.generate(seed: seed, classes: .all, configuration: FaultPlan.Configuration(nodeCount: 3))
            #expect(zip(plan.events, plan.events.dropFirst()).allSatisfy { $0.time <= $1.time })
            #expect(plan.events.allSatisfy { $0.time <= plan.healingStartsAt })
            #expect(plan.endsAt == plan.healingStartsAt + plan.configuration.healingPeriod)
        }
    }

    @Test("replaying any plan is consistent, keeps a majority up, and ends fully healed")
    func replayEndsHealed() {
        for nodeCount in [3, 5] {
            for seed in 0..<Self.seedsPerProperty {
                let plan = FaultPlan.generate(seed: seed, classes: .all, configuration: FaultPlan.Configuration(nodeCount: nodeCount))
                var replay = FaultPlanReplay()
                for fault in plan.events { replay.apply(fault.event) }
                #expect(replay.problems.isEmpty, "seed \(seed): \(replay.problems)")
                #expect(replay.isHealthy, "seed \(seed) does not heal")
                #expect(replay.mostNodesDown <= (nodeCount - 1) / 2)
                #expect(replay.corruptedNodes.count <= (nodeCount - 1) / 2)
            }
        }
    }

    @Test("with every class enabled, plans produce every kind of fault")
    func everyKindAppears() {
        var kinds = Set<String>()
        for seed in 0..<Self.seedsPerProperty {
            let plan = FaultPlan.generate(seed: seed, classes: .all, configuration: FaultPlan.Configuration(nodeCount: 5))
            kinds.formUnion(plan.events.map { kindName($0.event) })
        }
        let expected: Set<String> = [
            "partition", "partitionOneWay", "isolate", "isolateLeader", "isolateNextLeader", "rotateIsolatedLeaders", "rotateAtNextCommit",
            "healPartitions", "clogLink", "unclogLink", "startFlapping", "stopFlapping", "degradeLinks", "restoreLinks", "crash", "crashTorn", "crashMisdirected",
            "restart", "pause", "resume", "slow", "restoreSpeed", "corruptSyncedRecord", "clockSkew", "clockDrift",
        ]
        #expect(kinds == expected)
    }

    @Test("the class mask limits plans to the chosen kinds of fault")
    func maskLimitsKinds() {
        let allowed: [(FaultClasses, Set<String>)] = [
            (.network, ["partition", "partitionOneWay", "isolate", "isolateLeader", "isolateNextLeader", "rotateIsolatedLeaders", "rotateAtNextCommit",
                        "healPartitions", "clogLink",
                        "unclogLink", "startFlapping", "stopFlapping", "degradeLinks", "restoreLinks"]),
            (.process, ["crash", "restart", "pause", "resume", "slow", "restoreSpeed"]),
            (.storage, ["corruptSyncedRecord"]),
            (.clock, ["clockSkew", "clockDrift"]),
            (.figure8, ["isolateLeader", "isolateNextLeader", "rotateIsolatedLeaders", "rotateAtNextCommit", "healPartitions"]),
            ([], []),
        ]
        for (mask, kinds) in allowed {
            for seed in 0..<UInt64(50) {
                let plan = FaultPlan.generate(seed: seed, classes: mask, configuration: FaultPlan.Configuration(nodeCount: 5))
                #expect(plan.events.allSatisfy { kinds.contains(kindName($0.event)) })
            }
        }
    }

    @Test("swizzle-clogging clogs links one by one and unclogs them in a different order")
    func swizzleClogOrder() {
        var sawReordering = false
        for seed in 0..<Self.seedsPerProperty {
            let plan = FaultPlan.generate(seed: seed, classes: .network, configuration: FaultPlan.Configuration(nodeCount: 5))
            var clogOrder: [[NodeID]] = []
            var unclogOrder: [[NodeID]] = []
            for fault in plan.events {
                if case .clogLink(let from, let to) = fault.event { clogOrder.append([from, to]) }
                if case .unclogLink(let from, let to) = fault.event { unclogOrder.append([from, to]) }
            }
            #expect(Set(clogOrder) == Set(unclogOrder))
            if clogOrder.count > 2 && clogOrder != unclogOrder { sawReordering = true }
        }
        #expect(sawReordering)
    }

    @Test("scheduling a plan puts its events into the queue in order")
    func scheduleIntoQueue() {
        let plan = FaultPlan.generate(seed: 8, classes: .all, configuration: FaultPlan.Configuration(nodeCount: 3))
        var queue = EventQueue<FaultEvent>()
        plan.schedule(into: &queue, as: { $0 })
        var replayed: [ScheduledFault] = []
        while let entry = queue.popNext() {
            replayed.append(ScheduledFault(time: entry.time, event: entry.event))
        }
        #expect(replayed == plan.events)
    }
}

@Suite("FaultPlan descriptions")
struct FaultPlanDescriptionTests {
    @Test("times render as seconds with six decimals")
    func timesRender() {
        #expect(FaultPlan.render(0) == "0.000000s")
        #expect(FaultPlan.render(1_250_000_000) == "1.250000s")
        #expect(FaultPlan.render(3_000_001_999) == "3.000001s")
    }

    @Test("events read as words a person can follow")
    func eventsRead() {
        #expect(ScheduledFault(time: 1_500_000_000, event: .crash(2, .tornLastWrite)).description
            == "t=1.500000s crash node 2 (torn last write)")
        #expect(FaultEvent.partition(groups: [[0], [1, 2]]).description == "partition [0] | [1, 2]")
        #expect(FaultEvent.clogLink(from: 0, to: 1).description == "clog link 0→1")
    }

    @Test("a plan prints one line per event and the healing boundary")
    func planPrints() {
        let plan = FaultPlan.generate(seed: 12, classes: .all, configuration: FaultPlan.Configuration(nodeCount: 3))
        let lines = plan.description.split(separator: "\n")
        #expect(lines.count == plan.events.count + 1)
        #expect(lines.last == "t=30.000000s healing period begins; run ends at t=40.000000s")
    }
}
