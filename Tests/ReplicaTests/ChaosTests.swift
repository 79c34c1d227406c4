import Governance
import Raft
import Testing
@testable import Replica

@Suite("Replica under a faulty network")
struct ChaosTests {
    /// Drops, duplicates and reorders messages, isolates and restarts nodes, then heals and
    /// checks what the outcome rules promise.
    static func run(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let cluster = try TestCluster {
            $0.snapshotIntervalEntries = 20
            $0.compactionMarginEntries = 5
            $0.writeTimeoutTicks = 60
        }
        var submitted: [RequestID: (node: NodeID, user: String)] = [:]
        var crashedRequests: Set<RequestID> = []
        var nextRequest: RequestID = 1
        for round in 0..<600 {
            if round < 450 && random.next() % 3 == 0 {
                let node = cluster.members[Int(random.next() % 3)]
                let user = "user-\(nextRequest)"
                cluster[node].submitWrite(requestID: nextRequest, command: Fixture.user(user), actor: Fixture.operatorActor, idempotencyKey: nil)
                submitted[nextRequest] = (node, user)
                nextRequest += 1
            }
            if round < 450 && random.next() % 40 == 0 {
                cluster.isolated = random.next() % 2 == 0 ? [cluster.members[Int(random.next() % 3)]] : []
            }
            if round < 450 && random.next() % 90 == 0 {
                let node = cluster.members[Int(random.next() % 3)]
                for (requestID, request) in submitted where request.node == node && cluster.outcome(requestID, at: node) == nil {
                    crashedRequests.insert(requestID)
                }
                try cluster.start(node)
            }
            if round == 450 { cluster.isolated = [] }
            try chaoticTick(cluster, random: &random, faulty: round < 450)
        }
        for (requestID, request) in submitted.sorted(by: { $0.key < $1.key }) where !crashedRequests.contains(requestID) {
            let outcome = cluster.outcome(requestID, at: request.node)
            let present = cluster[1].governance.users[request.user] != nil
            switch outcome {
            case .applied?: #expect(present, "acknowledged write \(requestID) lost (seed \(seed))")
            case .failed?: #expect(!present, "definitely failed write \(requestID) applied (seed \(seed))")
            case .ambiguous?: continue
            default: Issue.record("write \(requestID) never completed: \(String(describing: outcome)) (seed \(seed))")
            }
        }
        let applied = cluster[1].appliedRevision
        for node in cluster.members {
            #expect(cluster[node].appliedRevision == applied, "seed \(seed)")
            #expect(cluster[node].governance.digest() == cluster[1].governance.digest(), "seed \(seed)")
            #expect(cluster.stores[node]!.auditGaps == 0, "seed \(seed)")
        }
    }

    static func chaoticTick(_ cluster: TestCluster, random: inout SplitMix64, faulty: Bool) throws {
        for node in cluster.members {
            cluster.clocks[node]!.nowMilliseconds += 10
            cluster[node].tick()
        }
        for node in cluster.members {
            let output = try cluster[node].process()
            cluster.outcomes[node, default: [:]].merge(output.completions) { _, new in new }
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

    @Test("acknowledged writes survive, definite failures never apply, and replicas converge under faults", arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func faultyNetwork(seed: UInt64) throws {
        try Self.run(seed: seed)
    }
}
