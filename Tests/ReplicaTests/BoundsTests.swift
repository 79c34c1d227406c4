import Governance
import Raft
import Testing
@testable import Replica

@Suite("Replica bounds and duplicates")
struct BoundsTests {
    @Test("a forwarded write delivered twice is proposed and applied once")
    func duplicatedForwardAppliesOnce() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        let follower = cluster.followers()[0]
        cluster[follower].submitWrite(requestID: 1, command: Fixture.agent("bot"), actor: Fixture.operatorActor, idempotencyKey: nil)
        _ = try cluster[follower].process()
        let forwards = cluster.network.inFlight.filter {
            if case .forwardWrite = $0.body { return true }
            return false
        }
        #expect(forwards.count == 1)
        cluster.network.inFlight.append(contentsOf: forwards)
        let lastIndexBefore = cluster[leader].raft.lastIndex
        try cluster.step()
        #expect(cluster[leader].raft.lastIndex == lastIndexBefore + 1)
        let outcome = try cluster.await(1, at: follower)
        guard case .applied(_, .agent, _)? = outcome else {
            Issue.record("forwarded write failed: \(String(describing: outcome))")
            return
        }
    }

    @Test("open requests are bounded, and a reused open request id is refused")
    func pendingRequestsBounded() throws {
        let cluster = try TestCluster { $0.maximumPendingRequests = 2 }
        _ = try cluster.electLeader()
        let follower = cluster.followers()[0]
        cluster[follower].submitRead(requestID: 1, consistency: .atLeast(1_000))
        cluster[follower].submitRead(requestID: 1, consistency: .atLeast(1_000))
        #expect(cluster[follower].openRequestCount == 1)
        try cluster.step()
        #expect(cluster.outcome(1, at: follower) == .failed(.duplicateRequestID))
        cluster[follower].submitRead(requestID: 2, consistency: .atLeast(1_000))
        cluster[follower].submitRead(requestID: 3, consistency: .atLeast(1_000))
        try cluster.step()
        #expect(cluster.outcome(3, at: follower) == .failed(.tooManyPendingRequests))
        #expect(cluster.outcome(2, at: follower) == nil)
    }

    @Test("forwards to a leader that is replaced become ambiguous")
    func forwardToReplacedLeaderIsAmbiguous() throws {
        let cluster = try TestCluster()
        let oldLeader = try cluster.electLeader()
        let follower = cluster.followers()[0]
        cluster.isolated = [oldLeader]
        cluster[follower].submitWrite(requestID: 1, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        try cluster.step()
        for _ in 0..<300 where cluster.outcome(1, at: follower) == nil { try cluster.tick() }
        #expect(cluster.outcome(1, at: follower)?.isAmbiguous == true)
    }
}

@Suite("Replica leadership transfer")
struct TransferTests {
    @Test("a write during a leadership transfer fails definitely, and the new leader then accepts writes")
    func writeDuringTransferFails() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        let target = cluster.followers()[0]
        try cluster[leader].transferLeadership(to: target)
        cluster[leader].submitWrite(requestID: 1, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        try cluster.step()
        #expect(cluster.outcome(1, at: leader) == .failed(.transferInProgress))
        #expect(cluster[leader].governance.users["anne"] == nil)
        for _ in 0..<50 where cluster[target].role != .leader || cluster[leader].leaderID != target { try cluster.tick() }
        #expect(cluster[target].role == .leader)
        // The former leader now forwards to the new one.
        cluster[leader].submitWrite(requestID: 2, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        #expect(try cluster.await(2, at: leader)?.appliedRevision != nil)
    }
}
