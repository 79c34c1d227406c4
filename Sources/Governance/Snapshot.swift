import Checksum
import Authorization
import Crypto

// MARK: - Snapshot errors

/// Why snapshot bytes could not be restored.
public struct SnapshotError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public let message: String

    /// A one-line explanation.
    public var description: String { "snapshot refused: \(message)" }
}

// MARK: - Snapshot

/// Deterministic binary serialization of the whole state (audit records excluded: only the
/// head). Layout: `magic ‖ version ‖ body ‖ CRC-32C(magic ‖ version ‖ body)`; every table is
/// written in sorted key order, so equal states give equal bytes and `digest()` compares replicas.
extension GovernanceState {
    /// Identifies a governance snapshot.
    public static let snapshotMagic: [UInt8] = Array("WGOV".utf8)
    /// The snapshot format version; `restore` refuses any other.
    public static let snapshotVersion: UInt8 = 1

    /// The state as bytes.
    public func snapshot() -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 4_096)
        writer.bytes.append(contentsOf: Self.snapshotMagic)
        writer.byte(Self.snapshotVersion)
        writer.unsigned(appliedRevision)
        writer.unsigned(lastTokenSweepRevision)
        settings.write(into: &writer)
        writer.unsigned(auditHead.seq)
        writer.data(auditHead.hash)
        writeRegistry(into: &writer)
        writeTokens(into: &writer)
        writer.bool(model != nil)
        if let model { writer.data(model.canonicalJSON) }
        let allTuples = tuples.allTuples()
        writer.count(allTuples.count)
        for tuple in allTuples { TupleCoding.write(tuple, into: &writer) }
        let remembered = idempotency.liveEntriesInOrder
        writer.count(remembered.count)
        for (key, entry) in remembered {
            writer.string(key)
            writer.unsigned(entry.revision)
            writer.signed(entry.timestampMilliseconds)
            entry.result.write(into: &writer)
        }
        writer.fixed32(CRC32C.checksum(writer.bytes))
        return writer.bytes
    }

    /// SHA-256 of `snapshot()`: equal on replicas that applied the same entries.
    public func digest() -> [UInt8] { SHA256.hash(snapshot()) }

    private func writeRegistry(into writer: inout ByteWriter) {
        writer.count(agents.count)
        for id in agents.keys.sorted() { agents[id]!.write(into: &writer) }
        writer.count(users.count)
        for id in users.keys.sorted() { users[id]!.write(into: &writer) }
        writer.count(connections.count)
        for id in connections.keys.sorted() { connections[id]!.write(into: &writer) }
        writer.count(apiKeys.count)
        for id in apiKeys.keys.sorted() { apiKeys[id]!.write(into: &writer) }
        writer.count(signingKeys.count)
        for kid in signingKeys.keys.sorted() { signingKeys[kid]!.write(into: &writer) }
    }

    private func writeTokens(into writer: inout ByteWriter) {
        writer.count(issuedTokens.count)
        for jti in issuedTokens.keys.sorted() { issuedTokens[jti]!.write(into: &writer) }
        writer.count(revokedTokens.count)
        for jti in revokedTokens.keys.sorted() {
            writer.string(jti)
            writer.signed(revokedTokens[jti]!)
        }
        writer.count(decisionBatches.count)
        for source in decisionBatches.keys.sorted() {
            writer.string(source)
            writer.unsigned(decisionBatches[source]!)
        }
    }
}

// MARK: - Restore

extension GovernanceState {
    /// Rebuilds the state `snapshot()` wrote; refuses bytes with a bad checksum, version or shape.
    public static func restore(_ bytes: [UInt8]) throws(SnapshotError) -> GovernanceState {
        let headerBytes = snapshotMagic.count + 1
        guard bytes.count >= headerBytes + 4, Array(bytes[0..<snapshotMagic.count]) == snapshotMagic else {
            throw SnapshotError(message: "not a governance snapshot")
        }
        guard bytes[snapshotMagic.count] == snapshotVersion else {
            throw SnapshotError(message: "unsupported snapshot version \(bytes[snapshotMagic.count])")
        }
        let bodyEnd = bytes.count - 4
        var trailer = ByteReader(bytes, from: bodyEnd)
        do {
            guard try trailer.fixed32() == CRC32C.checksum(bytes, range: 0..<bodyEnd) else {
                throw SnapshotError(message: "checksum mismatch")
            }
            var reader = ByteReader(bytes, from: headerBytes, to: bodyEnd)
            var state = try readBody(&reader)
            guard reader.isAtEnd else { throw SnapshotError(message: "trailing bytes") }
            state.rebuildDerivedIndexes()
            return state
        } catch let error as SnapshotError {
            throw error
        } catch let error as CommandDecodingError {
            throw SnapshotError(message: error.description)
        } catch {
            throw SnapshotError(message: "\(error)")
        }
    }

    private static func readBody(_ reader: inout ByteReader) throws -> GovernanceState {
        var state = GovernanceState()
        state.appliedRevision = try reader.unsigned()
        state.lastTokenSweepRevision = try reader.unsigned()
        state.settings = try Settings.read(&reader)
        state.auditHead = AuditHead(
            seq: try reader.unsigned(), hash: try reader.data(maximum: SHA256.digestByteCount, "audit head"))
        try readRegistry(&reader, into: &state)
        try readTokens(&reader, into: &state)
        if try reader.bool() {
            let json = try reader.data(maximum: GovernanceLimits.maximumModelBytes, "model")
            do {
                state.model = try parseModel(json)
            } catch {
                throw SnapshotError(message: "model: \(error.message)")
            }
        }
        let tupleCount = try reader.count(maximum: GovernanceLimits.maximumTuples, "tuples")
        for _ in 0..<tupleCount {
            guard state.tuples.insert(try TupleCoding.readTuple(&reader)) else { throw SnapshotError(message: "duplicate tuple") }
        }
        let rememberedCount = try reader.count(maximum: GovernanceLimits.idempotencyCapacity, "idempotency keys")
        var remembered: [(key: String, entry: IdempotencyTable.Entry)] = []
        for _ in 0..<rememberedCount {
            let key = try reader.string(maximum: GovernanceLimits.maximumIdentifierBytes, "idempotency key")
            let revision = try reader.unsigned(), timestamp = try reader.signed()
            let result = try CommandResult.read(&reader)
            remembered.append((key, IdempotencyTable.Entry(result: result, revision: revision, timestampMilliseconds: timestamp)))
        }
        state.idempotency = IdempotencyTable(restoring: remembered)
        return state
    }

    private static func readRegistry(_ reader: inout ByteReader, into state: inout GovernanceState) throws {
        for _ in 0..<(try reader.count(maximum: GovernanceLimits.maximumAgents, "agents")) {
            let agent = try Agent.read(&reader)
            state.agents[agent.id] = agent
        }
        for _ in 0..<(try reader.count(maximum: GovernanceLimits.maximumUsers, "users")) {
            let user = try User.read(&reader)
            state.users[user.id] = user
        }
        for _ in 0..<(try reader.count(maximum: GovernanceLimits.maximumConnections, "connections")) {
            let connection = try Connection.read(&reader)
            state.connections[connection.id] = connection
        }
        for _ in 0..<(try reader.count(maximum: GovernanceLimits.maximumAPIKeys, "api keys")) {
            let key = try APIKey.read(&reader)
            state.apiKeys[key.id] = key
        }
        for _ in 0..<(try reader.count(maximum: GovernanceLimits.maximumSigningKeys, "signing keys")) {
            let key = try SigningKey.read(&reader)
            state.signingKeys[key.kid] = key
        }
    }

    private static func readTokens(_ reader: inout ByteReader, into state: inout GovernanceState) throws {
        let idBound = GovernanceLimits.maximumIdentifierBytes
        for _ in 0..<(try reader.count(maximum: GovernanceLimits.maximumLiveTokens, "issued tokens")) {
            let token = try IssuedToken.read(&reader)
            state.issuedTokens[token.jti] = token
        }
        for _ in 0..<(try reader.count(maximum: GovernanceLimits.maximumLiveTokens, "revoked tokens")) {
            let jti = try reader.string(maximum: idBound, "jti")
            state.revokedTokens[jti] = try reader.signed()
        }
        for _ in 0..<(try reader.count(maximum: GovernanceLimits.maximumDecisionSources, "decision sources")) {
            let source = try reader.string(maximum: idBound, "source")
            state.decisionBatches[source] = try reader.unsigned()
        }
    }

    /// Indexes derived from the tables: the connection pair index and the model's facts.
    private mutating func rebuildDerivedIndexes() {
        connectionIDByPair = [:]
        for connection in connections.values {
            connectionIDByPair[Self.pairKey(connection.caller, connection.callee)] = connection.id
        }
        modelID = model.map { Self.hex(SHA256.hash($0.canonicalJSON)) }
        modelFacts = ModelFacts(model)
    }
}
