import Governance
import Raft
import Testing
@testable import Replica

@Suite("Replica reads")
struct ReadTests {
    @Test("a linearizable read on a follower waits until the follower applied the leader's commit")
    func linearizableReadWaitsForApply() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        let follower = cluster.followers()[0]
        cluster[leader].submitWrite(requestID: 1, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        for _ in 0..<20 where cluster.outcome(1, at: leader) == nil { try cluster.step() }
        let revision = try #require(cluster.outcome(1, at: leader)?.appliedRevision)
        // The commit has not reached the follower yet: a read there must not be served early.
        #expect(cluster[follower].appliedRevision < revision)
        cluster[follower].submitRead(requestID: 2, consistency: .linearizable)
        for _ in 0..<20 where cluster.outcome(2, at: follower) == nil {
            try cluster.step()
            if case .readReady(let served)? = cluster.outcome(2, at: follower) {
                #expect(served >= revision)
                #expect(cluster[follower].governance.users["anne"] != nil)
            }
        }
        guard case .readReady? = cluster.outcome(2, at: follower) else {
            Issue.record("read did not complete: \(String(describing: cluster.outcome(2, at: follower)))")
            return
        }
    }

    @Test("linearizable reads submitted together share one ReadIndex round")
    func readsAreBatched() throws {
        let cluster = try TestCluster()
        _ = try cluster.electLeader()
        let follower = cluster.followers()[0]
        let before = cluster.journal.entries.count
        for requestID in 10..<15 { cluster[follower].submitRead(requestID: RequestID(requestID), consistency: .linearizable) }
        for _ in 0..<20 where (10..<15).contains(where: { cluster.outcome(RequestID($0), at: follower) == nil }) { try cluster.step() }
        for requestID in 10..<15 {
            guard case .readReady? = cluster.outcome(RequestID(requestID), at: follower) else {
                Issue.record("read \(requestID) did not complete")
                continue
            }
        }
        let readIndexRequests = cluster.journal.entries[before...].filter {
            if case .sent(let message) = $0, message.from == follower, case .raft(let raftMessage) = message.body,
               case .readIndexRequest = raftMessage.body { return true }
            return false
        }
        #expect(readIndexRequests.count == 1)
    }

    @Test("a serializable read completes at once with the local applied revision")
    func serializableReadIsImmediate() throws {
        let cluster = try TestCluster()
        cluster[2].submitRead(requestID: 3, consistency: .serializable)
        try cluster.step()
        #expect(cluster.outcome(3, at: 2) == .readReady(revision: 0))
    }

    @Test("an at-least read waits for its revision, and times out when it never comes")
    func atLeastWaitsAndTimesOut() throws {
        let cluster = try TestCluster { $0.readTimeoutTicks = 30 }
        let leader = try cluster.electLeader()
        let follower = cluster.followers()[0]
        try cluster.tick()
        try cluster.settle()
        #expect(cluster[follower].appliedRevision == cluster[leader].appliedRevision)
        let target = cluster[follower].appliedRevision + 1
        cluster[follower].submitRead(requestID: 1, consistency: .atLeast(target))
        cluster[follower].submitRead(requestID: 2, consistency: .atLeast(target + 1_000))
        try cluster.settle()
        #expect(cluster.outcome(1, at: follower) == nil)
        cluster[leader].submitWrite(requestID: 3, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        try cluster.await(1, at: follower)
        guard case .readReady(let revision)? = cluster.outcome(1, at: follower) else {
            Issue.record("at-least read did not complete")
            return
        }
        #expect(revision >= target)
        try cluster.await(2, at: follower)
        #expect(cluster.outcome(2, at: follower) == .failed(.readTimedOut))
    }
}
