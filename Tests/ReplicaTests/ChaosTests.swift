import Governance
import Raft
import Testing
@testable import Replica

/// One seeded run: drops, duplicates and reorders messages, isolates and restarts nodes, then
/// heals, checking what the outcome rules promise.
final class ChaosRun {
    let seed: UInt64
    var random: SplitMix64
    let cluster: TestCluster
    var writes: [RequestID: (node: NodeID, user: String)] = [:]
    var reads: [RequestID: (node: NodeID, mustSee: Set<String>)] = [:]
    var acknowledgedUsers: Set<String> = []
    var crashedRequests: Set<RequestID> = []
    var nextRequest: RequestID = 1
    var servedReads = 0

    init(seed: UInt64) throws {
        self.seed = seed
        random = SplitMix64(seed: seed)
        cluster = try TestCluster {
            $0.snapshotIntervalEntries = 20
            $0.compactionMarginEntries = 5
            $0.writeTimeoutTicks = 60
        }
    }

    func pick() -> NodeID { cluster.members[Int(random.next() % UInt64(cluster.members.count))] }

    func run(faultyRounds: Int = 450, healRounds: Int = 150) throws {
        for round in 0..<(faultyRounds + healRounds) {
            let faulty = round < faultyRounds
            if faulty { try injectEvents() }
            if round == faultyRounds { cluster.isolated = [] }
            try tick(faulty: faulty)
        }
        try checkFinalState()
    }

    private func injectEvents() throws {
        if random.next() % 3 == 0 {
            let node = pick()
            let user = "user-\(nextRequest)"
            cluster[node].submitWrite(requestID: nextRequest, command: Fixture.user(user), actor: Fixture.operatorActor, idempotencyKey: nil)
            writes[nextRequest] = (node, user)
            nextRequest += 1
        }
        if random.next() % 4 == 0 {
            let node = pick()
            cluster[node].submitRead(requestID: nextRequest, consistency: .linearizable)
            reads[nextRequest] = (node, acknowledgedUsers)
            nextRequest += 1
        }
        if random.next() % 40 == 0 { cluster.isolated = random.next() % 2 == 0 ? [pick()] : [] }
        if random.next() % 90 == 0 {
            let node = pick()
            for (requestID, write) in writes where write.node == node && cluster.outcome(requestID, at: node) == nil {
                crashedRequests.insert(requestID)
            }
            for (requestID, read) in reads where read.node == node && cluster.outcome(requestID, at: node) == nil {
                crashedRequests.insert(requestID)
            }
            try cluster.start(node)
        }
    }

    private func tick(faulty: Bool) throws {
        for node in cluster.members {
            cluster.clocks[node]!.nowMilliseconds += 10
            cluster[node].tick()
        }
        for node in cluster.members {
            let output = try cluster[node].process()
            cluster.outcomes[node, default: [:]].merge(output.completions) { _, new in new }
            for requestID in output.completions.keys.sorted() { observe(requestID, output.completions[requestID]!, at: node) }
        }
        var messages = cluster.network.inFlight
        cluster.network.inFlight.removeAll()
        if faulty {
            messages = messages.filter { _ in random.next() % 10 != 0 }
            messages += messages.filter { _ in random.next() % 20 == 0 }
            for index in messages.indices.reversed() where index > 0 && random.next() % 4 == 0 {
                messages.swapAt(index, Int(random.next() % UInt64(index)))
            }
        }
        for message in messages where !cluster.isolated.contains(message.from) && !cluster.isolated.contains(message.to) {
            cluster[message.to].receive(message)
        }
    }

    /// A completed read is evaluated right away: it must see every write acknowledged before it began.
    private func observe(_ requestID: RequestID, _ outcome: RequestOutcome, at node: NodeID) {
        if case .applied = outcome, let write = writes[requestID] { acknowledgedUsers.insert(write.user) }
        guard case .readReady = outcome, let read = reads[requestID] else { return }
        servedReads += 1
        let users = cluster[node].governance.users
        let missing = read.mustSee.filter { users[$0] == nil }
        #expect(missing.isEmpty, "read \(requestID) at node \(node) missed acknowledged writes \(missing.sorted()) (seed \(seed))")
    }

    private func checkFinalState() throws {
        let finalUsers = cluster[1].governance.users
        for (requestID, write) in writes.sorted(by: { $0.key < $1.key }) where !crashedRequests.contains(requestID) {
            let outcome = cluster.outcome(requestID, at: write.node)
            let present = finalUsers[write.user] != nil
            switch outcome {
            case .applied?: #expect(present, "acknowledged write \(requestID) lost (seed \(seed))")
            case .failed?: #expect(!present, "definitely failed write \(requestID) applied (seed \(seed))")
            case .ambiguous?: continue
            default: Issue.record("write \(requestID) never completed: \(String(describing: outcome)) (seed \(seed))")
            }
        }
        for (requestID, read) in reads where !crashedRequests.contains(requestID) {
            #expect(cluster.outcome(requestID, at: read.node) != nil, "read \(requestID) never completed (seed \(seed))")
        }
        #expect(servedReads > 0)
        let applied = cluster[1].appliedRevision
        for node in cluster.members {
            #expect(cluster[node].appliedRevision == applied, "seed \(seed)")
            #expect(cluster[node].governance.digest() == cluster[1].governance.digest(), "seed \(seed)")
            #expect(cluster.stores[node]!.auditGaps == 0, "seed \(seed)")
        }
    }
}

@Suite("Replica under a faulty network")
struct ChaosTests {
    @Test("acknowledged writes survive, definite failures never apply, reads see acknowledged writes, replicas converge",
          arguments: Array(UInt64(1)...UInt64(12)))
    func faultyNetwork(seed: UInt64) throws {
        try ChaosRun(seed: seed).run()
    }
}
