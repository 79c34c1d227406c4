import Authorization
import Crypto
import Governance
import HTTP
import JSON

// MARK: - Model and tuples

/// `/v1/model` and `/v1/tuples`.
enum RelationRoutes {
    static let routes: [RouteDefinition] = [
        RouteDefinition("PUT", "/v1/model", roles: RouteRoles.admin, summary: "Replace the OpenFGA authorization model",
            request: "AuthorizationModel", response: "ModelWritten", handler: putModel),
        RouteDefinition("GET", "/v1/model", roles: RouteRoles.readers, summary: "The authorization model in force",
            query: ["consistency"], response: "ModelEnvelope", handler: getModel),
        RouteDefinition("POST", "/v1/tuples", roles: RouteRoles.admin, summary: "Write and delete tuples atomically",
            request: "TupleWrite", response: "TuplesWritten", handler: writeTuples),
        RouteDefinition("GET", "/v1/tuples", roles: RouteRoles.readers, summary: "List tuples",
            query: ["object", "relation", "user", "after", "limit", "consistency"], response: "TupleList", handler: readTuples),
    ]

    // MARK: - Model

    static func putModel(_ request: RouteRequest) -> APIOperation {
        let bytes = request.request.body
        let parsed: Result<[UInt8], Problem>
        do {
            let value = try JSONParser.parse(bytes, maximumDepth: JSONParser.defaultMaximumDepth)
            do {
                _ = try AuthorizationModel.parse(value)
                parsed = .success(bytes)
            } catch {
                parsed = .failure(.invalid(error.path.isEmpty ? "model" : error.path, error.message))
            }
        } catch {
            parsed = .failure(.invalid("body", error.description))
        }
        return request.writeParsed(parsed, waitForEnforcers: false) { json, context in
            RouteRequest.prepared(.writeModel(json: json), context) { applied in
                let result = applied.result
                guard case .model(let modelID) = result else { return nil }
                return ["model_id": .string(modelID)]
            }
        }
    }

    static func getModel(_ request: RouteRequest) -> APIOperation {
        request.readJSON { context in
            guard let model = context.state.model, let modelID = context.state.modelID,
                let json = try? JSONParser.parse(model.canonicalJSON)
            else { return .failure(.notFound("no authorization model has been written")) }
            return .success(["model_id": .string(modelID), "model": json])
        }
    }

    // MARK: - Tuples

    struct TupleBody: Sendable {
        var writes: [RelationshipTuple]
        var deletes: [TupleKey]
    }

    static func writeTuples(_ request: RouteRequest) -> APIOperation {
        request.write { reader -> TupleBody? in
            let limit = GovernanceLimits.maximumTuplesPerWrite
            let writes = reader.array("writes", required: false, maximumCount: limit) ?? []
            let deletes = reader.array("deletes", required: false, maximumCount: limit) ?? []
            if writes.isEmpty && deletes.isEmpty { reader.fail("writes", "writes or deletes must name at least one tuple") }
            let tuples = writes.enumerated().compactMap { index, value in tuple(value, path: "writes[\(index)]", &reader, conditions: true) }
            let keys = deletes.enumerated().compactMap { index, value in
                tuple(value, path: "deletes[\(index)]", &reader, conditions: false)?.key
            }
            return reader.errors.isEmpty ? TupleBody(writes: tuples, deletes: keys) : nil
        } make: { body, context in
            RouteRequest.prepared(.writeTuples(writes: body.writes, deletes: body.deletes), context) { applied in
                let result = applied.result
                guard case .tuples(let written, let deleted) = result else { return nil }
                return ["written": .integer(Int64(written)), "deleted": .integer(Int64(deleted))]
            }
        }
    }

    /// One tuple `{user, relation, object, condition?}` at `path`; errors go to `reader`.
    static func tuple(_ value: JSONValue, path: String, _ reader: inout JSONObjectReader, conditions: Bool) -> RelationshipTuple? {
        var element = JSONObjectReader(value, path: path)
        let user = element.typedReference("user", required: true)
        let relation = element.identifier("relation", required: true)
        let object = element.typedReference("object", required: true)
        var condition: TupleCondition?
        if conditions {
            condition = element.object("condition", required: false) { nested -> TupleCondition? in
                let name = nested.identifier("name", required: true)
                let context = nested.conditionMap("context", required: false) ?? [:]
                return name.map { TupleCondition(name: $0, context: context) }
            }
        }
        let errors = element.finish()
        reader.absorb(errors)
        guard errors.isEmpty, let user, let relation, let object else { return nil }
        return RelationshipTuple(user: user, relation: relation, object: object, condition: condition)
    }

    static func readTuples(_ request: RouteRequest) -> APIOperation {
        let query = request.query
        let limit: Int
        switch Pagination.limit(query["limit"]) {
        case .success(let value): limit = value
        case .failure(let problem): return .respond(problem.response())
        }
        var after: TupleKey?
        if let cursor = query["after"] {
            guard let key = TupleCursor.decode(cursor) else { return .respond(Problem.invalid("after", "not a cursor from a previous page").response()) }
            after = key
        }
        let start = after
        return request.readJSON { context in
            let page = context.state.tuples.read(
                object: query["object"], relation: query["relation"], user: query["user"], after: start, limit: limit + 1)
            let shown = page.prefix(limit)
            let next: JSONValue = page.count > limit ? shown.last.map { .string(TupleCursor.encode($0.key)) } ?? .null : .null
            return .success(["tuples": .array(shown.map(APIRendering.tuple)), "next": next])
        }
    }
}

// MARK: - Tuple cursor

/// The opaque `after` cursor of tuple listings: base64url of `[user, relation, object]` JSON.
enum TupleCursor {
    static func encode(_ key: TupleKey) -> String {
        Base64URL.encode(JSONWriter().bytes([.string(key.user), .string(key.relation), .string(key.object)]))
    }

    static func decode(_ cursor: String) -> TupleKey? {
        guard let bytes = Base64URL.decode(cursor), let value = try? JSONParser.parse(bytes),
            let parts = value.arrayValue, parts.count == 3,
            let user = parts[0].stringValue, let relation = parts[1].stringValue, let object = parts[2].stringValue
        else { return nil }
        return TupleKey(user: user, relation: relation, object: object)
    }
}
