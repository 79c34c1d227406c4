import Governance
import Raft
import Testing
@testable import Replica

@Suite("Snapshot cadence amortized over the state's size")
struct SnapshotCadenceTests {
    /// Writes `count` users at the leader, then lets every replica settle and save.
    static func run(_ count: Int, tune: @escaping (inout ReplicaConfiguration) -> Void) throws -> (TestCluster, NodeID) {
        let cluster = try TestCluster(tune: tune)
        let leader = try cluster.electLeader()
        try SnapshotTests.write(count, to: cluster, at: leader, firstRequest: 1_000)
        try cluster.tick()
        try cluster.settle()
        try cluster.saveDeferred()
        return (cluster, leader)
    }

    /// The local snapshots a node's store received, oldest first.
    static func compactions(_ store: RecordingStore) -> [Snapshot] { store.saves.compactMap(\.compaction) }

    /// The bytes of the entries in `range` that `store` was asked to save (the last version of each).
    static func entryBytes(_ store: RecordingStore, in range: ClosedRange<UInt64>) -> Int {
        var bytes: [UInt64: Int] = [:]
        for save in store.saves {
            for entry in save.entries { bytes[entry.index] = entry.data.count }
        }
        return range.reduce(0) { $0 + (bytes[$1] ?? 0) }
    }

    @Test("below the size floor, snapshots follow the entry count alone (today's cadence)")
    func smallStateKeepsEntryCadence() throws {
        let (cluster, leader) = try Self.run(40) {
            $0.snapshotIntervalEntries = 5
            $0.compactionMarginEntries = 2
        }
        let snapshots = Self.compactions(cluster.stores[leader]!)
        #expect(snapshots.count >= 5)
        var previous: UInt64 = 0
        for snapshot in snapshots {
            // Every `process()` applies a write or two here: the snapshot follows the interval closely.
            #expect(snapshot.metadata.index >= previous + 5)
            #expect(snapshot.metadata.index <= previous + 8)
            previous = snapshot.metadata.index
        }
    }

    @Test("above the floor, a snapshot waits until the entries since the last one hold the configured share of its bytes")
    func largeStateAmortizes() throws {
        let percent = 150
        let (cluster, leader) = try Self.run(60) {
            $0.snapshotIntervalEntries = 2
            $0.compactionMarginEntries = 1
            $0.snapshotAmortizationFloorBytes = 0
            $0.snapshotLogBytesPercent = percent
        }
        let store = cluster.stores[leader]!
        let snapshots = Self.compactions(store)
        #expect(snapshots.count >= 2)
        for (previous, next) in zip(snapshots, snapshots.dropFirst()) {
            let applied = Self.entryBytes(store, in: (previous.metadata.index + 1)...next.metadata.index)
            #expect(applied * 100 >= previous.data.count * percent)
            #expect(next.metadata.index >= previous.metadata.index + 2)
        }
        // The same writes by entry count alone would have snapshotted every couple of entries.
        let (byCount, byCountLeader) = try Self.run(60) {
            $0.snapshotIntervalEntries = 2
            $0.compactionMarginEntries = 1
        }
        #expect(Self.compactions(byCount.stores[byCountLeader]!).count > 2 * snapshots.count)
        // Followers converge on the same state whatever their snapshot points.
        for node in cluster.members {
            #expect(cluster[node].governance.digest() == cluster[leader].governance.digest())
        }
    }

    @Test("a restart counts the applied bytes from the stored snapshot and keeps the amortized cadence")
    func restartKeepsCadence() throws {
        let percent = 150
        let (cluster, leader) = try Self.run(30) {
            $0.snapshotIntervalEntries = 2
            $0.compactionMarginEntries = 1
            $0.snapshotAmortizationFloorBytes = 0
            $0.snapshotLogBytesPercent = percent
        }
        let store = cluster.stores[leader]!
        let before = Self.compactions(store).count
        try cluster.start(leader)
        try cluster.electLeader()
        let current = try #require(cluster.leader())
        try SnapshotTests.write(30, to: cluster, at: current, firstRequest: 5_000)
        try cluster.tick()
        try cluster.settle()
        try cluster.saveDeferred()
        let snapshots = Self.compactions(store)
        #expect(snapshots.count > before)
        for (previous, next) in zip(snapshots, snapshots.dropFirst()) {
            let applied = Self.entryBytes(store, in: (previous.metadata.index + 1)...next.metadata.index)
            #expect(applied * 100 >= previous.data.count * percent)
        }
    }
}
