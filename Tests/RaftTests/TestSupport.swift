@testable import Raft

/// Builders shared by the tests.
enum TestSupport {
    /// Storage holding `terms[i]` as the term of entry i+1, with the given hard state.
    static func storage(voters: [NodeID], terms: [UInt64], hardState: HardState) -> MemoryLogStorage {
        var storage = MemoryLogStorage(configuration: ClusterConfiguration(voters: voters))
        storage.append(terms.enumerated().map { Entry(term: $0.element, index: UInt64($0.offset + 1), data: [UInt8($0.offset % 251)]) })
        storage.setHardState(hardState)
        return storage
    }

    /// A vote grant from `voter` for term `term`.
    static func voteGrant(from voter: NodeID, to candidate: NodeID, term: UInt64) -> RaftMessage {
        RaftMessage(from: voter, to: candidate, term: term, body: .voteResponse(isPreVote: false, granted: true))
    }

    /// Makes a core without PreVote campaign and win with grants from `voters`.
    static func makeLeader(_ core: inout RaftCore, grantsFrom voters: [NodeID]) {
        for _ in 0..<(2 * core.options.electionTimeoutTicks) where core.role != .candidate { core.tick() }
        for voter in voters { core.step(voteGrant(from: voter, to: core.id, term: core.term)) }
    }

    static func noPreVote() -> RaftOptions {
        var options = RaftOptions()
        options.preVote = false
        return options
    }

    static func appendSuccess(from follower: NodeID, to leader: NodeID, term: UInt64, index: UInt64) -> RaftMessage {
        RaftMessage(from: follower, to: leader, term: term, body: .appendResponse(.init(success: true, index: index)))
    }

    static func appendEntries(_ message: RaftMessage) -> [Entry]? {
        if case .append(let request) = message.body { return request.entries }
        return nil
    }
}
