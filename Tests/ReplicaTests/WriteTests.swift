import Governance
import Raft
import Testing
@testable import Replica

@Suite("Replica writes")
struct WriteTests {
    @Test("a leader is elected and a write round-trips with its revision, applied on every replica")
    func leaderWriteRoundTrip() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        cluster[leader].submitWrite(requestID: 1, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        let outcome = try cluster.await(1, at: leader)
        guard case .applied(let revision, .user(let user), nil)? = outcome else {
            Issue.record("unexpected outcome \(String(describing: outcome))")
            return
        }
        #expect(user.id == "anne")
        #expect(revision == cluster[leader].appliedRevision)
        try cluster.settle()
        try cluster.tick()
        for node in cluster.members {
            #expect(cluster[node].governance.users["anne"] != nil)
            #expect(cluster[node].governance.digest() == cluster[leader].governance.digest())
        }
    }

    @Test("a write to a follower is forwarded, and completes there only after it applied locally")
    func followerForwards() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        let follower = cluster.followers()[0]
        cluster[follower].submitWrite(requestID: 7, command: Fixture.user("bob"), actor: Fixture.operatorActor, idempotencyKey: nil)
        var sawForward = false
        for _ in 0..<20 where cluster.outcome(7, at: follower) == nil {
            try cluster.step()
            sawForward = sawForward || cluster.journal.entries.contains {
                if case .sent(let message) = $0, case .forwardWrite = message.body, message.to == leader { return true }
                return false
            }
            if let revision = cluster.outcome(7, at: follower)?.appliedRevision {
                #expect(cluster[follower].appliedRevision >= revision)
                #expect(cluster[follower].governance.users["bob"] != nil)
            }
        }
        #expect(sawForward)
        guard case .applied(_, .user(let user), _)? = cluster.outcome(7, at: follower) else {
            Issue.record("forwarded write did not apply: \(String(describing: cluster.outcome(7, at: follower)))")
            return
        }
        #expect(user.id == "bob")
    }

    @Test("a write on a node that knows no leader fails definitely with noLeader")
    func noLeaderFailsDefinitely() throws {
        let cluster = try TestCluster()
        cluster[1].submitWrite(requestID: 1, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        try cluster.step()
        #expect(cluster.outcome(1, at: 1) == .failed(.noLeader))
    }

    @Test("a retried write with the same idempotency key returns the first result and applies once")
    func idempotentRetry() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        let follower = cluster.followers()[0]
        cluster[leader].submitWrite(requestID: 1, command: Fixture.agent("bot"), actor: Fixture.operatorActor, idempotencyKey: "key-1")
        let first = try cluster.await(1, at: leader)
        cluster[follower].submitWrite(requestID: 2, command: Fixture.agent("bot"), actor: Fixture.operatorActor, idempotencyKey: "key-1")
        let second = try cluster.await(2, at: follower)
        guard case .applied(_, let firstResult, _)? = first, case .applied(_, let secondResult, _)? = second else {
            Issue.record("writes did not apply: \(String(describing: first)) \(String(describing: second))")
            return
        }
        #expect(!firstResult.isRejection)
        #expect(firstResult == secondResult)
        #expect(cluster[leader].governance.agents.count == 1)
    }

    @Test("a deposed leader's pending writes become ambiguous and its reads never complete")
    func deposedLeaderAmbiguous() throws {
        let cluster = try TestCluster()
        let oldLeader = try cluster.electLeader()
        cluster.isolated = [oldLeader]
        cluster[oldLeader].submitWrite(requestID: 1, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        cluster[oldLeader].submitRead(requestID: 2, consistency: .linearizable)
        var newLeader: NodeID?
        for _ in 0..<300 where newLeader == nil || cluster[oldLeader].role == .leader {
            try cluster.tick()
            newLeader = cluster.members.first { $0 != oldLeader && cluster[$0].role == .leader }
        }
        #expect(newLeader != nil)
        #expect(cluster[oldLeader].role != .leader)
        for _ in 0..<100 where cluster.outcome(1, at: oldLeader) == nil { try cluster.tick() }
        #expect(cluster.outcome(1, at: oldLeader) == .ambiguous(.leadershipLost))
        let read = cluster.outcome(2, at: oldLeader)
        #expect(read != nil && read != .readReady(revision: cluster[oldLeader].appliedRevision))
        if case .readReady? = read { Issue.record("a deposed leader served a linearizable read") }
    }

    @Test("a write whose index was overwritten by another term fails definitely")
    func overwrittenEntryFailsDefinitely() throws {
        let cluster = try TestCluster { $0.raftOptions.checkQuorum = false }
        let oldLeader = try cluster.electLeader()
        cluster.isolated = [oldLeader]
        cluster[oldLeader].submitWrite(requestID: 1, command: Fixture.user("lost"), actor: Fixture.operatorActor, idempotencyKey: nil)
        try cluster.step()
        #expect(cluster[oldLeader].role == .leader)
        var newLeader: NodeID?
        for _ in 0..<300 where newLeader == nil {
            try cluster.tick()
            newLeader = cluster.members.first { $0 != oldLeader && cluster[$0].role == .leader }
        }
        guard let newLeader else {
            Issue.record("no new leader")
            return
        }
        cluster[newLeader].submitWrite(requestID: 2, command: Fixture.user("kept"), actor: Fixture.operatorActor, idempotencyKey: nil)
        #expect(try cluster.await(2, at: newLeader)?.appliedRevision != nil)
        // The old leader still believes it leads (no check-quorum); healing lets the new term's
        // entry overwrite and commit at the index it proposed at.
        #expect(cluster.outcome(1, at: oldLeader) == nil)
        cluster.isolated = []
        try cluster.settle()
        for _ in 0..<20 where cluster.outcome(1, at: oldLeader) == nil { try cluster.tick() }
        #expect(cluster.outcome(1, at: oldLeader) == .failed(.entryOverwritten))
        #expect(cluster[oldLeader].governance.users["lost"] == nil)
    }

    @Test("timestamps never go backwards across leaders, even when the new leader's clock is behind")
    func monotonicTimestamps() throws {
        let cluster = try TestCluster()
        let first = try cluster.electLeader()
        cluster.clocks[first]!.nowMilliseconds += 60_000
        cluster[first].submitWrite(requestID: 1, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        _ = try cluster.await(1, at: first)
        try cluster.settle()
        try cluster.saveDeferred()
        let firstTime = try #require(cluster.stores[first]!.auditRecords.last).timeMilliseconds
        // The next leader's clock is a minute behind the first one's.
        let next = cluster.followers()[0]
        try cluster[first].transferLeadership(to: next)
        for _ in 0..<100 where cluster[next].role != .leader { try cluster.tick() }
        #expect(cluster[next].role == .leader)
        #expect(cluster.clocks[next]!.nowMilliseconds < firstTime)
        cluster[next].submitWrite(requestID: 2, command: Fixture.user("bob"), actor: Fixture.operatorActor, idempotencyKey: nil)
        _ = try cluster.await(2, at: next)
        try cluster.saveDeferred()
        let secondTime = try #require(cluster.stores[next]!.auditRecords.last).timeMilliseconds
        #expect(secondTime >= firstTime)
    }
}
