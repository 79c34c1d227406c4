import Authorization
import Crypto
import JSON

// MARK: - Model

extension GovernanceState {
    /// Replaces the model. The bytes are parsed, validated and stored canonically; the model id
    /// is the hex SHA-256 of the canonical JSON. Existing tuples are kept (as OpenFGA does).
    mutating func writeModel(_ json: [UInt8], _ context: ApplyContext, _ effects: inout ApplyEffects) throws(Rejection) -> CommandResult {
        guard json.count <= GovernanceLimits.maximumModelBytes else {
            throw .invalidArgument(field: "model", message: "larger than \(GovernanceLimits.maximumModelBytes) bytes")
        }
        let parsed = try Self.parseModel(json)
        let canonical = parsed.canonicalJSON
        let identifier = Self.hex(SHA256.hash(canonical))
        model = parsed
        modelID = identifier
        modelFacts = ModelFacts(parsed)
        effects.record("model_written", subject: "model:" + identifier, detail: ["types": parsed.typeNames.joined(separator: " ")])
        effects.feed.append(.model(modelID: identifier, canonicalJSON: canonical))
        return .model(modelID: identifier)
    }

    static func parseModel(_ json: [UInt8]) throws(Rejection) -> AuthorizationModel {
        let value: JSONValue
        do {
            value = try JSONParser.parse(json)
        } catch {
            throw .invalidArgument(field: "model", message: error.description)
        }
        do {
            return try AuthorizationModel.parse(value)
        } catch {
            throw .invalidArgument(field: "model." + error.path, message: error.message)
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: - Tuples

    /// Deletes then writes, all or nothing: every write must validate under the model and be
    /// new (unless deleted in the same request), every delete must exist, no key twice.
    mutating func writeTuples(
        _ writes: [RelationshipTuple], _ deletes: [TupleKey], _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        guard let model else { throw .preconditionFailed("no authorization model has been written") }
        // Stored (and fed to enforcers) with contexts in their declared types, so no check re-parses them.
        let writes = writes.map { model.normalized($0) }
        let total = writes.count + deletes.count
        guard total > 0, total <= GovernanceLimits.maximumTuplesPerWrite else {
            throw .invalidArgument(field: "writes", message: "1 to \(GovernanceLimits.maximumTuplesPerWrite) writes and deletes together")
        }
        var deleting = Set<TupleKey>()
        for (index, key) in deletes.enumerated() {
            try Self.checkBounds(key, field: "deletes[\(index)]")
            guard deleting.insert(key).inserted else { throw .invalidArgument(field: "deletes[\(index)]", message: "duplicate tuple") }
            guard tuples.contains(key) else { throw .notFound(kind: "tuple", id: Self.describe(key)) }
        }
        var writing = Set<TupleKey>()
        for (index, tuple) in writes.enumerated() {
            try validateWrite(tuple, index: index, model: model)
            guard writing.insert(tuple.key).inserted else { throw .invalidArgument(field: "writes[\(index)]", message: "duplicate tuple") }
            guard !tuples.contains(tuple.key) || deleting.contains(tuple.key) else {
                throw .alreadyExists(kind: "tuple", id: Self.describe(tuple.key))
            }
        }
        guard tuples.count - deletes.count + writes.count <= GovernanceLimits.maximumTuples else {
            throw .preconditionFailed("the tuple store is full")
        }
        for key in deletes { tuples.remove(key) }
        for tuple in writes { tuples.insert(tuple) }
        effects.record("tuples_written", subject: "tuples", detail: [
            "written": String(writes.count), "deleted": String(deletes.count),
            "keys": (writes.map(\.key) + deletes).map(Self.describe).joined(separator: " "),
        ])
        effects.feed.append(.tuples(writes: writes, deletes: deletes))
        return .tuples(written: writes.count, deleted: deletes.count)
    }

    private func validateWrite(_ tuple: RelationshipTuple, index: Int, model: AuthorizationModel) throws(Rejection) {
        let field = "writes[\(index)]"
        try Self.checkBounds(tuple.key, field: field)
        if let condition = tuple.condition {
            try Validation.identifier(condition.name, field + ".condition.name")
            try Validation.attributes(condition.context, field + ".condition.context", maximumBytes: GovernanceLimits.maximumContextBytes)
        }
        do {
            try tuples.validate(tuple, against: model)
        } catch {
            throw .invalidArgument(field: field + "." + error.field, message: error.message)
        }
    }

    private static func checkBounds(_ key: TupleKey, field: String) throws(Rejection) {
        let bound = GovernanceLimits.maximumTupleFieldBytes
        guard !key.user.isEmpty, key.user.utf8.count <= bound else { throw .invalidArgument(field: field + ".user", message: "1 to \(bound) bytes") }
        guard !key.object.isEmpty, key.object.utf8.count <= bound else { throw .invalidArgument(field: field + ".object", message: "1 to \(bound) bytes") }
        try Validation.identifier(key.relation, field + ".relation")
    }

    static func describe(_ key: TupleKey) -> String { key.object + "#" + key.relation + "@" + key.user }
}
