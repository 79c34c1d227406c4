import Testing
@testable import Raft

/// Randomized schedules with fixed seeds: message reordering, loss and duplication, partitions,
/// crashes and restarts, proposals, reads and compaction. The safety checker runs after every
/// Ready; each Raft property has its own test over the shared runs.
enum ChaosRuns {
    struct Outcome: Sendable {
        var violations: [String] = []
        var committedEntries = 0
        var leadersElected = 0
        var snapshotChunksSent = 0
        var leaderCompletenessChecks = 0
        var membershipChanges = 0
        var livenessFailures: [String] = []
    }

    static let outcome: Outcome = {
        var total = Outcome()
        for seed in 1...40 as ClosedRange<UInt64> {
            let run = runOne(seed: seed, steps: 4_000)
            total.violations += run.violations.map { "seed \(seed): \($0)" }
            total.committedEntries += run.committedEntries
            total.leadersElected += run.leadersElected
            total.snapshotChunksSent += run.snapshotChunksSent
            total.leaderCompletenessChecks += run.leaderCompletenessChecks
            total.membershipChanges += run.membershipChanges
            total.livenessFailures += run.livenessFailures
        }
        return total
    }()

    static func runOne(seed: UInt64, steps: Int) -> Outcome {
        var random = SplitMix64(seed: seed &* 7919)
        var options = RaftOptions()
        options.preVote = seed % 4 != 1
        options.checkQuorum = seed % 4 != 2
        options.maxInflightAppends = Int(seed % 3) + 1
        options.maxEntriesPerAppend = Int(seed % 5) + 1
        var network = TestNetwork(voters: [1, 2, 3, 4, 5], options: options, seed: seed)
        for step in 0..<steps {
            let roll = random.next() % 100
            switch roll {
            case 0..<40: deliverRandom(&network, &random)
            case 40..<48: if !network.inFlight.isEmpty { network.inFlight.remove(at: Int(random.next() % UInt64(network.inFlight.count))) }
            case 48..<51: if let message = network.inFlight.randomElement(using: &random) { network.inFlight.append(message) }
            case 51..<78: network.tick(network.nodes.randomElement(using: &random)!)
            case 78..<88: if let leader = network.leaders.first { _ = try? network.propose("s\(seed)-\(step)", on: leader) }
            case 88..<91: if let node = network.nodes.randomElement(using: &random), !network.crashed.contains(node) {
                    _ = try? network.cores[node]!.readIndex(UInt64(step))
                    network.processReadies()
                }
            case 91..<94: randomPartition(&network, &random)
            case 94..<96: crashOrRestart(&network, &random)
            case 96..<97: transferSomewhere(&network, &random)
            case 97..<98: changeMembership(&network)
            default: compactSomewhere(&network, &random)
            }
        }
        var outcome = Outcome()
        outcome.livenessFailures = healAndConverge(&network, seed: seed)
        outcome.membershipChanges = network.cores.values.map { core in
            (core.firstIndex...max(core.firstIndex, core.lastIndex)).filter { core.entry(at: $0)?.kind == .configuration }.count
        }.max() ?? 0
        outcome.violations = network.checker.violations
        outcome.committedEntries = network.checker.appliedAtIndex.count
        outcome.leadersElected = network.checker.leaderOfTerm.count
        outcome.snapshotChunksSent = network.sent.filter { if case .snapshotChunk = $0.body { return true } else { return false } }.count
        outcome.leaderCompletenessChecks = network.checker.checkedLeaderCompleteness
        return outcome
    }

    /// Heals every fault, then checks that one leader emerges and the members converge.
    static func healAndConverge(_ network: inout TestNetwork, seed: UInt64) -> [String] {
        network.heal()
        for node in network.crashed.sorted() { network.restart(node) }
        network.tickAll(times: 200)
        guard network.leaders.count == 1, let leader = network.leaders.first else {
            return ["seed \(seed): \(network.leaders.count) leaders after healing"]
        }
        _ = try? network.propose("final", on: leader)
        network.tickAll(times: 5)
        let commit = network.cores[leader]!.commitIndex
        let members = network.cores[leader]!.membership.members
        let lagging = members.filter { network.cores[$0]!.commitIndex != commit || network.lastApplied[$0] != commit }
        return lagging.isEmpty ? [] : ["seed \(seed): members \(lagging) did not converge to \(commit)"]
    }

    static func deliverRandom(_ network: inout TestNetwork, _ random: inout SplitMix64) {
        guard !network.inFlight.isEmpty else { return }
        let position = random.next() % 4 == 0 ? Int(random.next() % UInt64(network.inFlight.count)) : 0
        network.deliver(network.inFlight.remove(at: position))
    }

    static func randomPartition(_ network: inout TestNetwork, _ random: inout SplitMix64) {
        if random.next() % 2 == 0 {
            network.heal()
            return
        }
        let shuffled = network.nodes.shuffled(using: &random)
        let cut = Int(random.next() % 4) + 1
        network.partition([Array(shuffled[..<cut]), Array(shuffled[cut...])])
    }

    static func crashOrRestart(_ network: inout TestNetwork, _ random: inout SplitMix64) {
        if let node = network.crashed.sorted().first, random.next() % 2 == 0 {
            network.restart(node)
        } else if network.crashed.count < 2, let node = network.nodes.randomElement(using: &random) {
            network.crash(node)
        }
    }

    static func transferSomewhere(_ network: inout TestNetwork, _ random: inout SplitMix64) {
        guard let leader = network.leaders.first, let target = network.nodes.randomElement(using: &random) else { return }
        try? network.cores[leader]!.transferLeadership(to: target)
        network.processReadies()
    }

    /// Cycles node 5 through removal, re-joining as a learner and promotion.
    static func changeMembership(_ network: inout TestNetwork) {
        guard let leader = network.leaders.first else { return }
        let membership = network.cores[leader]!.membership
        let change: MembershipChange = membership.isVoter(5) ? .remove(5) : membership.isLearner(5) ? .promoteLearner(5) : .addLearner(5)
        _ = try? network.cores[leader]!.proposeMembershipChange(change)
        network.processReadies()
    }

    static func compactSomewhere(_ network: inout TestNetwork, _ random: inout SplitMix64) {
        guard let node = network.nodes.randomElement(using: &random), !network.crashed.contains(node) else { return }
        let core = network.cores[node]!
        guard core.appliedIndex > core.firstIndex + 5 else { return }
        let snapshot = network.cores[node]!.compact(through: core.appliedIndex - 2, snapshotData: [UInt8(node)])
        network.storages[node]!.compact(with: snapshot)
    }

    static func violations(_ property: String) -> [String] {
        outcome.violations.filter { $0.contains(property) }
    }
}

@Suite("Raft paper properties under randomized schedules")
struct PropertyTests {
    @Test("the randomized schedules are not trivial: leaders change, entries commit, snapshots travel")
    func schedulesAreNotTrivial() {
        let outcome = ChaosRuns.outcome
        #expect(outcome.leadersElected > 60)
        #expect(outcome.committedEntries > 600)
        #expect(outcome.snapshotChunksSent > 50)
        #expect(outcome.membershipChanges > 10)
    }

    @Test("liveness: once faults heal, every run has one leader and all members apply the same commit")
    func livenessAfterHealing() {
        #expect(ChaosRuns.outcome.livenessFailures.isEmpty, "\(ChaosRuns.outcome.livenessFailures)")
    }

    @Test("election safety: at most one leader per term")
    func electionSafety() {
        #expect(ChaosRuns.violations("election safety").isEmpty)
    }

    @Test("leader append-only: a leader never overwrites or deletes its entries")
    func leaderAppendOnly() {
        #expect(ChaosRuns.violations("leader append-only").isEmpty)
    }

    @Test("log matching: same index and term means identical prefixes")
    func logMatching() {
        #expect(ChaosRuns.violations("log matching").isEmpty)
    }

    @Test("leader completeness: every new leader holds every committed entry")
    func leaderCompleteness() {
        #expect(ChaosRuns.outcome.leaderCompletenessChecks > 60)
        #expect(ChaosRuns.violations("leader completeness").isEmpty)
    }

    @Test("state machine safety: no two servers apply different entries at one index")
    func stateMachineSafety() {
        #expect(ChaosRuns.violations("state machine safety").isEmpty)
        #expect(ChaosRuns.outcome.violations.isEmpty, "\(ChaosRuns.outcome.violations.prefix(5))")
    }
}

@Suite("The safety checker itself")
struct SafetyCheckerTests {
    @Test("the checker flags two leaders in one term")
    func flagsTwoLeaders() {
        var first = RaftCore(id: 1, storage: MemoryLogStorage(configuration: .init(voters: [1])), random: SplitMix64(seed: 1))
        var second = RaftCore(id: 2, storage: MemoryLogStorage(configuration: .init(voters: [2])), random: SplitMix64(seed: 1))
        for _ in 0..<40 { first.tick(); second.tick() }
        var checker = SafetyChecker()
        checker.check(cores: [1: first, 2: second])
        #expect(first.term == second.term)
        #expect(checker.violations.contains { $0.contains("election safety") })
    }

    @Test("the checker flags logs that match at an index but differ below it")
    func flagsLogMismatch() {
        let first = RaftCore(id: 1, storage: TestSupport.storage(voters: [1, 2], terms: [1, 1, 2], hardState: HardState(term: 2)), random: SplitMix64(seed: 1))
        let second = RaftCore(id: 2, storage: TestSupport.storage(voters: [1, 2], terms: [1, 2, 2], hardState: HardState(term: 2)), random: SplitMix64(seed: 1))
        var checker = SafetyChecker()
        checker.checkLogMatching(first, second)
        #expect(checker.violations.contains { $0.contains("log matching") })
    }

    @Test("the checker flags two different entries applied at one index")
    func flagsDivergentApply() {
        var checker = SafetyChecker()
        checker.recordApplied(Entry(term: 1, index: 1, data: [1]), by: 1, after: 0)
        checker.recordApplied(Entry(term: 1, index: 1, data: [2]), by: 2, after: 0)
        #expect(checker.violations.contains { $0.contains("state machine safety") })
    }
}
