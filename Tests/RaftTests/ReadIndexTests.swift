import Testing
@testable import Raft

@Suite("ReadIndex")
struct ReadIndexTests {
    @Test("ReadIndex waits until the leader has committed an entry of its own term")
    func readWaitsForFirstCommitOfTerm() throws {
        var leader = RaftCore(id: 1, options: TestSupport.noPreVote(),
                              storage: TestSupport.storage(voters: [1, 2, 3], terms: [1, 1], hardState: HardState(term: 1, commitIndex: 1)),
                              random: SplitMix64(seed: 5))
        TestSupport.makeLeader(&leader, grantsFrom: [2])
        leader.advance(leader.ready())
        try leader.readIndex(7)
        leader.step(RaftMessage(from: 2, to: 1, term: leader.term, body: .heartbeatResponse(readRound: 1)))
        leader.step(RaftMessage(from: 2, to: 1, term: leader.term, body: .heartbeatResponse(readRound: 2)))
        var ready = leader.ready()
        #expect(ready.readStates.isEmpty, "no read may be answered before the leader commits in its term")
        leader.advance(ready)
        leader.step(TestSupport.appendSuccess(from: 2, to: 1, term: leader.term, index: 3))
        #expect(leader.commitIndex == 3)
        let round = leader.reads.round
        leader.step(RaftMessage(from: 2, to: 1, term: leader.term, body: .heartbeatResponse(readRound: round)))
        ready = leader.ready()
        #expect(ready.readStates == [ReadState(requestID: 7, index: 3)])
    }

    @Test("a deposed leader never answers a ReadIndex; the read is reported dropped")
    func deposedLeaderNeverAnswers() throws {
        var options = RaftOptions()
        options.checkQuorum = false
        var network = TestNetwork(voters: [1, 2, 3], options: options)
        network.elect(1)
        network.isolate(1)
        try network.cores[1]!.readIndex(99)
        network.processReadies()
        network.elect(2)
        _ = try? network.propose("after", on: 2)
        network.tickAll(times: 5)
        #expect(network.readStates[1, default: []].isEmpty)
        network.heal()
        network.tickAll(times: 10)
        #expect(network.cores[1]!.role == .follower)
        #expect(network.readStates[1, default: []].isEmpty)
        #expect(network.droppedReads[1, default: []] == [99])
    }

    @Test("one quorum round serves every read queued behind it")
    func readsAreBatched() throws {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        network.settle()
        let before = network.sent.count
        for requestID in 1...10 as ClosedRange<UInt64> { try network.cores[1]!.readIndex(requestID) }
        network.processReadies()
        network.settle()
        let served = network.readStates[1, default: []]
        #expect(served.map(\.requestID).sorted() == Array(1...10))
        #expect(served.allSatisfy { $0.index == network.cores[1]!.commitIndex })
        let rounds = Set(network.sent[before...].compactMap { message -> UInt64? in
            if case .heartbeat(_, let round) = message.body { return round }
            return nil
        })
        #expect(rounds.count <= 2, "reads queued behind one round share the next: rounds \(rounds)")
        let heartbeats = network.sent[before...].filter { if case .heartbeat = $0.body { return true } else { return false } }
        #expect(heartbeats.count <= 4)
    }

    @Test("a follower forwards ReadIndex to the leader and learns an index covering earlier writes")
    func followerForwardsRead() throws {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        let written = try network.propose("write", on: 1)
        network.settle()
        try network.cores[3]!.readIndex(41)
        network.processReadies()
        network.settle()
        let states = network.readStates[3, default: []]
        #expect(states.count == 1)
        #expect(states.first?.requestID == 41)
        #expect((states.first?.index ?? 0) >= written)
        #expect(network.messages(from: 3, to: 1) { $0.body == .readIndexRequest(requestID: 41) }.count == 1)
    }

    @Test("a server that knows no leader refuses a read with notLeader")
    func readWithoutLeader() {
        var core = RaftCore(id: 1, storage: MemoryLogStorage(configuration: .init(voters: [1, 2, 3])), random: SplitMix64(seed: 1))
        #expect(throws: RaftError.notLeader(hint: nil)) { try core.readIndex(1) }
    }
}
