import Enforcer
import Authorization
import Crypto
import Foundation
import Governance
import JSON
import Glibc

// MARK: - `warden enforcer`

/// Runs an edge enforcer until SIGINT/SIGTERM: parses the options, starts `EdgeEnforcer`,
/// prints the local address once (tests and scripts wait for that line).
enum EnforcerCommand {
    static let usage = """
        usage: warden enforcer --id ID --cluster http://n1:port,http://n2:port [--listen 127.0.0.1:7070]
                               [--key-file PATH | env WARDEN_KEY] [--issuer ISS] [--proxy-to http://tool:port
                               --route "METHOD /prefix ACTION TYPE" ... (ACTION mcp: tools/call → tool name)]
                               [--audit-buffer N] [--audit-full fail-closed|drop]
               warden enforcer bench     (in-process local decision latency, p50/p99)
               warden enforcer bench CLUSTER_URLS ENFORCER_KEY_FILE ADMIN_KEY_FILE SUBSCRIBERS KILLS PREFIX
                                         (kill → feed event latency at many subscriptions)
        """

    static func run(_ arguments: [String]) -> Int32 {
        if arguments.first == "bench" { return arguments.count > 1 ? EnforcerBenchmark.feed(Array(arguments.dropFirst())) : EnforcerBenchmark.run() }
        let parsed = EnforcerConfiguration.parse(
            arguments, environment: ProcessInfo.processInfo.environment,
            readFile: { path in try? String(contentsOfFile: path, encoding: .utf8) })
        let configuration: EnforcerConfiguration
        switch parsed {
        case .success(let value): configuration = value
        case .failure(let error):
            FileHandleOutput.standardError("warden enforcer: \(error)\n" + usage)
            return 2
        }
        signal(SIGPIPE, SIG_IGN)
        // Block the stop signals before any thread starts (threads inherit the mask); sigwait takes them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let enforcer = EdgeEnforcer(configuration: configuration)
        let port: Int
        do {
            port = try enforcer.start()
        } catch {
            FileHandleOutput.standardError("warden enforcer: cannot listen on \(configuration.listenHost):\(configuration.listenPort): \(error)")
            return 1
        }
        print("enforcer \(configuration.id) listening on http://\(configuration.listenHost):\(port)")
        fflush(nil)
        var received: Int32 = 0
        sigwait(&signals, &received)
        enforcer.stop()
        return 0
    }
}

// MARK: - `warden enforcer bench`

/// In-process latency of one local check (`EdgeCheck.decide`: lease check, decision function,
/// decision record), on a replica built from a feed snapshot like a running enforcer's.
enum EnforcerBenchmark {
    static let iterations = 200_000
    static let model = """
        {"schema_version":"1.1","type_definitions":[{"type":"user"},{"type":"document","relations":{"viewer":{"this":{}}},
        "metadata":{"relations":{"viewer":{"directly_related_user_types":[{"type":"user"}]}}}}]}
        """

    static func run() -> Int32 {
        var cluster = GovernanceState()
        let commands: [Command] = [
            .writeModel(json: Array(model.utf8)),
            .registerAgent(AgentRegistration(id: "bot", name: "Bot", owner: "anne", kind: .agent, scopes: ["document:*"], attributes: [:], secretHash: [1])),
            .writeTuples(writes: [RelationshipTuple(user: "user:anne", relation: "viewer", object: "document:1", condition: nil)], deletes: []),
        ]
        for (index, command) in commands.enumerated() {
            _ = cluster.apply(LogEntryPayload(timestampMilliseconds: 1, actor: .system, command: command), revision: UInt64(index + 1))
        }
        var edge = EdgeState()
        let snapshot = JSONWriter().string(["state": .string(Base64URL.encode(cluster.feedSnapshot()))])
        do {
            try edge.receive(ServerSentEvent(id: "3", type: "snapshot", data: snapshot), nowMilliseconds: 0)
            try edge.receive(ServerSentEvent(id: nil, type: "heartbeat", data: #"{"commit":3,"lease_ms":500}"#), nowMilliseconds: 0)
        } catch {
            FileHandleOutput.standardError("bench setup failed: \(error)")
            return 1
        }
        let check = EdgeCheck.Check(agent: "bot", onBehalfOf: "user:anne", action: "viewer", resource: "document:1")
        var samples = [UInt64](repeating: 0, count: iterations)
        var allowed = 0
        for index in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            let outcome = EdgeCheck.decide(check, state: edge, issuer: "", wallMilliseconds: 2, monotonicMilliseconds: 1, decisionID: "d")
            samples[index] = DispatchTime.now().uptimeNanoseconds - start
            allowed += outcome.allowed ? 1 : 0
        }
        samples.sort()
        print("local decision (EdgeCheck.decide, allowed \(allowed)/\(iterations)): p50 \(samples[iterations / 2]) ns, p99 \(samples[iterations * 99 / 100]) ns")
        return 0
    }
}

extension EnforcerBenchmark {
    /// `bench URLS ENFORCER_KEY_FILE ADMIN_KEY_FILE SUBSCRIBERS KILLS PREFIX` against a running cluster.
    static func feed(_ arguments: [String]) -> Int32 {
        guard arguments.count == 6, let subscribers = Int(arguments[3]), let kills = Int(arguments[4]),
            let enforcerKey = try? String(contentsOfFile: arguments[1], encoding: .utf8),
            let adminKey = try? String(contentsOfFile: arguments[2], encoding: .utf8)
        else {
            FileHandleOutput.standardError(EnforcerCommand.usage)
            return 2
        }
        let nodes = arguments[0].split(separator: ",").compactMap { NodeAddress(url: String($0)) }
        do {
            print(try FeedLatencyBenchmark.run(
                nodes: nodes, enforcerKey: enforcerKey.trimmingCharacters(in: .whitespacesAndNewlines),
                adminKey: adminKey.trimmingCharacters(in: .whitespacesAndNewlines), subscribers: subscribers, kills: kills, prefix: arguments[5]))
            return 0
        } catch {
            FileHandleOutput.standardError("bench failed: \(error)")
            return 1
        }
    }
}
