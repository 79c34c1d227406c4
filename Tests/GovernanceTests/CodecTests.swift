import Checksum
import Authorization
import Testing
@testable import Governance

@Suite("command codec")
struct CodecTests {
    static let sampleCommands: [Command] = [
        .registerAgent(AgentRegistration(
            id: "bot-1", name: "Bot", owner: "anne", kind: .service, scopes: ["invoice:read"],
            attributes: ["tier": .int(3), "tags": .list([.string("a"), .null]), "limits": .map(["x": .double(1.5)])],
            secretHash: [1, 2, 3])),
        .updateAgent(AgentUpdate(id: "bot-1", name: "B", scopes: [], attributes: [:], secretHash: [9], status: .suspended)),
        .updateAgent(AgentUpdate(id: "bot-1")),
        .deleteAgent(id: "bot-1"),
        .setUserAttributes(userID: "anne", attributes: [
            "on_duty": .bool(true), "since": .timestamp(seconds: 1_700_000_000, nanos: 5),
            "window": .duration(seconds: 60, nanos: -1), "big": .uint(UInt64.max), "neg": .int(-42),
        ]),
        .createConnection(Connection(id: "c1", caller: "a", callee: "b", scopes: ["x:y"], maxTokenTTLSeconds: 60, expiresAtMilliseconds: 5)),
        .deleteConnection(id: "c1"),
        .writeModel(json: Array("{\"schema_version\":\"1.1\"}".utf8)),
        .writeTuples(
            writes: [RelationshipTuple(user: "user:anne", relation: "viewer", object: "doc:1",
                                       condition: TupleCondition(name: "c", context: ["n": .int(1)]))],
            deletes: [TupleKey(user: "user:bob", relation: "viewer", object: "doc:2")]),
        .killAgent(id: "a", reason: "leak"), .reinstateAgent(id: "a", reason: "fixed"),
        .killUser(id: "anne", reason: "left"), .reinstateUser(id: "anne", reason: "back"),
        .revokeToken(jti: "t1", expiresAtMilliseconds: 99),
        .tokenIssued(IssuedToken(jti: "t1", subject: "user:anne", chain: ["a", "b"], scopes: ["x:y"], expiresAtMilliseconds: 10)),
        .riskSignal(RiskSignal(agent: "a", type: "injection", severity: 40, source: "scanner", detail: "prompt")),
        .riskSignal(RiskSignal(agent: "a", type: "injection", severity: 40, source: "scanner")),
        .setSettings(Settings(riskThreshold: 50, riskDecayPerHour: 2.5, enforcerLeaseMilliseconds: 250, tokenTTLSeconds: 60)),
        .createAPIKey(APIKey(id: "k1", name: "ops", role: .security, keyHash: [4, 5])),
        .deleteAPIKey(id: "k1"),
        .addSigningKey(kid: "n1-2026", publicKey: [UInt8](repeating: 3, count: 32)),
        .retireSigningKey(kid: "n1-2026"),
        .decisionBatch(DecisionBatch(source: "edge-1", batchSeq: 7, decisions: [
            DecisionRecord(decisionID: "d1", agent: "a", subject: "user:anne", action: "approve", resource: "invoice:1",
                           allowed: false, reasons: ["agent_killed"], revision: 12, timeMilliseconds: 34),
        ])),
    ]

    static let actors: [Actor] = [.apiKey(id: "k", role: .reader), .agent("a"), .enforcer("e"), .policy, .system]

    @Test("every command and actor survives encode → decode unchanged")
    func roundTrip() throws {
        for (index, command) in Self.sampleCommands.enumerated() {
            let payload = LogEntryPayload(
                timestampMilliseconds: Int64(index) * -977, idempotencyKey: index.isMultiple(of: 2) ? "key-\(index)" : nil,
                actor: Self.actors[index % Self.actors.count], command: command)
            #expect(try LogEntryPayload.decode(payload.encode()) == payload)
        }
    }

    @Test("CRC-32C matches the standard check value of \"123456789\"")
    func crcCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test("any flipped bit is caught by the checksum")
    func bitFlips() {
        let bytes = LogEntryPayload(timestampMilliseconds: 1, actor: .system, command: Self.sampleCommands[0]).encode()
        for index in bytes.indices {
            for bit in 0..<8 {
                var corrupted = bytes
                corrupted[index] ^= UInt8(1 << bit)
                #expect(throws: CommandDecodingError.self) { try LogEntryPayload.decode(corrupted) }
            }
        }
    }

    @Test("every truncation of every sample payload is refused")
    func truncations() {
        for command in Self.sampleCommands {
            let bytes = LogEntryPayload(timestampMilliseconds: 7, idempotencyKey: "k", actor: .system, command: command).encode()
            for length in 0..<bytes.count {
                #expect(throws: CommandDecodingError.self) { try LogEntryPayload.decode(Array(bytes.prefix(length))) }
            }
        }
    }

    @Test("an unknown format version is refused even with a valid checksum")
    func versionRefused() {
        var bytes = LogEntryPayload(timestampMilliseconds: 1, actor: .system, command: .deleteAgent(id: "a")).encode()
        bytes[0] = 2
        bytes.removeLast(4)
        var writer = ByteWriter()
        writer.fixed32(CRC32C.checksum(bytes))
        bytes += writer.bytes
        #expect(throws: CommandDecodingError.self) { try LogEntryPayload.decode(bytes) }
    }

    @Test("a length beyond its named bound is refused before allocating")
    func boundedLengths() {
        var writer = ByteWriter()
        writer.byte(LogEntryPayload.formatVersion)
        writer.signed(0)
        writer.bool(false)
        writer.byte(4)  // actor: policy
        writer.byte(3)  // deleteAgent
        writer.unsigned(UInt64(GovernanceLimits.maximumIdentifierBytes + 1))
        writer.bytes += [UInt8](repeating: UInt8(ascii: "a"), count: GovernanceLimits.maximumIdentifierBytes + 1)
        writer.fixed32(CRC32C.checksum(writer.bytes))
        #expect(throws: CommandDecodingError.self) { try LogEntryPayload.decode(writer.bytes) }
    }

    @Test("random bytes, with or without a valid checksum, never trap the decoder")
    func randomInput() {
        var generator = SplitMix64(seed: 0xC0FFEE)
        var decoded = 0
        for round in 0..<20_000 {
            let length = Int(generator.next() % 96)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if round.isMultiple(of: 2) {
                if !bytes.isEmpty { bytes[0] = LogEntryPayload.formatVersion }
                var writer = ByteWriter()
                writer.fixed32(CRC32C.checksum(bytes))
                bytes += writer.bytes
            }
            if (try? LogEntryPayload.decode(bytes)) != nil { decoded += 1 }
        }
        #expect(decoded < 20_000)
    }

    @Test("trailing bytes after the command are refused")
    func trailingBytes() {
        var bytes = LogEntryPayload(timestampMilliseconds: 1, actor: .system, command: .deleteAgent(id: "a")).encode()
        bytes.removeLast(4)
        bytes.append(0)
        var writer = ByteWriter()
        writer.fixed32(CRC32C.checksum(bytes))
        bytes += writer.bytes
        #expect(throws: CommandDecodingError.self) { try LogEntryPayload.decode(bytes) }
    }
}
