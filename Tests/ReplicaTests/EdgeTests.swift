import Governance
import Raft
import Testing
@testable import Replica

@Suite("Enforcers, decision records and the feed")
struct EdgeTests {
    static func killRequest(_ cluster: TestCluster, at node: NodeID, requestID: RequestID) {
        cluster[node].submitWrite(requestID: requestID, command: .killAgent(id: "bot", reason: "test"),
                                  actor: Fixture.operatorActor, idempotencyKey: nil, waitForEnforcers: true)
    }

    @Test("a kill waiting for enforcers completes once every live enforcer acknowledged its revision")
    func killWaitsForAcks() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        cluster[leader].submitWrite(requestID: 1, command: Fixture.agent("bot"), actor: Fixture.operatorActor, idempotencyKey: nil)
        _ = try cluster.await(1, at: leader)
        cluster[leader].recordEnforcerAck(enforcerID: "edge-1", revision: 1)
        cluster[leader].recordEnforcerAck(enforcerID: "edge-2", revision: 1)
        Self.killRequest(cluster, at: leader, requestID: 2)
        for _ in 0..<10 { try cluster.step() }
        #expect(cluster.outcome(2, at: leader) == nil)
        let killRevision = cluster[leader].appliedRevision
        cluster[leader].recordEnforcerAck(enforcerID: "edge-1", revision: killRevision)
        try cluster.step()
        #expect(cluster.outcome(2, at: leader) == nil)
        cluster[leader].recordEnforcerAck(enforcerID: "edge-2", revision: killRevision + 3)
        try cluster.step()
        guard case .applied(let revision, .agentKilled, let enforcers?)? = cluster.outcome(2, at: leader) else {
            Issue.record("kill did not complete: \(String(describing: cluster.outcome(2, at: leader)))")
            return
        }
        #expect(revision == killRevision)
        #expect(enforcers.acknowledged == 2 && enforcers.total == 2)
    }

    @Test("a kill waiting for a silent enforcer completes when the enforcer lease has run out")
    func killWaitsForLease() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        cluster[leader].submitWrite(requestID: 1, command: Fixture.agent("bot"), actor: Fixture.operatorActor, idempotencyKey: nil)
        _ = try cluster.await(1, at: leader)
        cluster[leader].recordEnforcerAck(enforcerID: "edge-1", revision: 1)
        cluster[leader].recordEnforcerAck(enforcerID: "edge-silent", revision: 1)
        Self.killRequest(cluster, at: leader, requestID: 2)
        for _ in 0..<10 { try cluster.step() }
        cluster[leader].recordEnforcerAck(enforcerID: "edge-1", revision: cluster[leader].appliedRevision)
        let appliedAt = cluster.clocks[leader]!.nowMilliseconds
        try cluster.step()
        #expect(cluster.outcome(2, at: leader) == nil)
        for _ in 0..<100 where cluster.outcome(2, at: leader) == nil {
            try cluster.tick(advancingMilliseconds: 10)
            cluster[leader].recordEnforcerAck(enforcerID: "edge-1", revision: cluster[leader].appliedRevision)
        }
        guard case .applied(_, _, let enforcers?)? = cluster.outcome(2, at: leader) else {
            Issue.record("kill did not complete")
            return
        }
        #expect(enforcers.acknowledged == 1 && enforcers.total == 2)
        let lease = cluster[leader].governance.settings.enforcerLeaseMilliseconds
        #expect(enforcers.fencedByMilliseconds <= appliedAt + lease)
        #expect(cluster.clocks[leader]!.nowMilliseconds >= appliedAt + lease - 100)
    }

    /// A decision record numbered `number`.
    private func record(_ number: Int) -> DecisionRecord {
        DecisionRecord(decisionID: "d-\(number)", agent: "bot", subject: "user:anne", action: "approve",
                       resource: "invoice:\(number)", allowed: true, reasons: ["allowed"], revision: 1, timeMilliseconds: 5)
    }

    @Test("decision records are proposed in batches with increasing sequence numbers that survive a restart")
    func decisionBatching() throws {
        let cluster = try TestCluster {
            $0.decisionBatchRecords = 3
            $0.decisionBatchDelayMilliseconds = 100
            $0.maximumBufferedDecisions = 4
        }
        _ = try cluster.electLeader()
        let follower = cluster.followers()[0]
        let source = cluster[follower].configuration.decisionSource
        for number in 0..<3 { #expect(cluster[follower].recordDecision(record(number))) }
        for _ in 0..<20 { try cluster.step() }
        #expect(cluster[follower].governance.decisionBatches[source] == 1)
        #expect(cluster[follower].bufferedDecisionCount == 0)
        #expect(cluster[follower].recordDecision(record(3)))
        try cluster.settle()
        #expect(cluster[follower].governance.decisionBatches[source] == 1)
        for _ in 0..<15 { try cluster.tick(advancingMilliseconds: 10) }
        #expect(cluster[follower].governance.decisionBatches[source] == 2)
        try cluster.start(follower)
        for _ in 0..<10 { try cluster.tick() }
        for number in 10..<13 { #expect(cluster[follower].recordDecision(record(number))) }
        for _ in 0..<20 { try cluster.step() }
        #expect(cluster[follower].governance.decisionBatches[source] == 3)
        let decisions = cluster[follower].governance.auditHead.seq
        #expect(decisions > 0)
        for number in 20..<24 { #expect(cluster[follower].recordDecision(record(number))) }
        #expect(!cluster[follower].recordDecision(record(99)))
        #expect(cluster[follower].droppedDecisionCount == 1)
    }

    @Test("a node that crashes before its commit index is saved numbers its next decision batch past the ones in its log")
    func decisionBatchAfterCrashWithDeferredCommit() throws {
        let cluster = try TestCluster {
            $0.decisionBatchRecords = 2
            $0.decisionBatchDelayMilliseconds = 1_000_000
        }
        _ = try cluster.electLeader()
        let follower = cluster.followers()[0]
        let source = cluster[follower].configuration.decisionSource
        for number in 0..<2 { #expect(cluster[follower].recordDecision(record(number))) }
        for _ in 0..<20 where cluster[follower].governance.decisionBatches[source] != 1 { try cluster.step() }
        #expect(cluster[follower].governance.decisionBatches[source] == 1)
        // The commit index that covers batch 1 is still deferred: the store holds the entry, not its commit.
        let storedCommit = try cluster.stores[follower]!.load().hardState.commitIndex
        let batchIndex = cluster[follower].appliedRevision
        #expect(storedCommit < batchIndex)
        cluster.crash(follower)
        try cluster.start(follower)
        for number in 10..<12 { #expect(cluster[follower].recordDecision(record(number))) }
        for _ in 0..<40 where cluster[follower].governance.decisionBatches[source] != 2 { try cluster.tick() }
        #expect(cluster[follower].governance.decisionBatches[source] == 2)
        let leader = try #require(cluster.leader())
        for _ in 0..<20 { try cluster.tick() }
        let decided = cluster[leader].governance.auditHead.seq
        #expect(decided >= 4, "both batches' records are in the audit chain, none dropped as a duplicate")
    }

    @Test("the feed ring resumes after a recent revision and asks for a reset before its horizon")
    func feedRingResumeAndReset() throws {
        let cluster = try TestCluster { $0.feedRingCapacity = 3 }
        let leader = try cluster.electLeader()
        var revisions: [UInt64] = []
        for number in 0..<5 {
            let requestID = RequestID(number + 1)
            cluster[leader].submitWrite(requestID: requestID, command: Fixture.agent("bot-\(number)"), actor: Fixture.operatorActor, idempotencyKey: nil)
            revisions.append(try #require(try cluster.await(requestID, at: leader)?.appliedRevision))
        }
        #expect(cluster[leader].events(after: 0, limit: 10) == .resetNeeded(horizon: revisions[1]))
        guard case .events(let items) = cluster[leader].events(after: revisions[1], limit: 10) else {
            Issue.record("resume after the horizon was refused")
            return
        }
        #expect(items.map(\.revision) == Array(revisions[2...]))
        guard case .events(let limited) = cluster[leader].events(after: revisions[2], limit: 1) else {
            Issue.record("resume refused")
            return
        }
        #expect(limited.map(\.revision) == [revisions[3]])
        #expect(cluster[leader].events(after: revisions[4], limit: 10) == .events([]))
    }
}

@Suite("Enforcer registry")
struct EnforcerRegistryTests {
    @Test("the enforcer table is bounded: a silent enforcer makes room, live ones are never evicted")
    func registryBounded() throws {
        let cluster = try TestCluster { $0.maximumEnforcers = 2 }
        let node: NodeID = 1
        cluster[node].recordEnforcerAck(enforcerID: "edge-a", revision: 1)
        cluster[node].recordEnforcerAck(enforcerID: "edge-b", revision: 1)
        cluster[node].recordEnforcerAck(enforcerID: "edge-c", revision: 1)
        #expect(cluster[node].enforcers().map(\.id) == ["edge-a", "edge-b"])
        cluster.clocks[node]!.nowMilliseconds += 400
        cluster[node].recordEnforcerAck(enforcerID: "edge-b", revision: 2)
        cluster.clocks[node]!.nowMilliseconds += 200
        cluster[node].recordEnforcerAck(enforcerID: "edge-c", revision: 2)
        let statuses = cluster[node].enforcers()
        #expect(statuses.map(\.id) == ["edge-b", "edge-c"])
        #expect(statuses.filter { !$0.isLive }.isEmpty)
        #expect(statuses.first?.acknowledgedRevision == 2)
    }
}
