import Crypto

// MARK: - Audit head

/// The end of the audit chain, the only part of the audit log kept in memory and in snapshots.
public struct AuditHead: Sendable, Hashable {
    /// Sequence number of the last record (0: none yet).
    public var seq: UInt64
    /// Hash of the last record (32 zero bytes: none yet).
    public var hash: [UInt8]

    /// A head.
    public init(seq: UInt64, hash: [UInt8]) {
        self.seq = seq
        self.hash = hash
    }

    /// The head of an empty chain.
    public static let genesis = AuditHead(seq: 0, hash: [UInt8](repeating: 0, count: SHA256.digestByteCount))
}

// MARK: - Audit record

/// One audit record. `hash = SHA-256(prevHash ‖ canonicalBytes)`, so the chain is verifiable
/// from the records alone.
public struct AuditRecord: Sendable, Hashable {
    /// Position in the chain, from 1, without gaps.
    public var seq: UInt64
    /// The revision of the entry that produced it.
    public var revision: UInt64
    /// The entry's timestamp (leader clock, milliseconds).
    public var timeMilliseconds: Int64
    /// What happened: a command name, `rejected`, `idempotent_replay`, `decision`, …
    public var type: String
    /// Who did it (`Actor.auditName`).
    public var actor: String
    /// What it was done to (`agent:x`, `user:anne`, `connection:c1`, …).
    public var subject: String
    /// Small typed details, written in sorted key order.
    public var detail: [String: String]
    /// The delegation chain, for token records.
    public var chain: [String]?
    /// The previous record's hash.
    public var prevHash: [UInt8]
    /// This record's hash.
    public var hash: [UInt8]

    /// The record's bytes that the hash covers (everything but `prevHash` and `hash`).
    public var canonicalBytes: [UInt8] {
        var writer = ByteWriter(reservingCapacity: 128)
        writeBody(into: &writer)
        return writer.bytes
    }

    /// `SHA-256(prevHash ‖ canonicalBytes)`.
    public func computeHash() -> [UInt8] {
        var hasher = SHA256.Hasher()
        hasher.update(prevHash)
        hasher.update(canonicalBytes)
        return hasher.finish()
    }

    func writeBody(into writer: inout ByteWriter) {
        writer.unsigned(seq)
        writer.unsigned(revision)
        writer.signed(timeMilliseconds)
        writer.string(type)
        writer.string(actor)
        writer.string(subject)
        writer.count(detail.count)
        for key in detail.keys.sorted() {
            writer.string(key)
            writer.string(detail[key]!)
        }
        writer.bool(chain != nil)
        if let chain { writer.strings(chain) }
    }

    // MARK: Storage form

    /// Format version of `encode()`.
    public static let formatVersion: UInt8 = 1

    /// `version ‖ body ‖ prevHash ‖ hash`, for the shell's durable store.
    public func encode() -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 192)
        writer.byte(Self.formatVersion)
        writeBody(into: &writer)
        writer.data(prevHash)
        writer.data(hash)
        return writer.bytes
    }

    /// Decodes what `encode()` wrote (the hash is not checked here: `verifyChain` does that).
    public static func decode(_ bytes: [UInt8]) throws(CommandDecodingError) -> AuditRecord {
        var reader = ByteReader(bytes)
        guard try reader.byte() == formatVersion else { throw reader.failure("unsupported audit record version") }
        let text = GovernanceLimits.maximumTextBytes
        let seq = try reader.unsigned(), revision = try reader.unsigned(), time = try reader.signed()
        let type = try reader.string(maximum: text, "type")
        let actor = try reader.string(maximum: text, "actor")
        let subject = try reader.string(maximum: text, "subject")
        let detailCount = try reader.count(maximum: GovernanceLimits.maximumAttributes, "detail")
        var detail: [String: String] = [:]
        for _ in 0..<detailCount {
            let key = try reader.string(maximum: text, "detail key")
            detail[key] = try reader.string(maximum: GovernanceLimits.maximumModelBytes, "detail value")
        }
        let chain: [String]? = try reader.bool()
            ? try reader.strings(maximumCount: GovernanceLimits.maximumChainLength, maximumBytes: text, "chain") : nil
        let prevHash = try reader.data(maximum: SHA256.digestByteCount, "prev hash")
        let hash = try reader.data(maximum: SHA256.digestByteCount, "hash")
        guard reader.isAtEnd else { throw reader.failure("trailing bytes") }
        return AuditRecord(
            seq: seq, revision: revision, timeMilliseconds: time, type: type, actor: actor, subject: subject,
            detail: detail, chain: chain, prevHash: prevHash, hash: hash)
    }
}

// MARK: - Verification

/// The result of checking a run of audit records.
public struct AuditVerification: Sendable, Hashable {
    /// Whether every record checked out.
    public var ok: Bool
    /// How many records verified before the first broken one (all of them when `ok`).
    public var verifiedCount: Int
    /// The seq of the first broken record (or the seq that was expected there).
    public var firstBrokenSeq: UInt64?
    /// What was wrong with it.
    public var problem: String?
    /// The head after the last verified record.
    public var head: AuditHead
}

extension AuditRecord {
    /// Checks that `records` continue the chain from `head` (genesis when nil): consecutive
    /// seqs, each `prevHash` equal to the previous hash, each hash recomputed from the record.
    public static func verifyChain(_ records: [AuditRecord], from head: AuditHead? = nil) -> AuditVerification {
        var current = head ?? .genesis
        for (index, record) in records.enumerated() {
            let problem: String?
            if record.seq != current.seq &+ 1 {
                problem = "seq \(record.seq) does not follow \(current.seq)"
            } else if record.prevHash != current.hash {
                problem = "prev_hash does not match the previous record's hash"
            } else if record.computeHash() != record.hash {
                problem = "hash does not match the record's contents"
            } else {
                problem = nil
            }
            if let problem {
                return AuditVerification(
                    ok: false, verifiedCount: index, firstBrokenSeq: current.seq &+ 1, problem: problem, head: current)
            }
            current = AuditHead(seq: record.seq, hash: record.hash)
        }
        return AuditVerification(ok: true, verifiedCount: records.count, firstBrokenSeq: nil, problem: nil, head: current)
    }
}
