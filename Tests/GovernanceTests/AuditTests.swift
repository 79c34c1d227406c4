import Authorization
import Crypto
import Testing
@testable import Governance

@Suite("audit chain")
struct AuditTests {
    static func sampleRecords() -> (records: [AuditRecord], head: AuditHead) {
        var harness = Harness()
        var records: [AuditRecord] = []
        records += harness.apply(.registerAgent(AgentRegistration(
            id: "bot", name: "Bot", owner: "anne", kind: .agent, scopes: [], secretHash: [1]))).auditRecords
        records += harness.apply(.killAgent(id: "bot", reason: "x")).auditRecords
        records += harness.apply(.reinstateAgent(id: "bot", reason: "y")).auditRecords
        records += harness.apply(.deleteAgent(id: "ghost")).auditRecords
        records += harness.apply(.riskSignal(RiskSignal(agent: "bot", type: "t", severity: 100, source: "s"))).auditRecords
        return (records, harness.state.auditHead)
    }

    @Test("every applied command and rejection appends a record chained by SHA-256(prev_hash ‖ record)")
    func chain() {
        var harness = Harness()
        let first = harness.apply(.deleteAgent(id: "ghost"))
        #expect(first.auditRecords.count == 1)
        let record = first.auditRecords[0]
        #expect(record.type == "rejected" && record.detail["code"] == "not_found" && record.seq == 1)
        #expect(record.prevHash == AuditHead.genesis.hash)
        #expect(record.hash == SHA256.hash(record.prevHash + record.canonicalBytes))
        #expect(harness.state.auditHead == AuditHead(seq: 1, hash: record.hash))
    }

    @Test("the chain verifies from the records alone, and from a head part-way")
    func verify() {
        let (records, head) = Self.sampleRecords()
        let verification = AuditRecord.verifyChain(records)
        #expect(verification.ok && verification.verifiedCount == records.count && verification.head == head)
        let tail = AuditRecord.verifyChain(Array(records.dropFirst(2)), from: AuditHead(seq: records[1].seq, hash: records[1].hash))
        #expect(tail.ok)
    }

    @Test("a changed, dropped or reordered record is pinpointed by seq")
    func tamper() {
        let (records, _) = Self.sampleRecords()
        var edited = records
        edited[2].detail["reason"] = "forged"
        #expect(AuditRecord.verifyChain(edited).firstBrokenSeq == records[2].seq)
        var dropped = records
        dropped.remove(at: 1)
        #expect(AuditRecord.verifyChain(dropped).firstBrokenSeq == records[1].seq)
        var rehashed = records
        rehashed[3].detail["x"] = "y"
        rehashed[3].hash = rehashed[3].computeHash()
        let broken = AuditRecord.verifyChain(rehashed)
        #expect(!broken.ok && broken.firstBrokenSeq == records[4].seq && broken.verifiedCount == 4)
    }

    @Test("records survive their storage encoding, and garbage does not decode")
    func storage() throws {
        let (records, _) = Self.sampleRecords()
        for record in records { #expect(try AuditRecord.decode(record.encode()) == record) }
        var generator = SplitMix64(seed: 99)
        for _ in 0..<2_000 {
            let bytes = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? AuditRecord.decode(bytes)
        }
    }
}
