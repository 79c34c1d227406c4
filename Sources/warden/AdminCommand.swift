import JSON

// MARK: - Admin subcommands

/// What an admin command handler gets: its arguments, the client, and whether to print JSON.
struct AdminInvocation {
    /// The command's own arguments (global options already read).
    var arguments: AdminArguments
    /// The client for the chosen node and key.
    let client: AdminClient
    /// Print the server's JSON rather than human output.
    var json: Bool { client.options.json }

    /// Prints the response as JSON with `--json`, else runs `human`.
    func show(_ response: AdminResponse, _ human: (JSONValue) -> Void) {
        if json { AdminOutput.json(response) } else { human(response.body) }
    }
}

/// The admin subcommands that mirror the HTTP API: dispatch, `--help`, global options and
/// exit codes (0 ok, 1 refused by the server, 2 usage error, 3 cannot connect).
enum AdminCommand {
    /// One command group: its usage text and handler.
    struct Group: Sendable {
        /// The group's usage text, printed by `--help` and after usage errors.
        let usage: String
        /// Runs the group's command with the parsed invocation.
        let run: @Sendable (inout AdminInvocation) throws(AdminFailure) -> Void
    }

    /// Global options, listed under every command's usage.
    static let globalUsage = """
        global options:
          --url URL         node to talk to (default \(AdminGlobalOptions.defaultURL), env WARDEN_URL)
          --key-file PATH   file holding the API key (env WARDEN_KEY holds the key itself;
                            default \(AdminGlobalOptions.defaultKeyFile) when present)
          --json            print the server's JSON instead of tables
        exit status: 0 ok, 1 refused by the server, 2 usage error, 3 cannot connect
        """

    /// Every group, by command name.
    static let groups: [String: Group] = [
        "agents": Group(usage: AdminRegistryCommands.agentsUsage, run: AdminRegistryCommands.agents),
        "users": Group(usage: AdminRegistryCommands.usersUsage, run: AdminRegistryCommands.users),
        "connections": Group(usage: AdminPolicyCommands.connectionsUsage, run: AdminPolicyCommands.connections),
        "model": Group(usage: AdminPolicyCommands.modelUsage, run: AdminPolicyCommands.model),
        "tuples": Group(usage: AdminPolicyCommands.tuplesUsage, run: AdminPolicyCommands.tuples),
        "check": Group(usage: AdminPolicyCommands.checkUsage, run: AdminPolicyCommands.check),
        "token": Group(usage: AdminTokenCommands.usage, run: AdminTokenCommands.token),
        "kill": Group(usage: AdminOperationCommands.killUsage, run: AdminOperationCommands.kill),
        "reinstate": Group(usage: AdminOperationCommands.reinstateUsage, run: AdminOperationCommands.reinstate),
        "signal": Group(usage: AdminOperationCommands.signalUsage, run: AdminOperationCommands.signal),
        "audit": Group(usage: AdminOperationCommands.auditUsage, run: AdminOperationCommands.audit),
        "cluster": Group(usage: AdminOperationCommands.clusterUsage, run: AdminOperationCommands.cluster),
    ]

    /// The lines `warden help` shows for the admin commands.
    static let summary = """
      agents ...          list, get, register, update, delete agents and services
      users ...           set and get user attributes (read by conditions)
      connections ...     create, list, delete agent-to-agent connections
      model ...           put or get the OpenFGA authorization model
      tuples ...          write, delete, list relationship tuples
      check               ask for a decision
      token ...           get a client_credentials token, or exchange one (RFC 8693)
      kill, reinstate     stop an agent everywhere, or make it active again
      signal              report a risk signal about an agent
      audit ...           list or verify the audit hash chain
      cluster ...         status, add-member, remove-member, transfer-leadership
      (each takes --help, --url, --key-file, --json)
    """

    /// Whether `name` is an admin command.
    static func handles(_ name: String) -> Bool { groups[name] != nil }

    /// Runs admin command `arguments[0]` with the rest of `arguments`; returns the exit status.
    static func run(_ arguments: [String]) -> Int32 {
        guard let name = arguments.first, let group = groups[name] else { return 2 }
        var json = false
        do {
            var parsed = try AdminArguments(Array(arguments.dropFirst()))
            if parsed.flag("help") || parsed.positionals.first == "help" {
                print(group.usage + "\n" + globalUsage)
                return 0
            }
            let options = try AdminGlobalOptions.read(&parsed)
            json = options.json
            var invocation = AdminInvocation(arguments: parsed, client: try AdminClient(options: options))
            try group.run(&invocation)
            return 0
        } catch {
            return AdminErrorReport.report(error, json: json, usage: group.usage + "\n(global options: warden \(name) --help)")
        }
    }

    /// A usage failure for an unknown sub-subcommand of `group`.
    static func unknownAction(_ action: String?, in group: String) -> AdminFailure {
        .usage(action.map { "unknown \(group) command '\($0)'" } ?? "\(group) needs a command")
    }
}
