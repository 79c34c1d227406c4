import Testing
@testable import Raft

@Suite("Replication")
struct ReplicationTests {
    @Test("a follower with a long divergent log is repaired in a few round trips (term hints)")
    func fastBacktracking() {
        let voters: [NodeID] = [1, 2, 3]
        let leaderTerms = Array(repeating: UInt64(1), count: 10) + Array(repeating: 5, count: 990)
        let divergentTerms = Array(repeating: UInt64(1), count: 10) + (0..<1_500).map { UInt64(2 + $0 / 500) }
        var network = TestNetwork(voters: voters, options: TestSupport.noPreVote())
        network.addNode(1, storage: TestSupport.storage(voters: voters, terms: leaderTerms, hardState: HardState(term: 5, commitIndex: 10)))
        network.addNode(2, storage: TestSupport.storage(voters: voters, terms: divergentTerms, hardState: HardState(term: 4, commitIndex: 10)))
        network.addNode(3, storage: TestSupport.storage(voters: voters, terms: leaderTerms, hardState: HardState(term: 5, commitIndex: 10)))
        network.elect(1)
        network.tickAll(times: 2)
        let rejections = network.messages(from: 2, to: 1) { message in
            if case .appendResponse(let response) = message.body { return !response.success }
            return false
        }
        #expect(rejections.count >= 1 && rejections.count <= 3)
        #expect(network.cores[2]!.lastIndex == network.cores[1]!.lastIndex)
        #expect(network.cores[2]!.term(at: 500) == 5)
        #expect(network.checker.violations.isEmpty)
    }

    @Test("a new leader probes each follower with one append until it answers, then pipelines")
    func probeThenReplicate() {
        var network = TestNetwork(voters: [1, 2, 3])
        network.isolate(2)
        network.elect(1)
        for number in 0..<5 { _ = try? network.propose("p\(number)", on: 1) }
        let appendsTo2 = network.messages(from: 1, to: 2) { TestSupport.appendEntries($0) != nil }
        #expect(appendsTo2.count == 1)
        #expect(network.cores[1]!.progress[2]!.state == .probe)
        #expect(network.cores[1]!.progress[3]!.state == .replicate)
        network.heal()
        network.tickAll(times: 3)
        #expect(network.cores[1]!.progress[2]!.state == .replicate)
        #expect(network.cores[2]!.lastIndex == network.cores[1]!.lastIndex)
        #expect(network.cores[1]!.matchIndex(of: 2) == network.cores[1]!.lastIndex)
        #expect(network.cores[2]!.matchIndex(of: 1) == nil)
    }

    @Test("pipelining stops at the bound on in-flight appends per follower")
    func inflightBound() {
        var options = RaftOptions()
        options.maxInflightAppends = 4
        var network = TestNetwork(voters: [1, 2, 3], options: options)
        network.elect(1)
        network.tickAll(times: 2)
        let before = network.sent.count
        for number in 0..<20 { _ = try? network.propose("entry \(number)", on: 1) }
        let newAppends = network.sent[before...].filter { $0.to == 2 && TestSupport.appendEntries($0).map { !$0.isEmpty } == true }
        #expect(newAppends.count == 4)
        network.settle()
        network.tickAll(times: 2)
        #expect(network.cores[2]!.lastIndex == network.cores[1]!.lastIndex)
        #expect(network.cores[1]!.commitIndex == network.cores[1]!.lastIndex)
    }

    @Test("appends are batched by entry count and by payload bytes")
    func batching() {
        var options = RaftOptions()
        options.maxInflightAppends = 1
        options.maxEntriesPerAppend = 8
        options.maxBytesPerAppend = 100
        var network = TestNetwork(voters: [1, 2, 3], options: options)
        network.elect(1)
        network.tickAll(times: 2)
        let before = network.sent.count
        let payload = String(repeating: "a", count: 10)
        for _ in 0..<100 { _ = try? network.propose(payload, on: 1) }
        network.settle()
        let batches = network.sent[before...].compactMap { $0.to == 2 ? TestSupport.appendEntries($0) : nil }.filter { !$0.isEmpty }
        #expect(batches.allSatisfy { $0.count <= 8 })
        #expect(batches.contains { $0.count == 8 })
        #expect(batches.count < 30)
        let wide = String(repeating: "b", count: 30)
        let wideStart = network.sent.count
        for _ in 0..<20 { _ = try? network.propose(wide, on: 1) }
        network.settle()
        let wideBatches = network.sent[wideStart...].compactMap { $0.to == 2 ? TestSupport.appendEntries($0) : nil }.filter { !$0.isEmpty }
        #expect(wideBatches.allSatisfy { $0.reduce(0) { $0 + $1.data.count } <= 100 })
        #expect(wideBatches.contains { $0.count == 3 })
        #expect(network.cores[2]!.lastIndex == network.cores[1]!.lastIndex)
    }

    @Test("heartbeats carry the commit index, capped at what the follower holds")
    func heartbeatsCarryCommit() {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        network.isolate(3)
        network.blockedLinks.remove(.init(from: 1, to: 3))
        network.dropFilter = { $0.to == 3 && TestSupport.appendEntries($0) != nil }
        for number in 0..<3 { _ = try? network.propose("c\(number)", on: 1) }
        network.settle()
        let before = network.sent.count
        network.tick(1)
        let commit = network.cores[1]!.commitIndex
        let heartbeats = network.sent[before...].compactMap { message -> (NodeID, UInt64)? in
            if case .heartbeat(let commitIndex, _) = message.body { return (message.to, commitIndex) }
            return nil
        }
        #expect(heartbeats.contains { $0 == (2, commit) })
        let toThree = heartbeats.filter { $0.0 == 3 }.map(\.1)
        #expect(toThree == [network.cores[1]!.progress[3]!.match])
        #expect(network.cores[2]!.commitIndex == commit)
        #expect(network.cores[3]!.commitIndex <= network.cores[3]!.lastIndex)
    }

    @Test("a follower refuses proposals with notLeader naming the leader")
    func followerRefusesProposals() {
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        #expect(throws: RaftError.notLeader(hint: 1)) { try network.cores[2]!.propose([1]) }
    }

    @Test("proposals beyond the uncommitted byte bound are refused with tooManyUncommitted")
    func uncommittedBound() {
        var options = RaftOptions()
        options.maxUncommittedBytes = 1_000
        var network = TestNetwork(voters: [1, 2, 3], options: options)
        network.elect(1)
        network.isolate(1)
        var accepted = 0
        var refusal: RaftError?
        for _ in 0..<20 {
            do {
                try network.cores[1]!.propose(Array(repeating: 7, count: 100))
                accepted += 1
            } catch {
                refusal = error
                break
            }
        }
        #expect(accepted == 10)
        #expect(refusal == .tooManyUncommitted)
        network.heal()
        network.tickAll(times: 3)
        #expect(network.cores[1]!.uncommittedBytes == 0)
        #expect(throws: Never.self) { try network.cores[1]!.propose(Array(repeating: 7, count: 100)) }
    }
}
