import Checksum
import Authorization

// MARK: - Log entry payload

/// What the layer above puts in each Raft entry's data: the leader's clock, the idempotency
/// key, who asked, and the command. Encoded compactly, versioned and checksummed.
public struct LogEntryPayload: Sendable, Hashable {
    /// The leader's wall clock when it proposed the entry; the only time `apply` knows.
    public var timestampMilliseconds: Int64
    /// The client's `Idempotency-Key`, if any.
    public var idempotencyKey: String?
    /// Who proposed it.
    public var actor: Actor
    /// The write.
    public var command: Command

    /// A payload with every field given.
    public init(timestampMilliseconds: Int64, idempotencyKey: String? = nil, actor: Actor, command: Command) {
        self.timestampMilliseconds = timestampMilliseconds
        self.idempotencyKey = idempotencyKey
        self.actor = actor
        self.command = command
    }

    /// The format version written first; a decoder refuses any other.
    public static let formatVersion: UInt8 = 1
    /// Bytes of the trailing CRC-32C.
    static let checksumBytes = 4

    /// `version ‖ body ‖ CRC-32C(version ‖ body)` (little-endian checksum).
    public func encode() -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 128)
        writer.byte(Self.formatVersion)
        writer.signed(timestampMilliseconds)
        writer.optionalString(idempotencyKey)
        actor.write(into: &writer)
        CommandCodec.write(command, into: &writer)
        writer.fixed32(CRC32C.checksum(writer.bytes))
        return writer.bytes
    }

    /// Decodes what `encode()` wrote; any other input throws (never traps).
    public static func decode(_ bytes: [UInt8]) throws(CommandDecodingError) -> LogEntryPayload {
        guard bytes.count <= GovernanceLimits.maximumPayloadBytes else {
            throw CommandDecodingError(offset: 0, message: "payload of \(bytes.count) bytes exceeds the bound")
        }
        guard bytes.count > checksumBytes else { throw CommandDecodingError(offset: 0, message: "payload too short") }
        let bodyEnd = bytes.count - checksumBytes
        var trailer = ByteReader(bytes, from: bodyEnd)
        guard try trailer.fixed32() == CRC32C.checksum(bytes, range: 0..<bodyEnd) else {
            throw CommandDecodingError(offset: bodyEnd, message: "checksum mismatch")
        }
        var reader = ByteReader(bytes, to: bodyEnd)
        let version = try reader.byte()
        guard version == formatVersion else { throw reader.failure("unsupported format version \(version)") }
        let timestamp = try reader.signed()
        let key = try reader.optionalString(maximum: GovernanceLimits.maximumIdentifierBytes, "idempotency key")
        let actor = try Actor.read(&reader)
        let command = try CommandCodec.read(&reader)
        guard reader.isAtEnd else { throw reader.failure("trailing bytes after the command") }
        return LogEntryPayload(timestampMilliseconds: timestamp, idempotencyKey: key, actor: actor, command: command)
    }
}

// MARK: - Command bodies

/// The tagged binary form of each command.
enum CommandCodec {
    static func write(_ command: Command, into writer: inout ByteWriter) {
        switch command {
        case .registerAgent(let registration):
            writer.byte(1)
            writer.string(registration.id)
            writer.string(registration.name)
            writer.string(registration.owner)
            writer.byte(registration.kind.rawValue)
            writer.strings(registration.scopes)
            ConditionValueCoding.writeMap(registration.attributes, into: &writer)
            writer.data(registration.secretHash)
        case .updateAgent(let update): writer.byte(2); writeUpdate(update, into: &writer)
        case .deleteAgent(let id): writer.byte(3); writer.string(id)
        case .setUserAttributes(let userID, let attributes):
            writer.byte(4)
            writer.string(userID)
            ConditionValueCoding.writeMap(attributes, into: &writer)
        case .createConnection(let connection): writer.byte(5); connection.write(into: &writer)
        case .deleteConnection(let id): writer.byte(6); writer.string(id)
        case .writeModel(let json): writer.byte(7); writer.data(json)
        case .writeTuples(let writes, let deletes):
            writer.byte(8)
            writer.count(writes.count)
            for tuple in writes { TupleCoding.write(tuple, into: &writer) }
            writer.count(deletes.count)
            for key in deletes { TupleCoding.write(key, into: &writer) }
        default: writeLifecycle(command, into: &writer)
        }
    }

    private static func writeLifecycle(_ command: Command, into writer: inout ByteWriter) {
        switch command {
        case .killAgent(let id, let reason): writer.byte(9); writer.string(id); writer.string(reason)
        case .reinstateAgent(let id, let reason): writer.byte(10); writer.string(id); writer.string(reason)
        case .killUser(let id, let reason): writer.byte(11); writer.string(id); writer.string(reason)
        case .reinstateUser(let id, let reason): writer.byte(12); writer.string(id); writer.string(reason)
        case .revokeToken(let jti, let expiresAt): writer.byte(13); writer.string(jti); writer.signed(expiresAt)
        case .tokenIssued(let token): writer.byte(14); token.write(into: &writer)
        case .riskSignal(let signal):
            writer.byte(15)
            writer.string(signal.agent)
            writer.string(signal.type)
            writer.signed(signal.severity)
            writer.string(signal.source)
            writer.optionalString(signal.detail)
        case .setSettings(let settings): writer.byte(16); settings.write(into: &writer)
        case .createAPIKey(let key): writer.byte(17); key.write(into: &writer)
        case .deleteAPIKey(let id): writer.byte(18); writer.string(id)
        case .addSigningKey(let kid, let publicKey): writer.byte(19); writer.string(kid); writer.data(publicKey)
        case .retireSigningKey(let kid): writer.byte(20); writer.string(kid)
        case .decisionBatch(let batch):
            writer.byte(21)
            writer.string(batch.source)
            writer.unsigned(batch.batchSeq)
            writer.count(batch.decisions.count)
            for record in batch.decisions { record.write(into: &writer) }
        default: preconditionFailure("every command has a tag")
        }
    }

    private static func writeUpdate(_ update: AgentUpdate, into writer: inout ByteWriter) {
        writer.string(update.id)
        writer.optionalString(update.name)
        writer.optionalString(update.owner)
        writer.bool(update.scopes != nil)
        if let scopes = update.scopes { writer.strings(scopes) }
        writer.bool(update.attributes != nil)
        if let attributes = update.attributes { ConditionValueCoding.writeMap(attributes, into: &writer) }
        writer.bool(update.secretHash != nil)
        if let secretHash = update.secretHash { writer.data(secretHash) }
        writer.bool(update.status != nil)
        if let status = update.status { writer.byte(status.rawValue) }
    }

    // MARK: Reading

    static let idBound = GovernanceLimits.maximumIdentifierBytes
    static let textBound = GovernanceLimits.maximumTextBytes

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> Command {
        let tag = try reader.byte()
        switch tag {
        case 1:
            let id = try reader.string(maximum: idBound, "id")
            let name = try reader.string(maximum: textBound, "name")
            let owner = try reader.string(maximum: idBound, "owner")
            guard let kind = AgentKind(rawValue: try reader.byte()) else { throw reader.failure("unknown agent kind") }
            return .registerAgent(AgentRegistration(
                id: id, name: name, owner: owner, kind: kind, scopes: try readScopes(&reader),
                attributes: try ConditionValueCoding.readMap(&reader),
                secretHash: try reader.data(maximum: GovernanceLimits.maximumSecretHashBytes, "secret hash")))
        case 2: return .updateAgent(try readUpdate(&reader))
        case 3: return .deleteAgent(id: try reader.string(maximum: idBound, "id"))
        case 4:
            return .setUserAttributes(
                userID: try reader.string(maximum: idBound, "user id"), attributes: try ConditionValueCoding.readMap(&reader))
        case 5: return .createConnection(try Connection.read(&reader))
        case 6: return .deleteConnection(id: try reader.string(maximum: idBound, "id"))
        case 7: return .writeModel(json: try reader.data(maximum: GovernanceLimits.maximumModelBytes, "model"))
        case 8: return try readTuples(&reader)
        default: return try readLifecycle(tag, &reader)
        }
    }

    private static func readLifecycle(_ tag: UInt8, _ reader: inout ByteReader) throws(CommandDecodingError) -> Command {
        switch tag {
        case 9: return .killAgent(id: try reader.string(maximum: idBound, "id"), reason: try reader.string(maximum: textBound, "reason"))
        case 10: return .reinstateAgent(id: try reader.string(maximum: idBound, "id"), reason: try reader.string(maximum: textBound, "reason"))
        case 11: return .killUser(id: try reader.string(maximum: idBound, "id"), reason: try reader.string(maximum: textBound, "reason"))
        case 12: return .reinstateUser(id: try reader.string(maximum: idBound, "id"), reason: try reader.string(maximum: textBound, "reason"))
        case 13: return .revokeToken(jti: try reader.string(maximum: idBound, "jti"), expiresAtMilliseconds: try reader.signed())
        case 14: return .tokenIssued(try IssuedToken.read(&reader))
        case 15:
            return .riskSignal(RiskSignal(
                agent: try reader.string(maximum: idBound, "agent"), type: try reader.string(maximum: idBound, "type"),
                severity: try reader.signed(), source: try reader.string(maximum: idBound, "source"),
                detail: try reader.optionalString(maximum: textBound, "detail")))
        case 16: return .setSettings(try Settings.read(&reader))
        case 17: return .createAPIKey(try APIKey.read(&reader))
        case 18: return .deleteAPIKey(id: try reader.string(maximum: idBound, "id"))
        case 19:
            return .addSigningKey(
                kid: try reader.string(maximum: idBound, "kid"),
                publicKey: try reader.data(maximum: GovernanceLimits.maximumPublicKeyBytes, "public key"))
        case 20: return .retireSigningKey(kid: try reader.string(maximum: idBound, "kid"))
        case 21:
            let source = try reader.string(maximum: idBound, "source")
            let batchSeq = try reader.unsigned()
            let number = try reader.count(maximum: GovernanceLimits.maximumDecisionsPerBatch, "decisions")
            var decisions: [DecisionRecord] = []
            decisions.reserveCapacity(number)
            for _ in 0..<number { decisions.append(try DecisionRecord.read(&reader)) }
            return .decisionBatch(DecisionBatch(source: source, batchSeq: batchSeq, decisions: decisions))
        default: throw reader.failure("unknown command tag \(tag)")
        }
    }

    static func readScopes(_ reader: inout ByteReader) throws(CommandDecodingError) -> [String] {
        try reader.strings(maximumCount: GovernanceLimits.maximumScopes, maximumBytes: GovernanceLimits.maximumScopeBytes, "scopes")
    }

    private static func readUpdate(_ reader: inout ByteReader) throws(CommandDecodingError) -> AgentUpdate {
        var update = AgentUpdate(id: try reader.string(maximum: idBound, "id"))
        update.name = try reader.optionalString(maximum: textBound, "name")
        update.owner = try reader.optionalString(maximum: idBound, "owner")
        update.scopes = try reader.bool() ? try readScopes(&reader) : nil
        update.attributes = try reader.bool() ? try ConditionValueCoding.readMap(&reader) : nil
        update.secretHash = try reader.bool() ? try reader.data(maximum: GovernanceLimits.maximumSecretHashBytes, "secret hash") : nil
        if try reader.bool() {
            guard let status = AgentStatus(rawValue: try reader.byte()) else { throw reader.failure("unknown agent status") }
            update.status = status
        }
        return update
    }

    private static func readTuples(_ reader: inout ByteReader) throws(CommandDecodingError) -> Command {
        let bound = GovernanceLimits.maximumTuplesPerWrite
        let writeCount = try reader.count(maximum: bound, "tuple writes")
        var writes: [RelationshipTuple] = []
        for _ in 0..<writeCount { writes.append(try TupleCoding.readTuple(&reader)) }
        let deleteCount = try reader.count(maximum: bound, "tuple deletes")
        var deletes: [TupleKey] = []
        for _ in 0..<deleteCount { deletes.append(try TupleCoding.readKey(&reader)) }
        return .writeTuples(writes: writes, deletes: deletes)
    }
}

// MARK: - Tuples and decision records

/// Binary form of relationship tuples and tuple keys.
enum TupleCoding {
    static let fieldBound = GovernanceLimits.maximumTupleFieldBytes

    static func write(_ key: TupleKey, into writer: inout ByteWriter) {
        writer.string(key.user)
        writer.string(key.relation)
        writer.string(key.object)
    }

    static func write(_ tuple: RelationshipTuple, into writer: inout ByteWriter) {
        write(tuple.key, into: &writer)
        writer.bool(tuple.condition != nil)
        if let condition = tuple.condition {
            writer.string(condition.name)
            ConditionValueCoding.writeMap(condition.context, into: &writer)
        }
    }

    static func readKey(_ reader: inout ByteReader) throws(CommandDecodingError) -> TupleKey {
        TupleKey(
            user: try reader.string(maximum: fieldBound, "tuple user"),
            relation: try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "tuple relation"),
            object: try reader.string(maximum: fieldBound, "tuple object"))
    }

    static func readTuple(_ reader: inout ByteReader) throws(CommandDecodingError) -> RelationshipTuple {
        let key = try readKey(&reader)
        var condition: TupleCondition?
        if try reader.bool() {
            condition = TupleCondition(
                name: try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "condition name"),
                context: try ConditionValueCoding.readMap(&reader))
        }
        return RelationshipTuple(user: key.user, relation: key.relation, object: key.object, condition: condition)
    }
}

extension DecisionRecord {
    func write(into writer: inout ByteWriter) {
        writer.string(decisionID)
        writer.string(agent)
        writer.optionalString(subject)
        writer.string(action)
        writer.string(resource)
        writer.bool(allowed)
        writer.strings(reasons)
        writer.unsigned(revision)
        writer.signed(timeMilliseconds)
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> DecisionRecord {
        let fieldBound = GovernanceLimits.maximumTupleFieldBytes
        return DecisionRecord(
            decisionID: try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "decision id"),
            agent: try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "agent"),
            subject: try reader.optionalString(maximum: fieldBound, "subject"),
            action: try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "action"),
            resource: try reader.string(maximum: fieldBound, "resource"),
            allowed: try reader.bool(),
            reasons: try reader.strings(
                maximumCount: GovernanceLimits.maximumReasonsPerDecision,
                maximumBytes: GovernanceLimits.maximumTextBytes, "reasons"),
            revision: try reader.unsigned(),
            timeMilliseconds: try reader.signed())
    }
}
