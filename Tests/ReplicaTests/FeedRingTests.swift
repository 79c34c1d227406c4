import Authorization
import Governance
import Testing
@testable import Replica

@Suite("Feed ring bounds")
struct FeedRingTests {
    /// One feed item writing `tuples` tuples at `revision`.
    static func tuples(_ tuples: Int, at revision: UInt64) -> FeedItem {
        let writes = (0..<tuples).map {
            RelationshipTuple(user: "agent:bench-loader-\(revision)-\($0)", relation: "approve", object: "invoice:bench-\(revision)-\($0)")
        }
        return FeedItem(revision: revision, event: .tuples(writes: writes, deletes: []))
    }

    static func revisions(_ read: FeedRead) -> [UInt64]? {
        guard case .events(let items) = read else { return nil }
        return items.map(\.revision)
    }

    @Test("the estimate grows with the event's strings and tuples")
    func estimateGrows() {
        let small = Self.tuples(1, at: 1).estimatedBytes
        let large = Self.tuples(100, at: 1).estimatedBytes
        #expect(small > MemoryLayout<FeedItem>.stride)
        #expect(large > 50 * small)
        let short = FeedItem(revision: 1, event: .agentDeleted(id: "a")).estimatedBytes
        let long = FeedItem(revision: 1, event: .agentDeleted(id: String(repeating: "a", count: 1_000))).estimatedBytes
        #expect(long >= short + 999)
    }

    @Test("the byte bound evicts the oldest events, raises the horizon and keeps the newest whole")
    func byteBound() {
        let itemBytes = Self.tuples(100, at: 1).estimatedBytes
        var ring = FeedRing(capacity: 1_000, byteCapacity: 3 * itemBytes + itemBytes / 2, horizon: 0)
        for revision in 1...10 { ring.append(Self.tuples(100, at: UInt64(revision))) }
        #expect(ring.count == 3)
        #expect(ring.byteCount <= ring.byteCapacity)
        #expect(ring.horizon == 7)
        #expect(ring.read(after: 6, limit: 10) == .resetNeeded(horizon: 7))
        #expect(Self.revisions(ring.read(after: 7, limit: 10)) == [8, 9, 10])
        #expect(Self.revisions(ring.read(after: 8, limit: 1)) == [9])
        #expect(Self.revisions(ring.read(after: 10, limit: 10)) == [])
    }

    @Test("an event larger than the whole byte bound is still kept, alone")
    func oversizedEvent() {
        var ring = FeedRing(capacity: 10, byteCapacity: 100, horizon: 0)
        ring.append(FeedItem(revision: 1, event: .agentDeleted(id: "a")))
        ring.append(Self.tuples(100, at: 2))
        #expect(ring.count == 1)
        #expect(ring.horizon == 1)
        #expect(Self.revisions(ring.read(after: 1, limit: 10)) == [2])
    }

    @Test("the count bound still holds, and the ring keeps order across wrapping and a reset")
    func countBoundAndWrap() {
        var ring = FeedRing(capacity: 5, horizon: 0)
        var appended: [UInt64] = []
        for revision in 1...23 {
            for _ in 0..<(revision % 3 == 0 ? 2 : 1) {
                ring.append(FeedItem(revision: UInt64(revision), event: .agentDeleted(id: "a-\(revision)")))
                appended.append(UInt64(revision))
            }
            #expect(ring.count == min(5, appended.count))
            let expected = Array(appended.suffix(5).drop { $0 <= ring.horizon })
            #expect(Self.revisions(ring.read(after: ring.horizon, limit: 100)) == expected)
        }
        ring.reset(horizon: 40)
        #expect(ring.count == 0 && ring.byteCount == 0)
        #expect(ring.read(after: 39, limit: 1) == .resetNeeded(horizon: 40))
        ring.append(FeedItem(revision: 41, event: .agentDeleted(id: "b")))
        #expect(Self.revisions(ring.read(after: 40, limit: 10)) == [41])
    }

    @Test("a replica's feed ring honours the configured byte bound")
    func replicaByteBound() throws {
        let cluster = try TestCluster { $0.feedRingBytes = 2_000 }
        let leader = try cluster.electLeader()
        var revisions: [UInt64] = []
        for number in 0..<20 {
            let requestID = RequestID(number + 1)
            cluster[leader].submitWrite(requestID: requestID, command: Fixture.agent("bot-\(number)"), actor: Fixture.operatorActor, idempotencyKey: nil)
            revisions.append(try #require(try cluster.await(requestID, at: leader)?.appliedRevision))
        }
        #expect(cluster[leader].feedRing.byteCount <= 2_000)
        #expect(cluster[leader].feedRing.count < 20)
        let horizon = cluster[leader].feedRing.horizon
        #expect(cluster[leader].events(after: 0, limit: 100) == .resetNeeded(horizon: horizon))
        #expect(Self.revisions(cluster[leader].events(after: horizon, limit: 100))?.last == revisions.last)
    }
}
