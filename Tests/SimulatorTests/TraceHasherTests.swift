import Testing
@testable import Simulator

@Suite("TraceHasher")
struct TraceHasherTests {
    @Test("FNV-1a matches the published 64-bit test vectors")
    func publishedVectors() {
        #expect(TraceHasher.fnv1a("") == 0xCBF2_9CE4_8422_2325)
        #expect(TraceHasher.fnv1a("a") == 0xAF63_DC4C_8601_EC8C)
        #expect(TraceHasher.fnv1a("foobar") == 0x8594_4171_F739_67E8)
    }

    @Test("integers are folded as little-endian bytes")
    func integersAreLittleEndian() {
        var number = TraceHasher()
        number.combine(UInt64(0x0102))
        var bytes = TraceHasher()
        bytes.combine(bytes: [0x02, 0x01, 0, 0, 0, 0, 0, 0])
        #expect(number.value == bytes.value)
        var signed = TraceHasher()
        signed.combine(-1)
        var allOnes = TraceHasher()
        allOnes.combine(UInt64.max)
        #expect(signed.value == allOnes.value)
    }

    @Test("the order of folded values matters and string boundaries are kept")
    func orderAndBoundaries() {
        var first = TraceHasher()
        first.combine("ab"); first.combine("c")
        var second = TraceHasher()
        second.combine("a"); second.combine("bc")
        #expect(first.value != second.value)
        var forward = TraceHasher()
        forward.combine(1); forward.combine(2)
        var backward = TraceHasher()
        backward.combine(2); backward.combine(1)
        #expect(forward.value != backward.value)
        #expect(forward.foldedCount == 2)
        var flag = TraceHasher()
        flag.combine(true)
        #expect(flag.value != TraceHasher().value)
    }

    @Test("distinct fault events fold to distinct hashes")
    func faultEventsAreDistinguished() {
        let events: [FaultEvent] = [
            .partition(groups: [[0], [1, 2]]), .partition(groups: [[0, 1], [2]]),
            .partitionOneWay(from: [0], to: [1, 2]), .partitionOneWay(from: [0, 1], to: [2]),
            .isolate(1), .isolate(2), .isolateLeader, .healPartitions,
            .clogLink(from: 0, to: 1), .clogLink(from: 1, to: 0), .unclogLink(from: 0, to: 1),
            .startFlapping(from: 0, to: 1, period: 5), .startFlapping(from: 0, to: 1, period: 6), .stopFlapping(from: 0, to: 1),
            .degradeLinks(LinkFaults(dropProbability: 0.1)), .degradeLinks(LinkFaults(dropProbability: 0.2)), .restoreLinks,
            .crash(0, .loseUnsyncedWrites), .crash(0, .tornLastWrite), .crash(0, .misdirectedLastWrite),
            .restart(0), .pause(0), .resume(0), .slow(0, factor: 2), .slow(0, factor: 3), .restoreSpeed(0),
            .corruptSyncedRecord(0, recordSelector: 1), .corruptSyncedRecord(0, recordSelector: 2),
            .clockSkew(0, offsetNanoseconds: -5), .clockSkew(0, offsetNanoseconds: 5),
            .clockDrift(0, partsPerMillion: -5), .clockDrift(0, partsPerMillion: 5),
        ]
        let hashes = events.map { event -> UInt64 in
            var hasher = TraceHasher()
            hasher.combine(event)
            return hasher.value
        }
        #expect(Set(hashes).count == events.count)
    }

    @Test("a fault plan hashes the same when generated twice from one seed")
    func planHashIsStable() {
        func hash(_ seed: UInt64) -> UInt64 {
            var hasher = TraceHasher()
            hasher.combine(FaultPlan.generate(seed: seed, classes: .all, configuration: FaultPlan.Configuration(nodeCount: 5)))
            return hasher.value
        }
        #expect(hash(21) == hash(21))
        #expect(hash(21) != hash(22))
    }
}
