import Server

// MARK: - warden init

/// `warden init --data DIR [--nodes 3] [--port-base 7100] [--host 127.0.0.1] [--admin-key-file PATH]`:
/// creates a cluster's configuration and prints the first admin key once.
enum InitCommand {
    static let usage = """
        usage: warden init --data DIR [--nodes N] [--port-base P] [--host H] [--http-threads T] [--admin-key-file PATH]
          writes DIR/node-1..N/warden.conf (ports P+1..P+N) and prints the first admin API key once;
          --admin-key-file also writes it to PATH (mode 0600)
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let options = ServeCommand.parseFlags(arguments, allowed: ["--data", "--nodes", "--port-base", "--host", "--http-threads", "--admin-key-file"]),
              let data = options["--data"]
        else {
            FileHandleOutput.standardError(usage)
            return 2
        }
        guard let nodes = Int(options["--nodes"] ?? "3"), let portBase = Int(options["--port-base"] ?? "7100"),
              let threads = Int(options["--http-threads"] ?? "2")
        else {
            FileHandleOutput.standardError(usage)
            return 2
        }
        do {
            let result = try ClusterBootstrap.initialize(
                dataDirectory: data, nodeCount: nodes, host: options["--host"] ?? "127.0.0.1", portBase: portBase, httpThreads: threads)
            if let keyFile = options["--admin-key-file"] {
                let directory = keyFile.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
                try ClusterBootstrap.writePrivateFile(directory: directory.isEmpty ? "." : directory, path: keyFile, text: result.adminKey + "\n")
            }
            print("cluster \(result.clusterID) initialized with \(nodes) node(s):")
            for (path, address) in zip(result.configurationPaths, result.addresses) { print("  \(address)  warden serve --config \(path)") }
            print("first admin API key (shown once, keep it safe):")
            print(result.adminKey)
            return 0
        } catch {
            FileHandleOutput.standardError("warden init: \(error)")
            return 1
        }
    }
}
