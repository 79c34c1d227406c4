import Testing
@testable import Raft

@Suite("Snapshots")
struct SnapshotTests {
    /// A group where node 3 missed 30 entries that the leader then compacted away.
    static func laggingFollowerNetwork(chunkBytes: Int) -> (TestNetwork, Snapshot) {
        var options = RaftOptions()
        options.maxSnapshotChunkBytes = chunkBytes
        var network = TestNetwork(voters: [1, 2, 3], options: options)
        network.elect(1)
        network.isolate(3)
        for number in 0..<30 { _ = try? network.propose("entry \(number)", on: 1) }
        network.settle()
        network.tickAll(times: 2)
        let applied = network.cores[1]!.appliedIndex
        let data = (0..<95).map { UInt8($0) }
        let snapshot = network.cores[1]!.compact(through: applied, snapshotData: data)
        network.storages[1]!.compact(with: snapshot)
        return (network, snapshot)
    }

    @Test("a lagging follower receives the snapshot in bounded chunks, restores it and catches up")
    func snapshotToLaggingFollower() {
        var (network, snapshot) = Self.laggingFollowerNetwork(chunkBytes: 10)
        network.heal()
        network.tickAll(times: 5)
        let chunks = network.messages(from: 1, to: 3).compactMap { message -> RaftMessage.SnapshotChunk? in
            if case .snapshotChunk(let chunk) = message.body { return chunk }
            return nil
        }
        #expect(chunks.count == 10)
        #expect(chunks.allSatisfy { $0.data.count <= 10 })
        #expect(network.storages[3]!.snapshot == snapshot)
        #expect(network.cores[3]!.firstIndex == snapshot.metadata.index + 1)
        #expect(network.cores[3]!.lastIndex == network.cores[1]!.lastIndex)
        #expect(network.cores[3]!.appliedIndex == network.cores[1]!.appliedIndex)
        #expect(network.checker.violations.isEmpty)
    }

    @Test("a snapshot stream resumes after a lost chunk")
    func snapshotResumesAfterLoss() {
        var (network, snapshot) = Self.laggingFollowerNetwork(chunkBytes: 10)
        var droppedOnce = false
        network.dropFilter = { message in
            if case .snapshotChunk(let chunk) = message.body, chunk.offset == 40, !droppedOnce {
                droppedOnce = true
                return true
            }
            return false
        }
        network.heal()
        network.tickAll(times: 10)
        #expect(droppedOnce)
        #expect(network.storages[3]!.snapshot == snapshot)
        #expect(network.cores[3]!.lastIndex == network.cores[1]!.lastIndex)
    }

    @Test("a follower that already holds what a snapshot covers ends the stream at the first chunk it sees")
    func coveredSnapshotEndsStream() {
        var follower = RaftCore(id: 2, storage: TestSupport.storage(voters: [1, 2], terms: [1, 1, 1], hardState: HardState(term: 1, commitIndex: 3)),
                                random: SplitMix64(seed: 1))
        let metadata = Snapshot.Metadata(index: 2, term: 1, configuration: .init(voters: [1, 2]))
        let chunk = RaftMessage.SnapshotChunk(metadata: metadata, offset: 40, totalBytes: 95, data: Array(repeating: 1, count: 10))
        follower.step(RaftMessage(from: 1, to: 2, term: 1, body: .snapshotChunk(chunk)))
        let ready = follower.ready()
        #expect(ready.snapshotToPersist == nil)
        #expect(ready.messagesAfterPersistence.map(\.body) == [.snapshotResponse(snapshotIndex: 2, nextOffset: 95, done: true)])
        #expect(follower.lastIndex == 3)
    }

    @Test("a follower refuses a snapshot larger than its bound instead of buffering it")
    func oversizedSnapshotRefused() {
        var options = RaftOptions()
        options.maxSnapshotBytes = 50
        var follower = RaftCore(id: 2, options: options, storage: MemoryLogStorage(configuration: .init(voters: [1, 2])),
                                random: SplitMix64(seed: 1))
        let metadata = Snapshot.Metadata(index: 10, term: 1, configuration: .init(voters: [1, 2]))
        let chunk = RaftMessage.SnapshotChunk(metadata: metadata, offset: 0, totalBytes: 95, data: Array(repeating: 1, count: 10))
        follower.step(RaftMessage(from: 1, to: 2, term: 1, body: .snapshotChunk(chunk)))
        #expect(follower.incomingSnapshot == nil)
        #expect(follower.lastIndex == 0)
    }

    @Test("a Ready hands out committed entries in bounded batches")
    func committedEntriesAreBounded() {
        var options = RaftOptions()
        options.maxCommittedBytesPerReady = 10
        var storage = TestSupport.storage(voters: [1], terms: Array(repeating: 1, count: 30), hardState: HardState(term: 1, commitIndex: 30))
        storage.setHardState(HardState(term: 1, commitIndex: 30))
        var core = RaftCore(id: 1, options: options, storage: storage, random: SplitMix64(seed: 1))
        var applied: [UInt64] = []
        for _ in 0..<40 where core.hasReady {
            let ready = core.ready()
            #expect(ready.committedEntries.count <= 10)
            applied += ready.committedEntries.map(\.index)
            core.advance(ready)
        }
        #expect(applied == Array(1...30))
    }

    @Test("compaction drops the entries behind the snapshot and records the configuration")
    func compactionDropsEntries() {
        let (network, snapshot) = Self.laggingFollowerNetwork(chunkBytes: 1_000)
        let leader = network.cores[1]!
        let index = snapshot.metadata.index
        #expect(leader.firstIndex == index + 1)
        #expect(leader.entry(at: index) == nil)
        #expect(leader.term(at: index) == snapshot.metadata.term)
        #expect(snapshot.metadata.configuration == ClusterConfiguration(voters: [1, 2, 3]))
        #expect(network.storages[1]!.firstIndex == index + 1)
    }

    @Test("a restarted node resumes from its stored snapshot without re-applying what it covers")
    func restartFromSnapshot() {
        var (network, snapshot) = Self.laggingFollowerNetwork(chunkBytes: 1_000)
        let commit = network.cores[1]!.commitIndex
        network.crash(1)
        network.restart(1)
        #expect(network.cores[1]!.firstIndex == snapshot.metadata.index + 1)
        #expect(network.cores[1]!.appliedIndex == snapshot.metadata.index)
        #expect(network.cores[1]!.commitIndex == commit)
        #expect(network.checker.violations.isEmpty)
    }
}
