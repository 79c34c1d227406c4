import Raft
import Replica
import Testing
@testable import Simulator

/// A fabricated Raft view, to show each safety check fails on the state it forbids.
private struct FakeView: RaftView {
    var term: UInt64
    var role: Role
    var commitIndex: UInt64
    var entries: [Entry]
    var snapshotIndex: UInt64 = 0
    var lastIndex: UInt64 { entries.last?.index ?? 0 }
    func entry(at index: UInt64) -> Entry? { entries.first { $0.index == index } }
    func term(at index: UInt64) -> UInt64? { index == 0 ? 0 : entry(at: index)?.term }
}

private func log(_ terms: [UInt64]) -> [Entry] {
    terms.enumerated().map { Entry(term: $0.element, index: UInt64($0.offset + 1), data: [UInt8($0.offset)]) }
}

private func findings(_ body: (inout RaftSafetyChecker, RaftSafetyChecker.Report) -> Void) -> [String] {
    var found: [String] = []
    var checker = RaftSafetyChecker(nodeCount: 3)
    body(&checker) { checker, _ in found.append(checker) }
    return found
}

struct RaftSafetyCheckerTests {
    @Test("two leaders in one term break election safety")
    func twoLeadersInOneTerm() {
        let found = findings { checker, report in
            checker.check([FakeView(term: 2, role: .leader, commitIndex: 0, entries: []), nil, nil], report: report)
            checker.check([nil, FakeView(term: 2, role: .leader, commitIndex: 0, entries: []), nil], report: report)
        }
        #expect(found.contains("election safety"))
    }

    @Test("a commit index that goes back is caught")
    func commitRegression() {
        let found = findings { checker, report in
            checker.check([FakeView(term: 1, role: .follower, commitIndex: 3, entries: log([1, 1, 1])), nil, nil], report: report)
            checker.check([FakeView(term: 1, role: .follower, commitIndex: 2, entries: log([1, 1, 1])), nil, nil], report: report)
        }
        #expect(found == ["commit never regresses"])
    }

    @Test("two nodes committing different entries at one index break state machine safety")
    func divergentCommits() {
        let found = findings { checker, report in
            checker.check([FakeView(term: 2, role: .follower, commitIndex: 2, entries: log([1, 1])),
                           FakeView(term: 2, role: .follower, commitIndex: 2, entries: log([1, 2])), nil], report: report)
        }
        #expect(found.contains("state machine safety"))
    }

    @Test("a leader missing a committed entry breaks leader completeness")
    func leaderWithoutCommittedEntry() {
        let found = findings { checker, report in
            checker.check([FakeView(term: 1, role: .follower, commitIndex: 3, entries: log([1, 1, 1])), nil, nil], report: report)
            checker.check([nil, FakeView(term: 2, role: .leader, commitIndex: 1, entries: log([1, 2])), nil], report: report)
        }
        #expect(found.contains("leader completeness"))
    }

    @Test("same index and term with different bytes breaks log matching")
    func logMatching() {
        var other = log([1, 1])
        other[1].data = [99]
        let found = findings { checker, report in
            checker.check([FakeView(term: 1, role: .leader, commitIndex: 0, entries: log([1, 1])),
                           FakeView(term: 1, role: .follower, commitIndex: 0, entries: other), nil], report: report)
        }
        #expect(found.contains("log matching"))
    }
}

struct LeaderCommitRuleTests {
    @Test("a leader moving its commit index onto an entry of an earlier term breaks the Figure 8 rule")
    func leaderCommitsOldTermEntry() {
        let found = findings { checker, report in
            checker.check([FakeView(term: 3, role: .leader, commitIndex: 1, entries: log([1, 1, 1, 3])), nil, nil], report: report)
            checker.check([FakeView(term: 3, role: .leader, commitIndex: 2, entries: log([1, 1, 1, 3])), nil, nil], report: report)
        }
        #expect(found == ["leader commits only its own term"])
    }

    @Test("a leader committing its own entry, old ones with it, and the commit index it came in with, are fine")
    func leaderCommitsOwnTermEntry() {
        let found = findings { checker, report in
            // Brought in from its follower days: an old-term commit index is its starting point.
            checker.check([FakeView(term: 3, role: .leader, commitIndex: 2, entries: log([1, 1, 1, 3])), nil, nil], report: report)
            checker.check([FakeView(term: 3, role: .leader, commitIndex: 4, entries: log([1, 1, 1, 3])), nil, nil], report: report)
            checker.check([FakeView(term: 3, role: .leader, commitIndex: 5, entries: log([1, 1, 1, 3, 3])), nil, nil], report: report)
        }
        #expect(found.isEmpty)
    }

    @Test("after a restart the node's first leadership starts from its commit index again")
    func restartStartsAfresh() {
        let found = findings { checker, report in
            checker.check([FakeView(term: 2, role: .leader, commitIndex: 1, entries: log([1, 1, 2])), nil, nil], report: report)
            checker.nodeCrashed(0)
            let restarted = FakeView(term: 2, role: .follower, commitIndex: 2, entries: log([1, 1, 2]))
            checker.nodeStarted(0, view: restarted, durableCommit: 2, report: report)
            checker.check([restarted, nil, nil], report: report)
            checker.check([FakeView(term: 4, role: .leader, commitIndex: 2, entries: log([1, 1, 2, 4])), nil, nil], report: report)
        }
        #expect(found.isEmpty)
    }
}

/// Drives a `LeaderQuorumChecker` for node 0 of a cluster of `nodeCount`, hearing from the
/// peers listed for each tick, for `ticks` ticks; returns the checkers that fired.
private func quorumFindings(nodeCount: Int = 3, ticks: Int, stepsDownAt: Int? = nil,
                            heard: (Int) -> [Int] = { _ in [] }) -> [String] {
    var found: [String] = []
    var checker = LeaderQuorumChecker(nodeCount: nodeCount)
    let voters = Array(0..<nodeCount)
    checker.observe(node: 0, role: .leader, term: 5)
    for tick in 1...ticks {
        for peer in heard(tick) { checker.heard(node: 0, from: peer, term: 5) }
        let role: Role = tick >= (stepsDownAt ?? .max) ? .follower : .leader
        checker.ticked(node: 0, role: role, term: 5, voters: voters, quorum: nodeCount / 2 + 1,
                       electionTimeoutTicks: 10) { name, _ in found.append(name) }
    }
    return found
}

struct LeaderQuorumCheckerTests {
    @Test("a leader that hears from nobody and keeps leading is caught, once")
    func silentLeaderKeepsLeading() {
        #expect(quorumFindings(ticks: 100) == ["no leading without a quorum"])
    }

    @Test("a leader that stops hearing from its quorum steps down within two election timeouts, as CheckQuorum does")
    func silentLeaderStepsDown() {
        // Last heard just after the CheckQuorum look at tick 10 (before tick 11), silent after:
        // the look at 20 passes, the one at 30 fails; 19 ticks of silence while leading.
        #expect(quorumFindings(ticks: 40, stepsDownAt: 30) { $0 <= 11 ? [1] : [] }.isEmpty)
        #expect(quorumFindings(ticks: 40, stepsDownAt: 32) { $0 <= 11 ? [1] : [] } == ["no leading without a quorum"])
    }

    @Test("a leader heard from by a quorum leads on; hearing from a minority is not enough")
    func quorumContactCounts() {
        #expect(quorumFindings(ticks: 200) { $0 % 7 == 0 ? [2] : [] }.isEmpty)
        #expect(quorumFindings(nodeCount: 5, ticks: 200) { $0 % 3 == 0 ? [1, 4] : [] }.isEmpty)
        #expect(quorumFindings(nodeCount: 5, ticks: 200) { $0 % 3 == 0 ? [1] : [] } == ["no leading without a quorum"])
    }

    @Test("responses of another term are not contact, and a new term is a new leadership")
    func termsAreSeparate() {
        var found: [String] = []
        var checker = LeaderQuorumChecker(nodeCount: 3)
        for tick in 1...60 {
            checker.heard(node: 0, from: 1, term: tick <= 30 ? 4 : 6)
            checker.ticked(node: 0, role: .leader, term: tick <= 30 ? 5 : 6, voters: [0, 1, 2], quorum: 2,
                           electionTimeoutTicks: 10) { name, _ in found.append(name) }
        }
        #expect(found == ["no leading without a quorum"])
    }

    @Test("the messages that count as contact are the responses CheckQuorum counts")
    func contactMessages() {
        #expect(LeaderQuorumChecker.isQuorumContact(.heartbeatResponse(readRound: 1)))
        #expect(LeaderQuorumChecker.isQuorumContact(.appendResponse(.init(success: false, index: 3))))
        #expect(!LeaderQuorumChecker.isQuorumContact(.heartbeat(commitIndex: 1, readRound: 1)))
        #expect(!LeaderQuorumChecker.isQuorumContact(.voteResponse(isPreVote: false, granted: true)))
    }
}

struct KillSwitchCheckerTests {
    private typealias Input = WardenKillSwitchModel.Input

    private func history(_ build: (inout History<Input, WardenKillSwitchModel.Output>) -> Void) -> History<Input, WardenKillSwitchModel.Output> {
        var history = History<Input, WardenKillSwitchModel.Output>()
        build(&history)
        return history
    }

    @Test("a check that allows an agent after its acknowledged kill is caught by both checkers")
    func allowedAfterKill() {
        let bad = history { history in
            let register = history.invoke(client: 0, input: .register("a"), at: 0)
            history.complete(register, output: .done, at: 10)
            let kill = history.invoke(client: 0, input: .kill("a"), at: 20)
            history.complete(kill, output: .done, at: 30)
            let check = history.invoke(client: 1, input: .check("a"), at: 40)
            history.complete(check, output: .allowed(true), at: 50)
        }
        #expect(KillSwitchSafety.firstViolation(in: bad.operations) != nil)
        #expect(LinearizabilityChecker(model: WardenKillSwitchModel()).check(bad).isViolation)
    }

    @Test("an ambiguous reinstate overlapping the check excuses it")
    func ambiguousReinstateExcuses() {
        let fine = history { history in
            let register = history.invoke(client: 0, input: .register("a"), at: 0)
            history.complete(register, output: .done, at: 10)
            let kill = history.invoke(client: 0, input: .kill("a"), at: 20)
            history.complete(kill, output: .done, at: 30)
            let reinstate = history.invoke(client: 2, input: .reinstate("a"), at: 35)
            history.markAmbiguous(reinstate, at: 60)
            let check = history.invoke(client: 1, input: .check("a"), at: 40)
            history.complete(check, output: .allowed(true), at: 50)
        }
        #expect(KillSwitchSafety.firstViolation(in: fine.operations) == nil)
        #expect(LinearizabilityChecker(model: WardenKillSwitchModel()).check(fine).isLinearizable)
    }

    @Test("an ambiguous reinstate the client gave up on before the kill may still apply after it (seed 1834)")
    func ambiguousReinstateAppliesAfterGivingUp() {
        // Seed 1834: the reinstate was forwarded over a clogged link, its client gave up
        // (ambiguous) at 15, the kill was acknowledged at 30, then the held forward reached the
        // leader and the reinstate committed after the kill; the check at 40 rightly allowed.
        let fine = history { history in
            let register = history.invoke(client: 0, input: .register("a"), at: 0)
            history.complete(register, output: .done, at: 1)
            let reinstate = history.invoke(client: 2, input: .reinstate("a"), at: 5)
            history.markAmbiguous(reinstate, at: 15)
            let kill = history.invoke(client: 0, input: .kill("a"), at: 20)
            history.complete(kill, output: .done, at: 30)
            let check = history.invoke(client: 1, input: .check("a"), at: 40)
            history.complete(check, output: .allowed(true), at: 50)
        }
        #expect(KillSwitchSafety.firstViolation(in: fine.operations) == nil)
        #expect(LinearizabilityChecker(model: WardenKillSwitchModel()).check(fine).isLinearizable)
    }

    @Test("a reinstate that definitely took effect, or definitely did not, before the kill excuses nothing")
    func settledReinstateBeforeKillCaught() {
        for acknowledged in [true, false] {
            let bad = history { history in
                let register = history.invoke(client: 0, input: .register("a"), at: 0)
                history.complete(register, output: .done, at: 1)
                let reinstate = history.invoke(client: 2, input: .reinstate("a"), at: 5)
                if acknowledged { history.complete(reinstate, output: .done, at: 15) } else { history.fail(reinstate, at: 15) }
                let kill = history.invoke(client: 0, input: .kill("a"), at: 20)
                history.complete(kill, output: .done, at: 30)
                let check = history.invoke(client: 1, input: .check("a"), at: 40)
                history.complete(check, output: .allowed(true), at: 50)
            }
            #expect(KillSwitchSafety.firstViolation(in: bad.operations) != nil)
            #expect(LinearizabilityChecker(model: WardenKillSwitchModel()).check(bad).isViolation)
        }
    }

    @Test("an ambiguous reinstate invoked only after the check answered does not excuse it")
    func ambiguousReinstateAfterCheckCaught() {
        let bad = history { history in
            let register = history.invoke(client: 0, input: .register("a"), at: 0)
            history.complete(register, output: .done, at: 1)
            let kill = history.invoke(client: 0, input: .kill("a"), at: 20)
            history.complete(kill, output: .done, at: 30)
            let check = history.invoke(client: 1, input: .check("a"), at: 40)
            history.complete(check, output: .allowed(true), at: 50)
            let reinstate = history.invoke(client: 2, input: .reinstate("a"), at: 60)
            history.markAmbiguous(reinstate, at: 70)
        }
        #expect(KillSwitchSafety.firstViolation(in: bad.operations) != nil)
        #expect(LinearizabilityChecker(model: WardenKillSwitchModel()).check(bad).isViolation)
    }

    @Test("reinstating an active agent is rejected, as Governance does")
    func reinstateActiveRejected() {
        let model = WardenKillSwitchModel()
        #expect(model.step(["a": .active], input: .reinstate("a"), output: .rejected).accepted)
        #expect(!model.step(["a": .active], input: .reinstate("a"), output: .done).accepted)
    }
}

struct SimulatedDiskTests {
    private func batch(_ range: ClosedRange<UInt64>, term: UInt64 = 1) -> DurableBatch {
        DurableBatch(entries: range.map { Entry(term: term, index: $0, data: Array(repeating: UInt8($0), count: 8)) },
                     hardState: HardState(term: term, votedFor: 1, commitIndex: range.lowerBound - 1))
    }

    @Test("a save torn by a crash is dropped at load; everything saved before survives")
    func tornWriteDropped() throws {
        let disk = SimulatedDisk()
        try disk.save(batch(1...3))
        disk.armedCrash = .tornLastWrite
        #expect(throws: SimulatedDiskError.crashedDuringSave) { try disk.save(batch(4...6)) }
        let stored = try disk.load()
        #expect(stored.entries.map(\.index) == [1, 2, 3])
        #expect(disk.droppedTornBatches == 1)
    }

    @Test("a corrupted synced record fails its checksum and the disk refuses to load")
    func corruptionDetected() throws {
        let disk = SimulatedDisk()
        try disk.save(batch(1...5))
        #expect(disk.corruptSyncedRecord(selector: 0x1234_5678_9ABC) != nil)
        #expect(throws: SimulatedDiskError.self) { try disk.load() }
    }

    @Test("a misdirected write over a synced slot is caught by the slot-keyed checksum")
    func misdirectedDetected() throws {
        let disk = SimulatedDisk()
        try disk.save(batch(1...5))
        disk.armedCrash = .misdirectedLastWrite
        #expect(throws: SimulatedDiskError.crashedDuringSave) { try disk.save(batch(6...7)) }
        #expect(throws: SimulatedDiskError.self) { try disk.load() }
    }

    @Test("an acknowledgement sent before its entries are durable is reported")
    func earlyAcknowledgementCaught() {
        let disk = SimulatedDisk()
        let transport = SimulatedTransport(disk: disk)
        let response = RaftMessage(from: 2, to: 1, term: 1, body: .appendResponse(.init(success: true, index: 3)))
        transport.send([PeerMessage(raft: response)])
        #expect(transport.durabilityViolations.count == 1)
    }
}
