import Testing
@testable import Raft

@Suite("Elections")
struct ElectionTests {
    @Test("election timeouts are drawn from [T, 2T) by the injected generator")
    func electionTimeoutRange() {
        var options = RaftOptions()
        options.electionTimeoutTicks = 10
        var seen: Set<Int> = []
        for seed in 0..<200 as Range<UInt64> {
            var core = RaftCore(id: 1, options: options, storage: MemoryLogStorage(configuration: .init(voters: [1, 2, 3])),
                                random: SplitMix64(seed: seed))
            for _ in 0..<5 {
                #expect(core.randomizedElectionTimeout >= 10 && core.randomizedElectionTimeout < 20)
                seen.insert(core.randomizedElectionTimeout)
                core.resetElectionTimer()
            }
        }
        #expect(seen.count == 10)
        let first = RaftCore(id: 1, storage: MemoryLogStorage(configuration: .init(voters: [1])), random: SplitMix64(seed: 7))
        let second = RaftCore(id: 1, storage: MemoryLogStorage(configuration: .init(voters: [1])), random: SplitMix64(seed: 7))
        #expect(first.randomizedElectionTimeout == second.randomizedElectionTimeout)
    }

    @Test("a three-node group elects exactly one leader, which appends a no-op of its term")
    func electsLeaderWithNoOp() {
        var network = TestNetwork(voters: [1, 2, 3])
        let elected = network.elect(1)
        #expect(elected)
        network.tickAll(times: 3)
        #expect(network.leaders == [1])
        let leader = network.cores[1]!
        let noOp = leader.entry(at: leader.lastIndex)
        #expect(noOp?.kind == .noOp)
        #expect(noOp?.term == leader.term)
        #expect(leader.commitIndex == noOp?.index)
        for node in [2, 3] as [NodeID] { #expect(network.cores[node]!.leaderID == 1) }
        #expect(network.checker.violations.isEmpty)
    }

    @Test("a follower never grants two votes in one term")
    func oneVotePerTerm() {
        var core = RaftCore(id: 1, storage: MemoryLogStorage(configuration: .init(voters: [1, 2, 3])), random: SplitMix64(seed: 1))
        let request = RaftMessage.VoteRequest(isPreVote: false, lastLogIndex: 0, lastLogTerm: 0, isLeadershipTransfer: false)
        core.step(RaftMessage(from: 2, to: 1, term: 5, body: .voteRequest(request)))
        core.step(RaftMessage(from: 3, to: 1, term: 5, body: .voteRequest(request)))
        let ready = core.ready()
        let responses = (ready.messages + ready.messagesAfterPersistence).compactMap { message -> (NodeID, Bool)? in
            if case .voteResponse(false, let granted) = message.body { return (message.to, granted) }
            return nil
        }
        #expect(responses.count == 2)
        #expect(responses.filter { $0.1 }.map { $0.0 } == [2])
        #expect(core.votedFor == 2)
    }

    @Test("a vote leaves only after the hard state recording it is persisted")
    func votePersistedBeforeSent() {
        var core = RaftCore(id: 1, storage: MemoryLogStorage(configuration: .init(voters: [1, 2, 3])), random: SplitMix64(seed: 1))
        let request = RaftMessage.VoteRequest(isPreVote: false, lastLogIndex: 0, lastLogTerm: 0, isLeadershipTransfer: false)
        core.step(RaftMessage(from: 2, to: 1, term: 3, body: .voteRequest(request)))
        let ready = core.ready()
        #expect(ready.hardState == HardState(term: 3, votedFor: 2, commitIndex: 0))
        #expect(ready.messages.isEmpty)
        #expect(ready.messagesAfterPersistence.map(\.body) == [.voteResponse(isPreVote: false, granted: true)])
        var storage = MemoryLogStorage(configuration: .init(voters: [1, 2, 3]))
        storage.persist(ready)
        core.advance(ready)
        let restarted = RaftCore(id: 1, storage: storage, random: SplitMix64(seed: 2))
        #expect(restarted.votedFor == 2 && restarted.term == 3)
    }

    @Test("a candidate's vote requests leave only after its self-vote is persisted")
    func candidateRequestsAfterPersistence() {
        var options = RaftOptions()
        options.preVote = false
        var core = RaftCore(id: 1, options: options, storage: MemoryLogStorage(configuration: .init(voters: [1, 2, 3])),
                            random: SplitMix64(seed: 1))
        for _ in 0..<20 { core.tick() }
        let ready = core.ready()
        #expect(ready.hardState?.votedFor == 1)
        #expect(ready.messagesAfterPersistence.count == 2)
        #expect(ready.messages.isEmpty)
    }

    @Test("PreVote keeps a rejoining partitioned node from deposing a healthy leader")
    func preVoteProtectsLeader() {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        let term = network.cores[1]!.term
        network.isolate(3)
        for _ in 0..<100 { network.tick(3); network.tick(1); network.tick(2); network.settle() }
        #expect(network.cores[3]!.term == term)
        network.heal()
        network.tickAll(times: 30)
        #expect(network.leaders == [1])
        #expect(network.cores[1]!.term == term)
        #expect(network.cores[3]!.leaderID == 1)
    }

    @Test("without PreVote the same schedule does depose the leader (control for the PreVote test)")
    func withoutPreVoteTheLeaderIsDeposed() {
        var options = RaftOptions()
        options.preVote = false
        options.checkQuorum = false
        var network = TestNetwork(voters: [1, 2, 3], options: options)
        network.elect(1)
        let term = network.cores[1]!.term
        network.isolate(3)
        for _ in 0..<100 { network.tick(3); network.settle() }
        #expect(network.cores[3]!.term > term)
        network.heal()
        network.tick(3)
        network.settle()
        network.tickAll(times: 30)
        #expect(network.cores[1]!.term > term)
    }

    @Test("CheckQuorum makes a leader cut off in a minority step down")
    func checkQuorumStepDown() {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        network.isolate(1)
        for _ in 0..<(2 * network.options.electionTimeoutTicks) { network.tick(1) }
        #expect(network.cores[1]!.role == .follower)
        #expect(network.cores[1]!.leaderID == nil)
    }

    @Test("with CheckQuorum, a node stuck at a higher term is freed and the group is not left leaderless")
    func stuckHigherTermNodeIsFreed() {
        var options = RaftOptions()
        options.preVote = false
        var network = TestNetwork(voters: [1, 2, 3], options: options)
        network.elect(1)
        network.isolate(3)
        for _ in 0..<60 { network.tick(3); network.tickAll() }
        #expect(network.cores[3]!.term > network.cores[1]!.term)
        network.heal()
        network.tickAll(times: 80)
        #expect(network.leaders.count == 1)
        let leader = network.leaders[0]
        #expect(network.nodes.allSatisfy { network.cores[$0]!.term == network.cores[leader]!.term })
        #expect(network.checker.violations.isEmpty)
    }

    @Test("PreVote with CheckQuorum: a pre-candidate gives up its leader lease, so racing pre-votes still elect a leader (etcd#9586)")
    func racingPreCandidatesElectLeader() {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        network.tickAll(times: 2)
        network.isolate(1)
        network.cores[2]!.campaign()
        network.settle()
        #expect(network.cores[2]!.role == .preCandidate, "node 3 still holds node 1's lease and ignores the pre-vote")
        network.cores[3]!.campaign()
        network.settle()
        #expect(network.leaders == [1, 3], "node 2, a pre-candidate, no longer holds a lease and grants at once")
        #expect(network.checker.violations.isEmpty)
    }

    @Test("PreVote with CheckQuorum: after any partition heals, one leader emerges (etcd#9586 class, randomized)")
    func preVoteCheckQuorumLiveness() {
        for seed in 1...40 as ClosedRange<UInt64> {
            var network = TestNetwork(voters: [1, 2, 3, 4, 5], seed: seed)
            var random = SplitMix64(seed: seed)
            for _ in 0..<6 {
                let cut = Int(random.next() % 4) + 1
                let shuffled = network.nodes.shuffled(using: &random)
                network.partition([Array(shuffled[..<cut]), Array(shuffled[cut...])])
                network.tickAll(times: Int(random.next() % 40))
                if let leader = network.leaders.first { _ = try? network.propose("x", on: leader) }
            }
            network.heal()
            network.tickAll(times: 100)
            let leaders = network.leaders
            #expect(leaders.count == 1, "seed \(seed) left \(leaders.count) leaders")
            if let leader = leaders.first {
                #expect(network.nodes.allSatisfy { network.cores[$0]!.leaderID == leader }, "seed \(seed)")
            }
            #expect(network.checker.violations.isEmpty, "seed \(seed): \(network.checker.violations)")
        }
    }
}
