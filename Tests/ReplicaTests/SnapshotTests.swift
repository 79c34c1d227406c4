import Governance
import Raft
import Testing
@testable import Replica

@Suite("Replica snapshots and restart")
struct SnapshotTests {
    static func tuned(_ configuration: inout ReplicaConfiguration) {
        configuration.snapshotIntervalEntries = 5
        configuration.compactionMarginEntries = 2
    }

    static func write(_ count: Int, to cluster: TestCluster, at node: NodeID, firstRequest: RequestID) throws {
        for offset in 0..<count {
            let requestID = firstRequest + RequestID(offset)
            cluster[node].submitWrite(requestID: requestID, command: Fixture.user("user-\(requestID)"),
                                      actor: Fixture.operatorActor, idempotencyKey: nil)
            #expect(try cluster.await(requestID, at: node)?.appliedRevision != nil)
        }
    }

    @Test("snapshots compact the log keeping a margin, and a restart restores the same digest without duplicating audit records")
    func snapshotCompactRestart() throws {
        let cluster = try TestCluster(tune: Self.tuned)
        let leader = try cluster.electLeader()
        try Self.write(20, to: cluster, at: leader, firstRequest: 100)
        try cluster.tick()
        try cluster.settle()
        // A clean stop saves what the replica deferred (audit records, commit index).
        try cluster.saveDeferred()
        let store = cluster.stores[leader]!
        let snapshotIndex = store.storage.snapshot.metadata.index
        #expect(snapshotIndex >= 5)
        #expect(store.storage.firstIndex == snapshotIndex + 1)
        #expect(cluster[leader].appliedRevision >= snapshotIndex + 2)
        let digest = cluster[leader].governance.digest()
        let auditCount = store.auditRecords.count
        #expect(UInt64(auditCount) == cluster[leader].governance.auditHead.seq)

        let applied = cluster[leader].appliedRevision
        #expect(applied > snapshotIndex)
        try cluster.start(leader)
        #expect(cluster[leader].appliedRevision == snapshotIndex)
        // The committed tail after the snapshot is re-applied from the log, without the network.
        for _ in 0..<5 { _ = try cluster[leader].process() }
        #expect(cluster[leader].appliedRevision == applied)
        #expect(cluster[leader].governance.digest() == digest)
        #expect(store.auditGaps == 0)
        #expect(store.auditRecords.count == auditCount)
    }

    @Test("a follower far behind catches up from the leader's snapshot and converges")
    func laggingFollowerInstallsSnapshot() throws {
        let cluster = try TestCluster(tune: Self.tuned)
        let leader = try cluster.electLeader()
        let lagging = cluster.followers()[0]
        cluster.isolated = [lagging]
        try Self.write(20, to: cluster, at: leader, firstRequest: 200)
        #expect(cluster[leader].raft.firstIndex > cluster[lagging].appliedRevision + 1)
        cluster.isolated = []
        var installed = false
        for _ in 0..<60 {
            try cluster.tick()
            installed = installed || cluster.stores[lagging]!.saves.contains { $0.snapshotToInstall != nil }
        }
        #expect(installed)
        #expect(cluster[lagging].appliedRevision == cluster[leader].appliedRevision)
        #expect(cluster[lagging].governance.digest() == cluster[leader].governance.digest())
        #expect(cluster[lagging].events(after: 0, limit: 10) != .events([]))

        // The snapshot carried the audit head, not the history: the store stays contiguous and
        // the gap is reported until the shell backfills it from a peer.
        let laggingStore = cluster.stores[lagging]!
        let leaderStore = cluster.stores[leader]!
        #expect(laggingStore.auditGaps == 0)
        let gap = try #require(cluster[lagging].auditGap)
        #expect(gap.lowerBound == UInt64(laggingStore.auditRecords.count) + 1)
        laggingStore.auditRecords += leaderStore.auditRecords.filter { gap.contains($0.seq) }
        cluster[lagging].auditRecordsBackfilled(through: gap.upperBound)
        #expect(cluster[lagging].auditGap == nil)
        cluster[leader].submitWrite(requestID: 999, command: Fixture.user("after-gap"), actor: Fixture.operatorActor, idempotencyKey: nil)
        _ = try cluster.await(999, at: leader)
        try cluster.tick()
        try cluster.settle()
        try cluster.saveDeferred()
        #expect(laggingStore.auditGaps == 0)
        #expect(laggingStore.auditRecords.map(\.hash) == leaderStore.auditRecords.map(\.hash))
    }

    @Test("an undecodable committed entry is skipped alike on every replica and counted")
    func undecodableEntry() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        _ = try cluster[leader].core.propose([0xFF, 0x00, 0x13])
        cluster[leader].submitWrite(requestID: 1, command: Fixture.user("after"), actor: Fixture.operatorActor, idempotencyKey: nil)
        #expect(try cluster.await(1, at: leader)?.appliedRevision != nil)
        try cluster.tick()
        try cluster.settle()
        for node in cluster.members {
            #expect(cluster[node].undecodableEntryCount == 1)
            #expect(cluster[node].governance.digest() == cluster[leader].governance.digest())
        }
    }
}
