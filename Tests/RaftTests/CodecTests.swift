import Testing
@testable import Raft

@Suite("Message codec")
struct CodecTests {
    static func randomMessage(_ random: inout SplitMix64) -> RaftMessage {
        let configuration = ClusterConfiguration(voters: [random.next() % 9 + 1, 3], learners: [random.next() % 5 + 10])
        let entries = (0..<Int(random.next() % 4)).map { position in
            Entry(term: random.next() % 9, index: UInt64(position + 1), kind: Entry.Kind(rawValue: UInt8(random.next() % 3))!,
                  data: (0..<Int(random.next() % 20)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        }
        let bodies: [RaftMessage.Body] = [
            .voteRequest(.init(isPreVote: random.next() % 2 == 0, lastLogIndex: random.next(), lastLogTerm: random.next(), isLeadershipTransfer: true)),
            .voteResponse(isPreVote: true, granted: random.next() % 2 == 0),
            .append(.init(previousIndex: random.next(), previousTerm: random.next(), entries: entries, commitIndex: random.next())),
            .appendResponse(.init(success: false, index: random.next(), rejectHintIndex: random.next(), rejectHintTerm: 4)),
            .heartbeat(commitIndex: random.next(), readRound: random.next()),
            .heartbeatResponse(readRound: random.next()),
            .snapshotChunk(.init(metadata: .init(index: random.next(), term: 2, configuration: configuration), offset: 10, totalBytes: 99,
                                 data: [1, 2, 3])),
            .snapshotResponse(snapshotIndex: random.next(), nextOffset: random.next(), done: true),
            .timeoutNow,
            .readIndexRequest(requestID: random.next()),
            .readIndexResponse(requestID: random.next(), index: random.next()),
        ]
        return RaftMessage(from: random.next(), to: random.next(), term: random.next(), body: bodies[Int(random.next() % UInt64(bodies.count))])
    }

    @Test("every message kind survives an encode/decode round trip")
    func roundTrip() {
        var random = SplitMix64(seed: 11)
        for _ in 0..<2_000 {
            let message = Self.randomMessage(&random)
            #expect(RaftMessageCodec.decode(RaftMessageCodec.encode(message)) == message)
        }
        let entry = Entry(term: 3, index: 9, kind: .configuration, data: [1, 2])
        #expect(RaftMessageCodec.decodeEntry(RaftMessageCodec.encode(entry)) == entry)
    }

    @Test("decoding random, truncated or corrupted bytes never traps and rejects garbage")
    func garbageInput() {
        var random = SplitMix64(seed: 12)
        var decodedGarbage = 0
        for _ in 0..<20_000 {
            let bytes = (0..<Int(random.next() % 80)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if RaftMessageCodec.decode(bytes) != nil { decodedGarbage += 1 }
            _ = RaftMessageCodec.decodeEntry(bytes)
        }
        #expect(decodedGarbage < 20)
        for _ in 0..<5_000 {
            var bytes = RaftMessageCodec.encode(Self.randomMessage(&random))
            let position = Int(random.next() % UInt64(bytes.count))
            if random.next() % 2 == 0 {
                bytes.removeSubrange(position...)
                #expect(RaftMessageCodec.decode(bytes) == nil, "a truncated message must not decode")
            } else {
                bytes[position] ^= UInt8(truncatingIfNeeded: random.next() | 1)
                _ = RaftMessageCodec.decode(bytes)
            }
        }
        #expect(RaftMessageCodec.decode(RaftMessageCodec.encode(Self.randomMessage(&random)) + [0]) == nil)
    }

    @Test("a huge declared entry count is refused before allocating")
    func hugeCountRefused() {
        var writer = BinaryWriter()
        writer.write(RaftMessageCodec.version)
        for _ in 0..<3 { writer.write(UInt64(1)) }
        writer.write(UInt8(3))
        for _ in 0..<3 { writer.write(UInt64(0)) }
        writer.write(UInt32.max)
        #expect(RaftMessageCodec.decode(writer.bytes) == nil)
    }
}

@Suite("Corrupt input to the core")
struct CorruptInputTests {
    @Test("a seeded stream of random-content messages leaves the group safe and live")
    func bogusMessagesAreHarmless() {
        var random = SplitMix64(seed: 99)
        var network = TestNetwork(voters: [1, 2, 3])
        network.elect(1)
        for step in 0..<3_000 {
            var message = CodecTests.randomMessage(&random)
            message.from = random.next() % 4
            message.to = random.next() % 3 + 1
            message.term = random.next() % 6
            network.deliver(message)
            if step % 10 == 0 { network.tickAll() }
        }
        network.heal()
        network.tickAll(times: 50)
        #expect(network.leaders.count == 1)
        #expect(network.checker.violations.isEmpty)
    }

    @Test("an append with entries that do not follow its previous index is dropped")
    func nonContiguousAppendDropped() {
        var core = RaftCore(id: 2, storage: MemoryLogStorage(configuration: .init(voters: [1, 2, 3])), random: SplitMix64(seed: 1))
        let request = RaftMessage.AppendRequest(previousIndex: 0, previousTerm: 0,
                                                entries: [Entry(term: 1, index: 1), Entry(term: 1, index: 3)], commitIndex: 0)
        core.step(RaftMessage(from: 1, to: 2, term: 1, body: .append(request)))
        #expect(core.lastIndex == 0)
        #expect(core.term == 0)
    }
}
