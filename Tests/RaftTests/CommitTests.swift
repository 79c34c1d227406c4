import Testing
@testable import Raft

@Suite("Commit")
struct CommitTests {
    @Test("Figure 8: an entry of an earlier term is not committed by counting replicas")
    func figureEight() {
        let voters: [NodeID] = [1, 2, 3, 4, 5]
        var leader = RaftCore(id: 1, options: TestSupport.noPreVote(),
                              storage: TestSupport.storage(voters: voters, terms: [1, 2], hardState: HardState(term: 3, commitIndex: 1)),
                              random: SplitMix64(seed: 3))
        TestSupport.makeLeader(&leader, grantsFrom: [2, 3])
        #expect(leader.role == .leader && leader.term == 4)
        leader.advance(leader.ready())
        for follower in [2, 3] as [NodeID] {
            leader.step(TestSupport.appendSuccess(from: follower, to: 1, term: 4, index: 2))
        }
        #expect(leader.commitIndex == 1, "index 2 (term 2) sits on a majority but must not commit by counting")
        for follower in [2, 3] as [NodeID] {
            leader.step(TestSupport.appendSuccess(from: follower, to: 1, term: 4, index: 3))
        }
        #expect(leader.commitIndex == 3, "the leader's own no-op commits, and index 2 with it")
    }

    @Test("nothing commits before the leader has persisted it (etcd#14370 class)")
    func noCommitBeforePersist() {
        var core = RaftCore(id: 1, storage: MemoryLogStorage(configuration: .init(voters: [1])), random: SplitMix64(seed: 1))
        for _ in 0..<20 where core.role != .leader { core.tick() }
        #expect(core.role == .leader)
        var storage = MemoryLogStorage(configuration: .init(voters: [1]))
        var ready = core.ready()
        #expect(ready.entriesToPersist.count == 1)
        #expect(ready.committedEntries.isEmpty)
        #expect(core.commitIndex == 0)
        storage.persist(ready)
        core.advance(ready)
        #expect(core.commitIndex == 1)
        let index = try? core.propose([42])
        #expect(core.commitIndex == 1)
        ready = core.ready()
        #expect(ready.entriesToPersist.map(\.index) == [2])
        #expect(!ready.committedEntries.contains { $0.index == index })
        core.advance(ready)
        #expect(core.commitIndex == 2)
    }

    @Test("a leader counts itself toward a commit quorum only for entries it has persisted")
    func leaderCountsOnlyPersistedEntries() throws {
        var leader = RaftCore(id: 1, options: TestSupport.noPreVote(),
                              storage: MemoryLogStorage(configuration: .init(voters: [1, 2, 3])), random: SplitMix64(seed: 2))
        TestSupport.makeLeader(&leader, grantsFrom: [2])
        leader.advance(leader.ready())
        leader.step(TestSupport.appendSuccess(from: 2, to: 1, term: leader.term, index: 1))
        #expect(leader.commitIndex == 1)
        let index = try leader.propose([5])
        let ready = leader.ready()
        #expect(ready.entriesToPersist.map(\.index) == [index])
        leader.step(TestSupport.appendSuccess(from: 2, to: 1, term: leader.term, index: index))
        #expect(leader.commitIndex == 1, "one durable copy of two is no quorum while the leader's copy is not yet durable")
        leader.advance(ready)
        #expect(leader.commitIndex == index)
    }

    @Test("a follower acknowledges appended entries only after they are persisted")
    func followerAcksAfterPersist() {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        network.settle()
        var follower = network.cores[2]!
        let append = RaftMessage(from: 1, to: 2, term: follower.term, body: .append(.init(
            previousIndex: follower.lastIndex, previousTerm: follower.term(at: follower.lastIndex)!,
            entries: [Entry(term: follower.term, index: follower.lastIndex + 1, data: [9])], commitIndex: follower.commitIndex)))
        follower.step(append)
        let ready = follower.ready()
        #expect(ready.entriesToPersist.count == 1)
        #expect(!ready.messages.contains { if case .appendResponse = $0.body { return true } else { return false } })
        #expect(ready.messagesAfterPersistence.contains { if case .appendResponse(let response) = $0.body { return response.success } else { return false } })
    }

    @Test("the commit index never regresses, also across restart")
    func commitNeverRegresses() {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        for number in 0..<10 { _ = try? network.propose("v\(number)", on: 1) }
        network.settle()
        network.tickAll(times: 2)
        let commit = network.cores[2]!.commitIndex
        #expect(commit >= 11)
        network.crash(2)
        network.restart(2)
        #expect(network.cores[2]!.commitIndex == commit)
        let stale = RaftMessage(from: 1, to: 2, term: network.cores[1]!.term, body: .heartbeat(commitIndex: 2, readRound: 0))
        network.deliver(stale)
        #expect(network.cores[2]!.commitIndex == commit)
        network.crash(1)
        network.restart(1)
        #expect(network.cores[1]!.commitIndex >= commit)
        network.tickAll(times: 40)
        #expect(network.leaders.count == 1)
        #expect(network.nodes.allSatisfy { network.cores[$0]!.commitIndex >= commit })
        #expect(network.checker.violations.isEmpty)
    }
}
