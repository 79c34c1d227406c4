import Governance
import Raft
import Testing
@testable import Replica

/// Audit records, the commit index and compactions are a function of the committed log: they
/// are saved after the answers (with the next save, or by `saveDeferred`), never before them.
@Suite("Deferred audit saves")
struct DeferredAuditTests {
    /// A leader whose earlier deferred state is saved, so the next save is the write's own.
    static func quietLeader(_ cluster: TestCluster) throws -> NodeID {
        let leader = try cluster.electLeader()
        try cluster.saveDeferred()
        return leader
    }

    /// Steps until `requestID` completes at `node`; returns its outcome and how many saves
    /// `node` made in the step that completed it.
    static func stepUntilComplete(_ cluster: TestCluster, _ requestID: RequestID, at node: NodeID) throws
        -> (outcome: RequestOutcome?, savesInCompletingStep: Int)
    {
        for _ in 0..<20 {
            let before = cluster.stores[node]!.saves.count
            try cluster.step()
            if let outcome = cluster.outcome(requestID, at: node) {
                return (outcome, cluster.stores[node]!.saves.count - before)
            }
        }
        return (nil, 0)
    }

    @Test("a write's completion does not wait for the save of its audit records")
    func completionDoesNotWaitForAuditSave() throws {
        let cluster = try TestCluster()
        let leader = try Self.quietLeader(cluster)
        let store = cluster.stores[leader]!
        let headBefore = cluster[leader].governance.auditHead.seq
        cluster[leader].submitWrite(requestID: 1, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)

        let (outcome, saves) = try Self.stepUntilComplete(cluster, 1, at: leader)
        #expect(outcome?.appliedRevision != nil)
        #expect(saves == 0, "the completing process() saved nothing")
        let head = cluster[leader].governance.auditHead.seq
        #expect(head > headBefore)
        #expect((store.auditRecords.last?.seq ?? 0) < head, "the audit record is not stored yet")
        #expect(cluster[leader].hasDeferredState)

        try cluster[leader].saveDeferred()
        #expect(store.auditRecords.last?.seq == head)
        #expect(store.auditGaps == 0)
        #expect(!cluster[leader].hasDeferredState)
    }

    @Test("deferred state rides along with the next save, or is saved on its own a few ticks later")
    func deferredStateIsSavedLater() throws {
        let cluster = try TestCluster()
        let leader = try Self.quietLeader(cluster)
        let store = cluster.stores[leader]!
        cluster[leader].submitWrite(requestID: 1, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        _ = try Self.stepUntilComplete(cluster, 1, at: leader)
        let firstHead = cluster[leader].governance.auditHead.seq

        // The next write's entries and the first write's audit records share one save.
        cluster[leader].submitWrite(requestID: 2, command: Fixture.user("bob"), actor: Fixture.operatorActor, idempotencyKey: nil)
        let before = store.saves.count
        _ = try cluster[leader].process()
        let shared = store.saves[before...]
        #expect(shared.count == 1)
        #expect(shared.first.map { !$0.entries.isEmpty && $0.auditRecords.last?.seq == firstHead } == true)

        // With nothing else to save, the idle replica saves its deferred state within a few ticks.
        _ = try Self.stepUntilComplete(cluster, 2, at: leader)
        #expect(cluster[leader].hasDeferredState)
        for _ in 0..<Int(Replica.maximumDeferredSaveTicks) + 1 { try cluster.tick() }
        #expect(!cluster[leader].hasDeferredState)
        #expect(store.auditRecords.last?.seq == cluster[leader].governance.auditHead.seq)
    }

    @Test("a crash after the answer and before the audit save loses no audit record: the restart regenerates it")
    func crashBeforeAuditSaveRegenerates() throws {
        let cluster = try TestCluster()
        let leader = try Self.quietLeader(cluster)
        let store = cluster.stores[leader]!
        cluster[leader].submitWrite(requestID: 1, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        let (outcome, _) = try Self.stepUntilComplete(cluster, 1, at: leader)
        #expect(outcome?.appliedRevision != nil)
        let answeredHead = cluster[leader].governance.auditHead.seq
        let storedBefore = store.auditRecords.last?.seq ?? 0
        #expect(storedBefore < answeredHead)

        cluster.crash(leader)
        try cluster.start(leader)
        _ = try cluster.electLeader()
        for _ in 0..<5 { try cluster.tick() }
        try cluster.settle()
        try cluster.saveDeferred()

        let survivor = cluster.members.first { $0 != leader }!
        #expect(store.auditGaps == 0)
        #expect((store.auditRecords.last?.seq ?? 0) >= answeredHead)
        #expect(store.auditRecords.map(\.hash) == cluster.stores[survivor]!.auditRecords.map(\.hash))
        #expect(cluster[leader].governance.auditHead == cluster[survivor].governance.auditHead)
    }

    @Test("compaction never drops entries whose audit records are not stored, across crashes at any step")
    func compactionWaitsForAuditRecords() throws {
        var random = SplitMix64(seed: 20_261_129)
        let cluster = try TestCluster(tune: SnapshotTests.tuned)
        var leader = try cluster.electLeader()
        var requestID: RequestID = 100
        var compactions = 0
        for round in 0..<120 {
            if cluster.replicas[leader] == nil || cluster[leader].role != .leader { leader = try cluster.electLeader() }
            for _ in 0..<Int(random.next() % 4) {
                requestID += 1
                cluster[leader].submitWrite(requestID: requestID, command: Fixture.user("user-\(requestID % 17)"),
                                            actor: Fixture.operatorActor, idempotencyKey: nil)
            }
            try cluster.step()
            if round % 7 == 3 {
                // Crash a node between its answers and its deferred save, then bring it back.
                let victim = cluster.members[Int(random.next() % UInt64(cluster.members.count))]
                cluster.crash(victim)
                try cluster.start(victim)
            }
            if random.next() % 3 == 0 { try cluster.tick() }
            compactions = cluster.stores.values.reduce(0) { $0 + $1.saves.filter { $0.compaction != nil }.count }
        }
        leader = try cluster.electLeader()
        for _ in 0..<5 { try cluster.tick() }
        try cluster.saveDeferred()
        #expect(compactions > 0)
        for node in cluster.members {
            let store = cluster.stores[node]!
            #expect(store.compactionsAheadOfAudit == 0, "node \(node)")
            #expect(store.auditGaps == 0, "node \(node)")
        }
        for node in cluster.members where cluster[node].auditGap == nil {
            #expect(cluster.stores[node]!.auditRecords.last?.seq == cluster[node].governance.auditHead.seq, "node \(node)")
        }
    }
}
