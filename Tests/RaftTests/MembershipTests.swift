import Testing
@testable import Raft

@Suite("Membership changes")
struct MembershipTests {
    /// A settled group of voters 1–3 with node 4 started empty, ready to join.
    static func groupWithJoiner() -> TestNetwork {
        var network = TestNetwork(voters: [1, 2, 3])
        network.addNode(4, storage: MemoryLogStorage(configuration: ClusterConfiguration(voters: [])))
        network.elect(1)
        network.tickAll(times: 2)
        return network
    }

    @Test("a learner catches up before it may be promoted, then counts in quorums")
    func learnerCatchUpAndPromotion() throws {
        var network = Self.groupWithJoiner()
        network.blockedLinks.insert(.init(from: 1, to: 4))
        try network.cores[1]!.proposeMembershipChange(.addLearner(4))
        network.tickAll(times: 3)
        #expect(network.cores[1]!.membership.learners == [4])
        #expect(throws: RaftError.learnerNotCaughtUp) { try network.cores[1]!.proposeMembershipChange(.promoteLearner(4)) }
        #expect(network.cores[4]!.isPromotable == false)
        network.heal()
        network.tickAll(times: 3)
        #expect(network.cores[4]!.lastIndex == network.cores[1]!.lastIndex)
        try network.cores[1]!.proposeMembershipChange(.promoteLearner(4))
        network.tickAll(times: 3)
        #expect(network.nodes.allSatisfy { network.cores[$0]!.membership.voters == [1, 2, 3, 4] })
        network.isolate(3)
        network.isolate(4)
        let commit = network.cores[1]!.commitIndex
        _ = try? network.propose("needs three of four", on: 1)
        network.tickAll(times: 3)
        #expect(network.cores[1]!.commitIndex == commit, "two of four voters are no quorum")
    }

    @Test("a learner never campaigns and is not counted in quorums")
    func learnerNeverCampaigns() throws {
        var network = TestNetwork(voters: [1, 2, 3], learners: [4])
        network.elect(1)
        network.tickAll(times: 2)
        #expect(network.cores[4]!.lastIndex == network.cores[1]!.lastIndex)
        network.isolate(4)
        for _ in 0..<100 { network.tick(4) }
        #expect(network.cores[4]!.role == .follower)
        #expect(network.messages(from: 4) { if case .voteRequest = $0.body { return true } else { return false } }.isEmpty)
        network.heal()
        network.isolate(2)
        network.isolate(3)
        let commit = network.cores[1]!.commitIndex
        _ = try? network.propose("leader and learner are no quorum", on: 1)
        network.tickAll(times: 3)
        #expect(network.cores[1]!.commitIndex == commit)
    }

    @Test("only one membership change may be pending at a time")
    func onePendingChange() throws {
        var network = Self.groupWithJoiner()
        try network.cores[1]!.proposeMembershipChange(.addLearner(4))
        #expect(throws: RaftError.configurationChangePending) { try network.cores[1]!.proposeMembershipChange(.remove(3)) }
        network.tickAll(times: 3)
        #expect(throws: Never.self) { try network.cores[1]!.proposeMembershipChange(.remove(3)) }
    }

    @Test("a new leader changes membership only after committing an entry of its own term")
    func leaderMustCommitInTermFirst() {
        var leader = RaftCore(id: 1, options: TestSupport.noPreVote(),
                              storage: TestSupport.storage(voters: [1, 2, 3], terms: [1], hardState: HardState(term: 1, commitIndex: 1)),
                              random: SplitMix64(seed: 9))
        TestSupport.makeLeader(&leader, grantsFrom: [2])
        #expect(leader.role == .leader)
        #expect(throws: RaftError.leaderNotReady) { try leader.proposeMembershipChange(.remove(3)) }
        leader.advance(leader.ready())
        leader.step(TestSupport.appendSuccess(from: 2, to: 1, term: leader.term, index: 2))
        #expect(throws: Never.self) { try leader.proposeMembershipChange(.remove(3)) }
    }

    @Test("a leader that removes itself steps down once the removal commits (etcd#11038 class)")
    func removedLeaderStepsDown() throws {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        try network.cores[1]!.proposeMembershipChange(.remove(1))
        network.tickAll(times: 3)
        #expect(network.cores[1]!.role == .follower)
        #expect(network.cores[1]!.isPromotable == false)
        network.tickAll(times: 60)
        #expect(network.leaders.count == 1)
        #expect(network.leaders.first != 1)
        #expect(network.cores[2]!.membership.voters == [2, 3])
        #expect(network.checker.violations.isEmpty)
    }

    @Test("a node holding a committed configuration it has not applied campaigns on neither timeout nor TimeoutNow (etcd#12133 class)")
    func noCampaignWithUnappliedConfiguration() {
        var options = TestSupport.noPreVote()
        options.checkQuorum = false
        var follower = RaftCore(id: 2, options: options, storage: MemoryLogStorage(configuration: .init(voters: [1, 2, 3])),
                                random: SplitMix64(seed: 4))
        let configuration = ClusterConfiguration(voters: [1, 2, 3], learners: [4])
        let append = RaftMessage.AppendRequest(previousIndex: 0, previousTerm: 0,
                                               entries: [Entry(term: 1, index: 1, kind: .configuration, data: configuration.encoded())],
                                               commitIndex: 1)
        follower.step(RaftMessage(from: 1, to: 2, term: 1, body: .append(append)))
        #expect(follower.commitIndex == 1 && follower.appliedIndex == 0)
        for _ in 0..<50 { follower.tick() }
        follower.step(RaftMessage(from: 1, to: 2, term: 1, body: .timeoutNow))
        #expect(follower.role == .follower && follower.term == 1)
        follower.advance(follower.ready())
        for _ in 0..<50 { follower.tick() }
        #expect(follower.role == .candidate, "once applied, the node campaigns again")
    }

    @Test("membership changes that do not apply are refused")
    func invalidChanges() {
        let configuration = ClusterConfiguration(voters: [1])
        #expect(throws: RaftError.invalidChange) { try configuration.applying(.remove(1)) }
        #expect(throws: RaftError.invalidChange) { try configuration.applying(.addLearner(1)) }
        #expect(throws: RaftError.invalidChange) { try configuration.applying(.promoteLearner(2)) }
        #expect(ClusterConfiguration(decoding: configuration.encoded()) == configuration)
        #expect(ClusterConfiguration(decoding: [1, 2, 3]) == nil)
    }
}
