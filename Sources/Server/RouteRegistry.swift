import Authorization
import Crypto
import Governance
import HTTP
import JSON

// MARK: - Registry routes

/// `/v1/agents` and `/v1/users`.
enum RegistryRoutes {
    /// Random bytes in a generated agent client secret.
    static let clientSecretByteCount = 32
    /// Random bytes in a generated object id.
    static let generatedIDByteCount = 8

    static let routes: [RouteDefinition] = [
        RouteDefinition("POST", "/v1/agents", roles: RouteRoles.admin, summary: "Register an agent or service",
            request: "AgentRegistration", response: "AgentCreated", status: 201, handler: register),
        RouteDefinition("GET", "/v1/agents", roles: RouteRoles.readers, summary: "List agents",
            query: ["status", "owner", "kind", "after", "limit", "consistency"], response: "AgentList", handler: list),
        RouteDefinition("GET", "/v1/agents/{id}", roles: RouteRoles.readers, summary: "Get an agent",
            query: ["consistency"], response: "AgentEnvelope", handler: get),
        RouteDefinition("PATCH", "/v1/agents/{id}", roles: RouteRoles.admin, summary: "Update an agent",
            request: "AgentUpdate", response: "AgentEnvelope", handler: update),
        RouteDefinition("DELETE", "/v1/agents/{id}", roles: RouteRoles.admin, summary: "Delete an agent",
            response: "Deleted", handler: delete),
        RouteDefinition("PUT", "/v1/users/{id}", roles: RouteRoles.admin, summary: "Set a user's attributes",
            request: "UserAttributes", response: "UserEnvelope", handler: putUser),
        RouteDefinition("GET", "/v1/users/{id}", roles: RouteRoles.readers, summary: "Get a user",
            query: ["consistency"], response: "UserEnvelope", handler: getUser),
    ]

    /// A generated id: `prefix-` then hex random bytes.
    static func generatedID(_ prefix: String, _ context: WriteContext) -> String {
        prefix + "-" + APIValidation.hex(context.randomBytes(generatedIDByteCount))
    }

    /// A new client secret and the hash the log carries.
    static func clientSecret(_ context: WriteContext) -> (plaintext: String, hash: [UInt8]) {
        let plaintext = Base64URL.encode(context.randomBytes(clientSecretByteCount))
        return (plaintext, HMACSHA256.authenticate(Array(plaintext.utf8), key: context.secrets.clientSecretKey))
    }

    // MARK: - Agents

    struct Registration: Sendable {
        var id: String?
        var name: String
        var owner: String
        var kind: AgentKind
        var scopes: [String]
        var attributes: [String: ConditionValue]
    }

    static func register(_ request: RouteRequest) -> APIOperation {
        request.write { reader -> Registration? in
            let id = reader.identifier("id", required: false)
            let name = reader.string("name", required: true)
            let owner = reader.identifier("owner", required: true)
            let kind = agentKind(&reader, required: false)
            let scopes = reader.scopes("scopes", required: false)
            let attributes = reader.conditionMap("attributes", required: false)
            guard let name, let owner, reader.errors.isEmpty else { return nil }
            return Registration(
                id: id, name: name, owner: owner, kind: kind ?? .agent, scopes: scopes ?? [], attributes: attributes ?? [:])
        } make: { body, context in
            let secret = clientSecret(context)
            let registration = AgentRegistration(
                id: body.id ?? generatedID("agt", context), name: body.name, owner: body.owner, kind: body.kind,
                scopes: body.scopes, attributes: body.attributes, secretHash: secret.hash)
            return RouteRequest.prepared(.registerAgent(registration), context, status: 201) { applied in
                let result = applied.result
                guard case .agent(let agent) = result else { return nil }
                var members: [String: JSONValue] = ["agent": APIRendering.agent(agent)]
                members[applied.replayed ? "replayed" : "client_secret"] = applied.replayed ? true : .string(secret.plaintext)
                return members
            }
        }
    }

    static func agentKind(_ reader: inout JSONObjectReader, required: Bool) -> AgentKind? {
        guard let text = reader.string("kind", required: required) else { return nil }
        guard let kind = AgentKind.allCases.first(where: { $0.name == text }) else {
            reader.fail("kind", "must be \"agent\" or \"service\"")
            return nil
        }
        return kind
    }

    static func list(_ request: RouteRequest) -> APIOperation {
        let query = request.query
        let status = query["status"], owner = query["owner"], kind = query["kind"], after = query["after"]
        let limit: Int
        switch Pagination.limit(query["limit"]) {
        case .success(let value): limit = value
        case .failure(let problem): return .respond(problem.response())
        }
        if let status, !AgentStatus.allCases.contains(where: { $0.name == status }) {
            return .respond(Problem.invalid("status", "must be active, suspended or killed").response())
        }
        if let kind, !AgentKind.allCases.contains(where: { $0.name == kind }) {
            return .respond(Problem.invalid("kind", "must be agent or service").response())
        }
        return request.readJSON { context in
            let matching = context.state.agents.values.filter { agent in
                (status == nil || agent.status.name == status) && (owner == nil || agent.owner == owner)
                    && (kind == nil || agent.kind.name == kind) && (after.map { agent.id > $0 } ?? true)
            }
            let page = matching.sorted { $0.id < $1.id }.prefix(limit)
            let next: JSONValue = matching.count > limit ? .string(page.last?.id ?? "") : .null
            return .success(["agents": .array(page.map(APIRendering.agent)), "next": next])
        }
    }

    static func get(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.readJSON { context in
            guard let agent = context.state.agents[id] else { return .failure(.notFound("agent '\(id)' not found")) }
            return .success(["agent": APIRendering.agent(agent)])
        }
    }

    struct Update: Sendable {
        var update: AgentUpdate
        var rotateSecret: Bool
    }

    static func update(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.write { reader -> Update? in
            var update = AgentUpdate(id: id)
            update.name = reader.string("name", required: false)
            update.owner = reader.identifier("owner", required: false)
            update.scopes = reader.scopes("scopes", required: false)
            update.attributes = reader.conditionMap("attributes", required: false)
            if let status = reader.string("status", required: false) {
                switch status {
                case "active": update.status = .active
                case "suspended": update.status = .suspended
                default: reader.fail("status", "must be \"active\" or \"suspended\" (use kill and reinstate)")
                }
            }
            let rotate = reader.bool("rotate_secret", required: false) ?? false
            return reader.errors.isEmpty ? Update(update: update, rotateSecret: rotate) : nil
        } make: { body, context in
            var update = body.update
            let secret = body.rotateSecret ? clientSecret(context) : nil
            update.secretHash = secret?.hash
            return RouteRequest.prepared(.updateAgent(update), context) { applied in
                let result = applied.result
                guard case .agent(let agent) = result else { return nil }
                var members: [String: JSONValue] = ["agent": APIRendering.agent(agent)]
                if let secret, !applied.replayed { members["client_secret"] = .string(secret.plaintext) }
                return members
            }
        }
    }

    static func delete(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.writeWithoutBody { context in
            RouteRequest.prepared(.deleteAgent(id: id), context, render: renderDeleted)
        }
    }

    /// `{deleted:{kind, id}}`.
    @Sendable static func renderDeleted(_ applied: AppliedWrite) -> [String: JSONValue]? {
        guard case .deleted(let kind, let id) = applied.result else { return nil }
        return ["deleted": .object(["kind": .string(kind), "id": .string(id)])]
    }

    // MARK: - Users

    static func putUser(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.write { reader in
            reader.conditionMap("attributes", required: true)
        } make: { attributes, context in
            RouteRequest.prepared(.setUserAttributes(userID: id, attributes: attributes), context, render: renderUser)
        }
    }

    /// `{user}`.
    @Sendable static func renderUser(_ applied: AppliedWrite) -> [String: JSONValue]? {
        guard case .user(let user) = applied.result else { return nil }
        return ["user": APIRendering.user(user)]
    }

    static func getUser(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.readJSON { context in
            guard let user = context.state.users[id] else { return .failure(.notFound("user '\(id)' not found")) }
            return .success(["user": APIRendering.user(user)])
        }
    }
}

// MARK: - Pagination

/// `limit` and `after` for listings.
enum Pagination {
    /// Items per page when `limit` is absent.
    static let defaultLimit = 100
    /// The largest page.
    static let maximumLimit = 1_000

    /// The page size from the `limit` query parameter.
    static func limit(_ text: String?) -> Result<Int, Problem> {
        guard let text else { return .success(defaultLimit) }
        guard let value = Int(text), (1...maximumLimit).contains(value) else {
            return .failure(.invalid("limit", "must be an integer from 1 to \(maximumLimit)"))
        }
        return .success(value)
    }
}
