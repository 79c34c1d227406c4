import Raft
import Testing
@testable import Replica

@Suite("Peer message codec")
struct PeerCodecTests {
    static let samples: [PeerMessage] = [
        PeerMessage(raft: RaftMessage(from: 1, to: 2, term: 3, body: .append(RaftMessage.AppendRequest(
            previousIndex: 4, previousTerm: 2, entries: [Entry(term: 3, index: 5, data: [1, 2, 3])], commitIndex: 4)))),
        PeerMessage(raft: RaftMessage(from: 2, to: 1, term: 3, body: .readIndexRequest(requestID: 99))),
        PeerMessage(from: 2, to: 1, body: .forwardWrite(requestID: 1 << 40, payload: Array(0..<200))),
        PeerMessage(from: 1, to: 2, body: .forwardResult(requestID: 5, outcome: .committed(revision: 77))),
        PeerMessage(from: 1, to: 3, body: .forwardResult(requestID: 6, outcome: .failed(.tooManyUncommitted))),
        PeerMessage(from: 1, to: 3, body: .forwardResult(requestID: 7, outcome: .ambiguous(.timedOut))),
    ]

    @Test("every kind of peer message round-trips through the codec")
    func roundTrip() {
        for message in Self.samples {
            #expect(PeerMessageCodec.decode(PeerMessageCodec.encode(message)) == message)
        }
    }

    @Test("every truncation of a valid message is refused")
    func truncationsRefused() {
        for message in Self.samples {
            let bytes = PeerMessageCodec.encode(message)
            for length in 0..<bytes.count {
                #expect(PeerMessageCodec.decode(Array(bytes.prefix(length))) == nil)
            }
            #expect(PeerMessageCodec.decode(bytes + [0]) == nil)
        }
    }

    @Test("random bytes and bit flips never trap the decoder")
    func randomInputNeverTraps() {
        var random = SplitMix64(seed: 42)
        var decodedFlips = 0
        for round in 0..<2_000 {
            let length = Int(random.next() % 96)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if round % 2 == 0 { bytes.insert(PeerMessageCodec.version, at: 0) }
            _ = PeerMessageCodec.decode(bytes)
            var flipped = PeerMessageCodec.encode(Self.samples[round % Self.samples.count])
            let position = Int(random.next() % UInt64(flipped.count))
            flipped[position] ^= UInt8(truncatingIfNeeded: 1 << (random.next() % 8))
            if PeerMessageCodec.decode(flipped) != nil { decodedFlips += 1 }
        }
        // Flips in payload bytes still decode; flips in framing must not all be accepted.
        #expect(decodedFlips < 2_000)
    }
}
