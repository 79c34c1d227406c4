import JSON

// MARK: - kill, reinstate, signal, audit, cluster

/// The operator's commands: the kill switch, risk signals, the audit chain and membership.
enum AdminOperationCommands {
    /// The text of `warden kill --help`.
    static let killUsage = """
        usage: warden kill AGENT --reason REASON [--wait-for-enforcers]
        once it returns, every linearizable decision on every node denies AGENT and every
        delegation chain that contains it; --wait-for-enforcers also waits for edge acknowledgements.
        """

    /// The text of `warden reinstate --help`.
    static let reinstateUsage = """
        usage: warden reinstate AGENT --reason REASON
        AGENT is active again; tokens minted before now stay dead.
        """

    /// The text of `warden signal --help`.
    static let signalUsage = """
        usage: warden signal AGENT --type TYPE --severity 0-100 --source SOURCE [--detail TEXT]
        crossing the risk threshold (warden settings) kills AGENT in the same revision.
        """

    /// The text of `warden audit --help`.
    static let auditUsage = """
        usage: warden audit list [--after SEQ] [--agent AGENT] [--type TYPE] [--limit N]
               warden audit verify     recheck the whole hash chain (exit 1 when broken)
        """

    /// The text of `warden cluster --help`.
    static let clusterUsage = """
        usage: warden cluster status
               warden cluster add-member ID ADDRESS
               warden cluster remove-member ID
               warden cluster transfer-leadership ID
        """

    /// `warden kill AGENT`: `POST /v1/agents/{id}/kill`.
    static func kill(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        let agent = try arguments.positional(0, "agent id")
        var body: [String: JSONValue] = ["reason": .string(try arguments.required("reason"))]
        if arguments.flag("wait-for-enforcers") { body["wait_for_enforcers"] = true }
        try arguments.finish(positionalCount: 1)
        let response = try invocation.client.send("POST", "/v1/agents/\(AdminURL.segment(agent))/kill", json: .object(body))
        invocation.show(response) { result in
            print("killed \(agent) at revision \(AdminOutput.text(result["revision"]))")
            if let enforcers = result["enforcers"] {
                print("enforcers acknowledged \(AdminOutput.text(enforcers["acknowledged"]))/\(AdminOutput.text(enforcers["total"])); every lease has run out by \(AdminOutput.text(enforcers["fenced_by"]))")
            }
        }
    }

    /// `warden reinstate AGENT`: `POST /v1/agents/{id}/reinstate`.
    static func reinstate(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        let agent = try arguments.positional(0, "agent id")
        let body: JSONValue = ["reason": .string(try arguments.required("reason"))]
        try arguments.finish(positionalCount: 1)
        let response = try invocation.client.send("POST", "/v1/agents/\(AdminURL.segment(agent))/reinstate", json: body)
        invocation.show(response) { result in
            print("\(agent) is \(AdminOutput.text(result["agent"]?["status"])); tokens minted before revision \(AdminOutput.text(result["agent"]?["valid_after"])) stay dead")
        }
    }

    /// `warden signal AGENT`: `POST /v1/signals`.
    static func signal(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        let agent = try arguments.positional(0, "agent id")
        guard let severity = try arguments.integer("severity") else { throw .usage("--severity is required (0-100)") }
        var body: [String: JSONValue] = [
            "agent": .string(agent), "type": .string(try arguments.required("type")), "severity": .integer(severity),
            "source": .string(try arguments.required("source")),
        ]
        if let detail = arguments.value("detail") { body["detail"] = .string(detail) }
        try arguments.finish(positionalCount: 1)
        let response = try invocation.client.send("POST", "/v1/signals", json: .object(body))
        invocation.show(response) { result in
            let killed = result["killed"]?.boolValue == true
            print("risk score of \(agent): \(AdminOutput.text(result["risk_score"]))" + (killed ? " (killed: threshold crossed)" : ""))
        }
    }

    // MARK: - Audit

    /// `warden audit list|verify`: `GET /v1/audit`, `GET /v1/audit/verify`.
    static func audit(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        var arguments = invocation.arguments
        let action = arguments.positionals.first
        switch action {
        case "list":
            let query = ["after", "agent", "type", "limit"].map { ($0, arguments.value($0)) }
            try arguments.finish(positionalCount: 1)
            let response = try invocation.client.send("GET", "/v1/audit", query: query)
            invocation.show(response) { body in
                let rows = (body["records"]?.arrayValue ?? []).map { record in
                    AdminOutput.row(record, ["seq", "time", "revision", "type", "actor", "subject"])
                        + [String(AdminOutput.text(record["hash"]).prefix(16))]
                }
                AdminOutput.table(["SEQ", "TIME", "REV", "TYPE", "ACTOR", "SUBJECT", "HASH"], rows)
                if body["next"]?.integerValue != nil { print("more: --after \(AdminOutput.text(body["next"]))") }
            }
        case "verify":
            try arguments.finish(positionalCount: 1)
            let response = try invocation.client.send("GET", "/v1/audit/verify")
            invocation.show(response) { body in
                if body["ok"]?.boolValue == true {
                    print("ok: \(AdminOutput.text(body["records"])) records, head hash \(AdminOutput.text(body["head_hash"]))")
                } else {
                    print("BROKEN at seq \(AdminOutput.text(body["first_broken_seq"])): \(AdminOutput.text(body["problem"]))")
                }
            }
            guard response.body["ok"]?.boolValue == true else {
                throw .refused(status: response.status, body: nil, text: "the audit chain does not verify")
            }
        default: throw AdminCommand.unknownAction(action, in: "audit")
        }
    }

    // MARK: - Cluster

    /// `warden cluster …`: `/v1/cluster`, its members and leadership.
    static func cluster(_ invocation: inout AdminInvocation) throws(AdminFailure) {
        let arguments = invocation.arguments
        let action = arguments.positionals.first
        let response: AdminResponse
        switch action {
        case "status":
            try arguments.finish(positionalCount: 1)
            response = try invocation.client.send("GET", "/v1/cluster")
        case "add-member":
            let body: JSONValue = ["id": .string(try arguments.positional(1, "member id")), "address": .string(try arguments.positional(2, "member address"))]
            try arguments.finish(positionalCount: 3)
            response = try invocation.client.send("POST", "/v1/cluster/members", json: body)
        case "remove-member":
            let id = try arguments.positional(1, "member id")
            try arguments.finish(positionalCount: 2)
            response = try invocation.client.send("DELETE", "/v1/cluster/members/" + AdminURL.segment(id))
        case "transfer-leadership":
            let body: JSONValue = ["to": .string(try arguments.positional(1, "member id"))]
            try arguments.finish(positionalCount: 2)
            response = try invocation.client.send("POST", "/v1/cluster/leadership", json: body)
        default: throw AdminCommand.unknownAction(action, in: "cluster")
        }
        invocation.show(response, showCluster)
    }

    /// Cluster progress as fields, then one row per member.
    private static func showCluster(_ info: JSONValue) {
        AdminOutput.fields(["id", "leader", "term", "commit", "applied"].map { ($0, AdminOutput.text(info[$0])) })
        let rows = (info["members"]?.arrayValue ?? []).map { member in
            AdminOutput.row(member, ["id", "address", "role", "match", "lag"])
        }
        AdminOutput.table(["MEMBER", "ADDRESS", "ROLE", "MATCH", "LAG"], rows)
    }
}
