// MARK: - Results in binary (idempotency table in snapshots)

extension CommandResult {
    func write(into writer: inout ByteWriter) {
        switch self {
        case .agent(let agent): writer.byte(1); agent.write(into: &writer)
        case .agentKilled(let agent): writer.byte(2); agent.write(into: &writer)
        case .deleted(let kind, let id): writer.byte(3); writer.string(kind); writer.string(id)
        case .user(let user): writer.byte(4); user.write(into: &writer)
        case .connection(let connection): writer.byte(5); connection.write(into: &writer)
        case .model(let modelID): writer.byte(6); writer.string(modelID)
        case .tuples(let written, let deleted): writer.byte(7); writer.count(written); writer.count(deleted)
        case .tokenRevoked(let jti): writer.byte(8); writer.string(jti)
        case .tokenIssued(let token): writer.byte(9); token.write(into: &writer)
        case .risk(let score, let killed): writer.byte(10); writer.double(score); writer.bool(killed)
        case .settings(let settings): writer.byte(11); settings.write(into: &writer)
        case .apiKey(let key): writer.byte(12); key.write(into: &writer)
        case .signingKey(let key): writer.byte(13); key.write(into: &writer)
        case .decisionBatch(let applied, let recorded): writer.byte(14); writer.bool(applied); writer.count(recorded)
        case .rejected(let rejection): writer.byte(15); rejection.write(into: &writer)
        }
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> CommandResult {
        let id = GovernanceLimits.maximumIdentifierBytes
        let tag = try reader.byte()
        switch tag {
        case 1: return .agent(try Agent.read(&reader))
        case 2: return .agentKilled(try Agent.read(&reader))
        case 3: return .deleted(kind: try reader.string(maximum: id, "kind"), id: try reader.string(maximum: id, "id"))
        case 4: return .user(try User.read(&reader))
        case 5: return .connection(try Connection.read(&reader))
        case 6: return .model(modelID: try reader.string(maximum: id, "model id"))
        case 7:
            let bound = GovernanceLimits.maximumTuplesPerWrite
            return .tuples(written: try reader.number(maximum: bound, "written"), deleted: try reader.number(maximum: bound, "deleted"))
        case 8: return .tokenRevoked(jti: try reader.string(maximum: id, "jti"))
        case 9: return .tokenIssued(try IssuedToken.read(&reader))
        case 10: return .risk(score: try reader.double(), killed: try reader.bool())
        case 11: return .settings(try Settings.read(&reader))
        case 12: return .apiKey(try APIKey.read(&reader))
        case 13: return .signingKey(try SigningKey.read(&reader))
        case 14:
            return .decisionBatch(
                applied: try reader.bool(),
                recorded: try reader.number(maximum: GovernanceLimits.maximumDecisionsPerBatch, "recorded"))
        case 15: return .rejected(try Rejection.read(&reader))
        default: throw reader.failure("unknown result tag \(tag)")
        }
    }
}

extension Rejection {
    func write(into writer: inout ByteWriter) {
        switch self {
        case .notFound(let kind, let id): writer.byte(1); writer.string(kind); writer.string(id)
        case .alreadyExists(let kind, let id): writer.byte(2); writer.string(kind); writer.string(id)
        case .invalidArgument(let field, let message): writer.byte(3); writer.string(field); writer.string(message)
        case .conflict(let message): writer.byte(4); writer.string(message)
        case .preconditionFailed(let message): writer.byte(5); writer.string(message)
        }
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> Rejection {
        let text = GovernanceLimits.maximumTextBytes
        let tag = try reader.byte()
        switch tag {
        case 1: return .notFound(kind: try reader.string(maximum: text, "kind"), id: try reader.string(maximum: text, "id"))
        case 2: return .alreadyExists(kind: try reader.string(maximum: text, "kind"), id: try reader.string(maximum: text, "id"))
        case 3: return .invalidArgument(field: try reader.string(maximum: text, "field"), message: try reader.string(maximum: text, "message"))
        case 4: return .conflict(try reader.string(maximum: text, "message"))
        case 5: return .preconditionFailed(try reader.string(maximum: text, "message"))
        default: throw reader.failure("unknown rejection tag \(tag)")
        }
    }
}
