import JSON

// MARK: - connections, model, tuples, check

/// `warden connections|model|tuples|check`: who may call whom, and who may do what.
enum AdminPolicyCommands {
    /// The text of `warden connections --help`.
    static let connectionsUsage = """
        usage: warden connections create --caller AGENT --callee AGENT --scope TYPE:RELATION ...
                                         --max-ttl SECONDS [--expires-at RFC3339] [--id ID]
               warden connections list [--caller AGENT] [--callee AGENT]
               warden connections get ID
               warden connections delete ID
        """

    /// The text of `warden model --help`.
    static let modelUsage = """
        usage: warden model put FILE    write an OpenFGA JSON model (schema_version, type_definitions, conditions)
               warden model get
        """

    /// The text of `warden tuples --help`.
    static let tuplesUsage = """
        usage: warden tuples write USER RELATION OBJECT [--condition NAME [--context JSON]]
               warden tuples delete USER RELATION OBJECT
               warden tuples list [--object O] [--relation R] [--user U] [--after CURSOR] [--limit N]
        e.g.   warden tuples write user:anne approver invoice:1 --condition within_limit
        """

    /// The text of `warden check --help`.
    static let checkUsage = """
        usage: warden check --agent AGENT --action RELATION --resource TYPE:ID
                            [--on-behalf-of user:ID] [--context JSON] [--token TOKEN]
                            [--consistency linearizable|serializable|at_least:REVISION]
        prints allowed or denied with the reasons; the exit status is 0 either way.
        """

    // MARK: - Connections

    /// `warden connections create|list|get|delete`: `/v1/connections`.
    static func connections(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        let action = arguments.positionals.first
        switch action {
        case "create":
            var body: [String: JSONValue] = [
                "caller": .string(try arguments.required("caller")), "callee": .string(try arguments.required("callee")),
                "scopes": .array(arguments.list("scope").map(JSONValue.string)),
                "max_token_ttl_seconds": .integer(try arguments.integer("max-ttl") ?? 300),
            ]
            if let expiry = arguments.value("expires-at") { body["expires_at"] = .string(expiry) }
            if let id = arguments.value("id") { body["id"] = .string(id) }
            try arguments.finish(positionalCount: 1)
            let response = try invocation.client.send("POST", "/v1/connections", json: .object(body))
            invocation.show(response) { showConnection($0["connection"]) }
        case "list":
            let query = [("caller", arguments.value("caller")), ("callee", arguments.value("callee"))]
            try arguments.finish(positionalCount: 1)
            let response = try invocation.client.send("GET", "/v1/connections", query: query)
            invocation.show(response) { body in
                let rows = (body["connections"]?.arrayValue ?? []).map { connection in
                    AdminOutput.row(connection, ["id", "caller", "callee", "scopes", "max_token_ttl_seconds", "expires_at"])
                }
                AdminOutput.table(["ID", "CALLER", "CALLEE", "SCOPES", "MAX_TTL", "EXPIRES"], rows)
            }
        case "get", "delete":
            let id = try arguments.positional(1, "connection id")
            try arguments.finish(positionalCount: 2)
            let method = action == "get" ? "GET" : "DELETE"
            let response = try invocation.client.send(method, "/v1/connections/" + AdminURL.segment(id))
            invocation.show(response) { body in
                if method == "GET" { showConnection(body["connection"]) } else { print("deleted connection \(id)") }
            }
        default: throw AdminCommand.unknownAction(action, in: "connections")
        }
    }

    /// A connection as aligned fields.
    private static func showConnection(_ connection: JSONValue?) {
        AdminOutput.fields(["id", "caller", "callee", "scopes", "max_token_ttl_seconds", "expires_at"].map {
            ($0, AdminOutput.text(connection?[$0]))
        })
    }

    // MARK: - Model

    /// `warden model put|get`: `/v1/model`.
    static func model(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        let arguments = invocation.arguments
        let action = arguments.positionals.first
        switch action {
        case "put":
            let path = try arguments.positional(1, "model file")
            try arguments.finish(positionalCount: 2)
            let bytes = try AdminFile.read(path)
            let model: JSONValue
            do { model = try JSONParser.parse(bytes) } catch { throw .input("\(path): \(error)") }
            let response = try invocation.client.send("PUT", "/v1/model", json: model)
            invocation.show(response) { body in
                print("model \(AdminOutput.text(body["model_id"])) written at revision \(AdminOutput.text(body["revision"]))")
            }
        case "get":
            try arguments.finish(positionalCount: 1)
            let response = try invocation.client.send("GET", "/v1/model")
            invocation.show(response) { body in
                print("model_id: \(AdminOutput.text(body["model_id"]))")
                print(JSONWriter().string(body["model"] ?? .null))
            }
        default: throw AdminCommand.unknownAction(action, in: "model")
        }
    }

    // MARK: - Tuples

    /// `warden tuples write|delete|list`: `/v1/tuples`.
    static func tuples(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        let action = arguments.positionals.first
        switch action {
        case "write", "delete":
            var tuple: [String: JSONValue] = [
                "user": .string(try arguments.positional(1, "USER")), "relation": .string(try arguments.positional(2, "RELATION")),
                "object": .string(try arguments.positional(3, "OBJECT")),
            ]
            if action == "write", let name = arguments.value("condition") {
                var context = JSONValue.object([:])
                if let text = arguments.value("context") { context = try parseJSON(text, "--context") }
                tuple["condition"] = .object(["name": .string(name), "context": context])
            }
            try arguments.finish(positionalCount: 4)
            let body: JSONValue = [action == "write" ? "writes" : "deletes": [.object(tuple)]]
            let response = try invocation.client.send("POST", "/v1/tuples", json: body)
            invocation.show(response) { body in
                print("written \(AdminOutput.text(body["written"])), deleted \(AdminOutput.text(body["deleted"])) at revision \(AdminOutput.text(body["revision"]))")
            }
        case "list":
            let query = ["object", "relation", "user", "after", "limit"].map { ($0, arguments.value($0)) }
            try arguments.finish(positionalCount: 1)
            let response = try invocation.client.send("GET", "/v1/tuples", query: query)
            invocation.show(response) { body in
                let rows = (body["tuples"]?.arrayValue ?? []).map { tuple in
                    AdminOutput.row(tuple, ["user", "relation", "object"]) + [AdminOutput.text(tuple["condition"]?["name"])]
                }
                AdminOutput.table(["USER", "RELATION", "OBJECT", "CONDITION"], rows)
                if let next = body["next"]?.stringValue { print("more: --after \(next)") }
            }
        default: throw AdminCommand.unknownAction(action, in: "tuples")
        }
    }

    // MARK: - Check

    /// `warden check`: `POST /v1/check`.
    static func check(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        var body: [String: JSONValue] = [
            "agent": .string(try arguments.required("agent")), "action": .string(try arguments.required("action")),
            "resource": .string(try arguments.required("resource")),
        ]
        for (option, field) in [("on-behalf-of", "on_behalf_of"), ("token", "token"), ("consistency", "consistency")] {
            if let value = arguments.value(option) { body[field] = .string(value) }
        }
        if let text = arguments.value("context") { body["context"] = try parseJSON(text, "--context") }
        try arguments.finish(positionalCount: 0)
        let response = try invocation.client.send("POST", "/v1/check", json: .object(body))
        invocation.show(response) { result in
            let allowed = result["allowed"]?.boolValue == true
            print("\(allowed ? "allowed" : "denied") at revision \(AdminOutput.text(result["revision"])) (decision \(AdminOutput.text(result["decision_id"])))")
            for reason in result["reasons"]?.arrayValue ?? [] {
                guard case .object(var members) = reason else { continue }
                let code = members.removeValue(forKey: "code")
                print("  \(AdminOutput.text(code))" + (members.isEmpty ? "" : " \(JSONWriter().string(.object(members)))"))
            }
        }
    }

    /// A JSON argument, or a usage error naming the option.
    static func parseJSON(_ text: String, _ option: String) throws(AdminFailure) -> JSONValue {
        do { return try JSONParser.parse(text) } catch { throw .usage("\(option) must be JSON: \(error)") }
    }
}
