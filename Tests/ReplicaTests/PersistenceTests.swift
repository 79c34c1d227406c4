import Governance
import Raft
import Testing
@testable import Replica

@Suite("Persistence ordering")
struct PersistenceTests {
    @Test("append acknowledgements and granted votes leave only after a save that made them durable")
    func acknowledgementsFollowSaves() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        for requestID in 1...5 {
            cluster[leader].submitWrite(requestID: RequestID(requestID), command: Fixture.user("u\(requestID)"),
                                        actor: Fixture.operatorActor, idempotencyKey: nil)
        }
        for _ in 0..<20 { try cluster.step() }
        var durableIndex: [NodeID: UInt64] = [:]
        var durableVote: [NodeID: (term: UInt64, vote: NodeID?)] = [:]
        var checkedAcknowledgements = 0
        for entry in cluster.journal.entries {
            switch entry {
            case .saved(let node, let batch):
                if let last = batch.entries.last { durableIndex[node] = last.index }
                if let hardState = batch.hardState { durableVote[node] = (hardState.term, hardState.votedFor) }
            case .sent(let message):
                guard case .raft(let raftMessage) = message.body else { continue }
                switch raftMessage.body {
                case .appendResponse(let response) where response.success:
                    checkedAcknowledgements += 1
                    #expect((durableIndex[message.from] ?? 0) >= response.index)
                case .voteResponse(false, true):
                    #expect(durableVote[message.from]?.term == raftMessage.term)
                    #expect(durableVote[message.from]?.vote == message.to)
                default:
                    continue
                }
            }
        }
        #expect(checkedAcknowledgements > 0)
    }

    @Test("when the store fails, nothing that promises durability is sent and the replica refuses to go on")
    func failingStoreSendsNoAcknowledgement() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        let follower = cluster.followers()[0]
        cluster.stores[follower]!.failSaves = true
        cluster[leader].submitWrite(requestID: 1, command: Fixture.user("anne"), actor: Fixture.operatorActor, idempotencyKey: nil)
        _ = try cluster[leader].process()
        let appends = cluster.network.inFlight.filter { $0.to == follower }
        cluster.network.inFlight.removeAll()
        #expect(!appends.isEmpty)
        let before = cluster.journal.entries.count
        for message in appends { cluster[follower].receive(message) }
        #expect(throws: DiskFailure.self) { try cluster[follower].process() }
        let acknowledgements = cluster.journal.entries[before...].filter {
            if case .sent(let message) = $0, message.from == follower, case .raft(let raftMessage) = message.body,
               case .appendResponse = raftMessage.body { return true }
            return false
        }
        #expect(acknowledgements.isEmpty)
        #expect(throws: ReplicaError.storeFailedBefore) { try cluster[follower].process() }
    }

    @Test("one loop iteration makes its work durable in a single save")
    func groupCommit() throws {
        let cluster = try TestCluster()
        let leader = try cluster.electLeader()
        let savesBefore = cluster.stores[leader]!.saves.count
        for requestID in 1...10 {
            cluster[leader].submitWrite(requestID: RequestID(requestID), command: Fixture.user("u\(requestID)"),
                                        actor: Fixture.operatorActor, idempotencyKey: nil)
        }
        _ = try cluster[leader].process()
        let saves = cluster.stores[leader]!.saves[savesBefore...]
        #expect(saves.count == 1)
        #expect(saves.first?.entries.count == 10)
    }
}
