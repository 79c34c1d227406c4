import Foundation
import Server

// MARK: - warden serve

/// `warden serve --config FILE [--id N] [--listen H:P] [--advertise H:P] [--data DIR] [--peers id=H:P,…]
/// [--members 1,2,3] [--http-threads T] [--election-timeout-ms MS]`: runs one node until SIGTERM/SIGINT.
enum ServeCommand {
    static let usage = """
        usage: warden serve [--config FILE] [--id N] [--listen HOST:PORT] [--advertise HOST:PORT] [--data DIR]
                            [--peers ID=HOST:PORT,...] [--members ID,...] [--http-threads T] [--election-timeout-ms MS]
          flags override the config file's keys (id, listen, advertise, data, peers, members, http_threads,
          election_timeout_ms);
          the file also holds cluster_id, cluster_secret, issuer and bootstrap_admin_key (see Cluster/README.md)
        """

    /// Flag name → config key.
    static let overrides = [
        "--id": "id", "--listen": "listen", "--advertise": "advertise", "--data": "data", "--peers": "peers",
        "--members": "members", "--http-threads": "http_threads", "--election-timeout-ms": "election_timeout_ms",
    ]

    static func run(_ arguments: [String]) -> Int32 {
        guard let flags = parseFlags(arguments, allowed: Set(overrides.keys).union(["--config"])) else {
            FileHandleOutput.standardError(usage)
            return 2
        }
        let configuration: NodeConfiguration
        do {
            var values: [String: String] = [:]
            if let path = flags["--config"] {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw NodeConfigurationError("cannot read config file \(path)")
                }
                values = try NodeConfiguration.parseLines(text)
            }
            for (flag, key) in overrides { if let value = flags[flag] { values[key] = value } }
            configuration = try NodeConfiguration(values: values)
        } catch {
            FileHandleOutput.standardError("warden serve: configuration: \(error)\n\(usage)")
            return 2
        }
        do {
            let node = try WardenNode(configuration: configuration)
            return node.run()
        } catch {
            FileHandleOutput.standardError("warden serve: \(error.message)")
            return error.status
        }
    }

    /// `--flag value` pairs; nil on an unknown flag, a missing value or a repeated flag.
    static func parseFlags(_ arguments: [String], allowed: Set<String>) -> [String: String]? {
        var flags: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let flag = arguments[index]
            guard allowed.contains(flag), index + 1 < arguments.count, flags[flag] == nil else { return nil }
            flags[flag] = arguments[index + 1]
            index += 2
        }
        return flags
    }
}
