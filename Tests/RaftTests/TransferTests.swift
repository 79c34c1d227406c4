import Testing
@testable import Raft

@Suite("Leadership transfer")
struct TransferTests {
    @Test("leadership moves to an up-to-date follower through TimeoutNow, despite leader leases")
    func transferToUpToDateFollower() throws {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        network.tickAll(times: 2)
        let term = network.cores[1]!.term
        try network.cores[1]!.transferLeadership(to: 2)
        network.settle()
        #expect(network.leaders == [2])
        #expect(network.cores[2]!.term == term + 1)
        #expect(network.messages(from: 1, to: 2) { $0.body == .timeoutNow }.count == 1)
        network.tickAll(times: 5)
        #expect(network.nodes.allSatisfy { network.cores[$0]!.leaderID == 2 })
    }

    @Test("TimeoutNow is withheld while the target is behind, and proposals are refused meanwhile")
    func transferWaitsForLaggingTarget() throws {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        network.blockedLinks.insert(.init(from: 1, to: 3))
        for number in 0..<5 { _ = try? network.propose("w\(number)", on: 1) }
        network.settle()
        try network.cores[1]!.transferLeadership(to: 3)
        network.settle()
        #expect(network.messages(to: 3) { $0.body == .timeoutNow }.isEmpty)
        #expect(network.leaders == [1])
        #expect(throws: RaftError.transferInProgress) { try network.cores[1]!.propose([1]) }
        network.heal()
        network.tick(1)
        network.settle()
        #expect(network.messages(from: 1, to: 3) { $0.body == .timeoutNow }.count == 1)
        #expect(network.leaders == [3])
        #expect(network.checker.violations.isEmpty)
    }

    @Test("a transfer that cannot finish is abandoned after an election timeout")
    func transferTimesOut() throws {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        network.isolate(3)
        _ = try? network.propose("x", on: 1)
        try network.cores[1]!.transferLeadership(to: 3)
        #expect(network.cores[1]!.leadershipTransferTarget == 3)
        network.tickAll(times: network.options.electionTimeoutTicks)
        #expect(network.cores[1]!.leadershipTransferTarget == nil)
        #expect(network.leaders == [1])
        #expect(throws: Never.self) { try network.cores[1]!.propose([1]) }
    }

    @Test("transfers to oneself or to a non-voter are refused")
    func invalidTransfers() {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        #expect(throws: RaftError.invalidChange) { try network.cores[1]!.transferLeadership(to: 1) }
        #expect(throws: RaftError.invalidChange) { try network.cores[1]!.transferLeadership(to: 9) }
        #expect(throws: RaftError.notLeader(hint: 1)) { try network.cores[2]!.transferLeadership(to: 3) }
    }
}
