import Foundation
import Glibc

// MARK: - warden bench cluster / warden bench etcd

/// `warden bench cluster` (a real Warden cluster over HTTP) and `warden bench etcd` (etcd's JSON
/// gateway, the comparison baseline): closed-loop keep-alive clients, a table, JSON and SVG CDFs.
enum BenchClusterCommand {
    static let usage = """
        usage: warden bench cluster [--urls U1,U2,U3 | --start] [--key-file F] [--duration S] [--clients 1,64]
                                    [--workloads kill,tuples,exchange,check-linearizable,check-serializable,failover] [--out DIR]
                                    [--client pooled|raw]
               warden bench etcd --urls U1,U2,U3 [--duration S] [--clients 1,64] [--workloads put,range] [--out DIR] [--client pooled|raw]
          --start runs `warden init` and 3 × `warden serve` on free loopback ports in a temp dir and stops them after;
          the admin key comes from --key-file or WARDEN_KEY; failover needs --start (it kills -9 the leader);
          --client raw uses a lean blocking socket client instead of HTTPClient (to measure the client's own cost)
        """
    /// Every Warden workload, in the order they run.
    static let wardenWorkloads = ["kill", "tuples", "exchange", "check-linearizable", "check-serializable", "failover"]
    /// Every etcd workload.
    static let etcdWorkloads = ["put", "range"]
    /// Longest measured duration accepted, so a run is always bounded.
    static let maximumDurationSeconds = 600.0
    /// Most concurrent clients accepted (one thread each).
    static let maximumClients = 1024

    /// Parsed command line.
    struct Options {
        var urls: [BenchEndpoint] = []
        var start = false
        var keyFile: String? = nil
        var duration = 10.0
        var clients = [1, 64]
        var workloads: [String] = []
        var out: String? = nil
        var clientKind = BenchClientKind.pooled
    }

    /// `warden bench cluster …`.
    static func runCluster(_ arguments: [String]) -> Int32 {
        guard var options = parse(arguments, allowedWorkloads: wardenWorkloads), options.start != !options.urls.isEmpty else {
            FileHandleOutput.standardError(usage)
            return 2
        }
        if options.workloads.isEmpty { options.workloads = wardenWorkloads }
        var cluster: BenchLocalCluster? = nil
        defer { cluster?.stop() }
        do {
            var key = ProcessInfo.processInfo.environment["WARDEN_KEY"] ?? ""
            if let file = options.keyFile {
                key = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if options.start {
                FileHandleOutput.standardError("starting a local 3-node cluster…")
                let started = try BenchLocalCluster()
                cluster = started
                options.urls = started.endpoints
                key = started.adminKey
                FileHandleOutput.standardError("cluster up in \(started.directory): \(started.endpoints.map(\.description).joined(separator: " "))")
            }
            guard !key.isEmpty else { throw BenchError("no admin key: pass --key-file or set WARDEN_KEY") }
            return try runWarden(options, key: key, cluster: cluster)
        } catch {
            FileHandleOutput.standardError("warden bench cluster: \(error)")
            return 1
        }
    }

    /// `warden bench etcd …`.
    static func runEtcd(_ arguments: [String]) -> Int32 {
        guard var options = parse(arguments, allowedWorkloads: etcdWorkloads), !options.urls.isEmpty, !options.start else {
            FileHandleOutput.standardError(usage)
            return 2
        }
        if options.workloads.isEmpty { options.workloads = etcdWorkloads }
        let load = loadAverage()
        let admin = BenchAdmin(endpoint: options.urls[0], key: "")
        let prefix = runPrefix()
        var runs: [BenchRunResult] = []
        do {
            for workload in options.workloads {
                for clients in options.clients {
                    let source = workload == "put"
                        ? BenchEtcdWorkloads.put(prefix: prefix) : try BenchEtcdWorkloads.range(admin, prefix: prefix)
                    let (result, _) = BenchLoadRunner(endpoints: options.urls, clientKind: options.clientKind)
                        .run(workload: "etcd-" + workload, clients: clients, seconds: options.duration, source: source)
                    runs.append(result)
                }
            }
            return try finish(runs: runs, failover: nil, target: "etcd", load: load, options: options)
        } catch {
            FileHandleOutput.standardError("warden bench etcd: \(error)")
            return 1
        }
    }

    /// Sets up and runs each Warden workload at each client count, then failover.
    private static func runWarden(_ options: Options, key: String, cluster: BenchLocalCluster?) throws -> Int32 {
        let load = loadAverage()
        let admin = BenchAdmin(endpoint: options.urls[0], key: key)
        let prefix = runPrefix()
        let runner = BenchLoadRunner(endpoints: options.urls, clientKind: options.clientKind)
        var runs: [BenchRunResult] = []
        for workload in options.workloads where workload != "failover" {
            for clients in options.clients {
                let scoped = "\(prefix)-\(workload)-\(clients)"
                do {
                    let source = try setUp(workload, admin: admin, prefix: scoped, clients: clients)
                    runs.append(runner.run(workload: workload, clients: clients, seconds: options.duration, source: source).0)
                } catch {
                    FileHandleOutput.standardError("\(workload) c=\(clients) skipped: setup failed: \(error)")
                }
            }
        }
        var failover: BenchFailover.Outcome? = nil
        if options.workloads.contains("failover") {
            if let cluster {
                do {
                    let outcome = try BenchFailover.run(cluster: cluster, prefix: prefix, seconds: options.duration)
                    failover = outcome
                    runs.append(outcome.run)
                } catch {
                    FileHandleOutput.standardError("failover failed: \(error)")
                }
            } else {
                FileHandleOutput.standardError("failover skipped: it needs --start (the benchmark kills -9 a node it started)")
            }
        }
        return try finish(runs: runs, failover: failover, target: "warden", load: load, options: options)
    }

    /// Registers what a workload needs and returns its request source.
    private static func setUp(_ workload: String, admin: BenchAdmin, prefix: String, clients: Int) throws -> BenchRequestSource {
        switch workload {
        case "kill": return try BenchWorkloads.kill(admin, prefix: prefix, clients: clients)
        case "tuples": return try BenchWorkloads.tuples(admin, prefix: prefix)
        case "exchange": return try BenchWorkloads.exchange(admin, prefix: prefix)
        case "check-linearizable": return try BenchWorkloads.check(admin, prefix: prefix, consistency: "linearizable")
        default: return try BenchWorkloads.check(admin, prefix: prefix, consistency: "serializable")
        }
    }

    /// Prints the table (and failover line) and writes the JSON and SVG files.
    private static func finish(runs: [BenchRunResult], failover: BenchFailover.Outcome?, target: String, load: String,
                               options: Options) throws -> Int32 {
        print("# \(target), load average at start: \(load), \(ProcessInfo.processInfo.activeProcessorCount) CPUs, "
              + "\(options.clientKind.rawValue) client, \(BenchLoadRunner.warmupSeconds) s warm-up not measured")
        print(BenchReportTable.render(runs))
        if let failover {
            let recovery = failover.recoveryMilliseconds.map { BenchFormat.fixed($0, 1) } ?? "never"
            print("failover: killed leader \(failover.killedLeader), writes succeeded again after \(recovery) ms "
                  + "(longest gap \(BenchFormat.fixed(failover.longestGapMilliseconds, 1)) ms, target ≤ \(Int(BenchFailover.targetMilliseconds)) ms), "
                  + "new leader \(failover.newLeader.map(String.init) ?? "?")")
        }
        for run in runs where !run.errorSamples.isEmpty {
            print("errors in \(run.workload) c=\(run.clients): \(run.errorSamples.joined(separator: " | "))")
        }
        if let out = options.out {
            for path in try BenchReportJSON.write(runs: runs, failover: failover, target: target, load: load, to: out) {
                print("wrote \(path)")
            }
        }
        return 0
    }

    /// Parses flags; nil on anything unknown, malformed or out of bounds.
    static func parse(_ arguments: [String], allowedWorkloads: [String]) -> Options? {
        var options = Options()
        var index = 0
        while index < arguments.count {
            let flag = arguments[index]
            if flag == "--start" { options.start = true; index += 1; continue }
            guard index + 1 < arguments.count else { return nil }
            let value = arguments[index + 1]
            let list = value.split(separator: ",").map(String.init)
            switch flag {
            case "--urls":
                options.urls = list.compactMap { BenchEndpoint(url: $0) }
                guard options.urls.count == list.count, !list.isEmpty else { return nil }
            case "--key-file": options.keyFile = value
            case "--duration":
                guard let seconds = Double(value), seconds > 0, seconds <= maximumDurationSeconds else { return nil }
                options.duration = seconds
            case "--clients":
                options.clients = list.compactMap { Int($0) }
                guard options.clients.count == list.count, !list.isEmpty,
                      options.clients.allSatisfy({ (1...maximumClients).contains($0) }) else { return nil }
            case "--workloads":
                guard !list.isEmpty, list.allSatisfy(allowedWorkloads.contains) else { return nil }
                options.workloads = list
            case "--out": options.out = value
            case "--client":
                guard let kind = BenchClientKind(rawValue: value) else { return nil }
                options.clientKind = kind
            default: return nil
            }
            index += 2
        }
        return options
    }

    /// `/proc/loadavg`'s first three fields.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// Ids unique to this run, so reruns against one cluster never collide.
    static func runPrefix() -> String { "bench\(Int(Date().timeIntervalSince1970) % 1_000_000)\(Int.random(in: 100...999))" }
}
