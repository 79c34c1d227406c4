import JSON

// MARK: - agents, users

/// `warden agents …` and `warden users …`: the registry.
enum AdminRegistryCommands {
    /// The text of `warden agents --help`.
    static let agentsUsage = """
        usage: warden agents list [--status S] [--owner O] [--kind K] [--after ID] [--limit N]
               warden agents get ID
               warden agents register --name NAME --owner USER [--id ID] [--kind agent|service]
                                      [--scope TYPE:RELATION ...] [--attribute KEY=VALUE ...]
               warden agents update ID [--name N] [--owner O] [--status active|suspended]
                                    [--scope S ...] [--attribute KEY=VALUE ...] [--rotate-secret]
               warden agents delete ID
        register and --rotate-secret print the agent's client secret once: keep it.
        attribute values are JSON when they parse as JSON (10, true, "x"), else strings.
        """

    /// The text of `warden users --help`.
    static let usersUsage = """
        usage: warden users set ID KEY=VALUE ...   replace the user's attributes (e.g. approval_limit=5000 on_duty=true)
               warden users get ID
        ID is the bare id: anne for user:anne. Values are JSON when they parse as JSON, else strings.
        """

    /// `warden agents list|get|register|update|delete`: `/v1/agents`.
    static func agents(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        let action = invocation.arguments.positionals.first
        switch action {
        case "list": try listAgents(&invocation)
        case "get":
            let id = try invocation.arguments.positional(1, "agent id")
            try invocation.arguments.finish(positionalCount: 2)
            let response = try invocation.client.send("GET", "/v1/agents/" + AdminURL.segment(id))
            invocation.show(response) { showAgent($0["agent"]) }
        case "register": try registerAgent(&invocation)
        case "update": try updateAgent(&invocation)
        case "delete":
            let id = try invocation.arguments.positional(1, "agent id")
            try invocation.arguments.finish(positionalCount: 2)
            let response = try invocation.client.send("DELETE", "/v1/agents/" + AdminURL.segment(id))
            invocation.show(response) { _ in print("deleted agent \(id) (revision \(response.revision ?? "?"))") }
        default: throw AdminCommand.unknownAction(action, in: "agents")
        }
    }

    /// `GET /v1/agents` with its filters, as a table.
    private static func listAgents(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        let query = ["status", "owner", "kind", "after", "limit"].map { ($0, arguments.value($0)) }
        try arguments.finish(positionalCount: 1)
        let response = try invocation.client.send("GET", "/v1/agents", query: query)
        invocation.show(response) { body in
            let rows = (body["agents"]?.arrayValue ?? []).map { agent in
                AdminOutput.row(agent, ["id", "name", "owner", "kind", "status", "risk_score", "scopes"])
            }
            AdminOutput.table(["ID", "NAME", "OWNER", "KIND", "STATUS", "RISK", "SCOPES"], rows)
            if let next = body["next"]?.stringValue { print("more: --after \(next)") }
        }
    }

    /// `POST /v1/agents`; prints the client secret, which the server shows once.
    private static func registerAgent(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        var body: [String: JSONValue] = [
            "name": .string(try arguments.required("name")), "owner": .string(try arguments.required("owner")),
            "kind": .string(arguments.value("kind") ?? "agent"),
            "scopes": .array(arguments.list("scope").map(JSONValue.string)),
            "attributes": .object(try attributes(arguments.values("attribute"))),
        ]
        if let id = arguments.value("id") { body["id"] = .string(id) }
        try arguments.finish(positionalCount: 1)
        let response = try invocation.client.send("POST", "/v1/agents", json: .object(body))
        invocation.show(response) { body in
            showAgent(body["agent"])
            if body["replayed"]?.boolValue == true {
                // A retry after an unclear first attempt: the first one registered the agent, and
                // its secret, never shown, cannot be shown now.
                print("already registered by an earlier attempt; get a secret with: warden agents update \(AdminOutput.text(body["agent"]?["id"])) --rotate-secret")
            } else {
                print("client_secret: \(AdminOutput.text(body["client_secret"]))   (shown once: keep it)")
            }
        }
    }

    /// `PATCH /v1/agents/{id}` with only the fields given.
    private static func updateAgent(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        let id = try arguments.positional(1, "agent id")
        var body: [String: JSONValue] = [:]
        for name in ["name", "owner", "status"] { if let value = arguments.value(name) { body[name] = .string(value) } }
        let scopes = arguments.list("scope")
        if !scopes.isEmpty { body["scopes"] = .array(scopes.map(JSONValue.string)) }
        let attributeArguments = arguments.values("attribute")
        if !attributeArguments.isEmpty { body["attributes"] = .object(try attributes(attributeArguments)) }
        if arguments.flag("rotate-secret") { body["rotate_secret"] = true }
        try arguments.finish(positionalCount: 2)
        guard !body.isEmpty else { throw .usage("nothing to update: give --name, --owner, --status, --scope, --attribute or --rotate-secret") }
        let response = try invocation.client.send("PATCH", "/v1/agents/" + AdminURL.segment(id), json: .object(body))
        invocation.show(response) { body in
            showAgent(body["agent"])
            if let secret = body["client_secret"]?.stringValue { print("client_secret: \(secret)   (shown once: keep it)") }
        }
    }

    /// An agent as aligned fields.
    static func showAgent(_ agent: JSONValue?) {
        var pairs = ["id", "name", "owner", "kind", "status", "scopes", "attributes", "risk_score", "valid_after"].map {
            ($0, AdminOutput.text(agent?[$0]))
        }
        if let kill = agent?["kill"] {
            pairs.append(("killed", "at revision \(AdminOutput.text(kill["revision"])): \(AdminOutput.text(kill["reason"]))"))
        }
        AdminOutput.fields(pairs)
    }

    // MARK: - Users

    /// `warden users set|get`: `/v1/users/{id}`.
    static func users(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        let action = invocation.arguments.positionals.first
        let arguments = invocation.arguments
        switch action {
        case "set":
            let id = try arguments.positional(1, "user id")
            let pairs = Array(arguments.positionals.dropFirst(2))
            guard !pairs.isEmpty else { throw .usage("give at least one KEY=VALUE attribute") }
            try arguments.finish(positionalCount: arguments.positionals.count)
            let body: JSONValue = ["attributes": .object(try attributes(pairs))]
            let response = try invocation.client.send("PUT", "/v1/users/" + AdminURL.segment(id), json: body)
            invocation.show(response) { showUser($0["user"]) }
        case "get":
            let id = try arguments.positional(1, "user id")
            try arguments.finish(positionalCount: 2)
            let response = try invocation.client.send("GET", "/v1/users/" + AdminURL.segment(id))
            invocation.show(response) { showUser($0["user"]) }
        default: throw AdminCommand.unknownAction(action, in: "users")
        }
    }

    /// A user as aligned fields.
    private static func showUser(_ user: JSONValue?) {
        AdminOutput.fields(["id", "attributes", "cut", "updated_revision"].map { ($0, AdminOutput.text(user?[$0])) })
    }

    /// `KEY=VALUE` arguments as an attribute map; a value is JSON when it parses as JSON.
    static func attributes(_ pairs: [String]) throws(AdminFailure) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw .usage("attribute '\(pair)' must be KEY=VALUE")
            }
            let text = String(pair[pair.index(after: equals)...])
            result[String(pair[..<equals])] = (try? JSONParser.parse(text)) ?? .string(text)
        }
        return result
    }
}
