import Foundation
import Glibc

// MARK: - warden bench cluster / warden bench etcd

/// `warden bench cluster` (a real Warden cluster over HTTP) and `warden bench etcd` (etcd's JSON
/// gateway, the comparison baseline): closed-loop keep-alive clients, a table, JSON and SVG CDFs.
enum BenchClusterCommand {
    static let usage = """
        usage: warden bench cluster [--urls U1,U2,U3 | --start] [--key-file F] [--duration S] [--clients 1,64]
                                    [--workloads kill,tuples,exchange,check-linearizable,check-serializable,failover,feed,enforcer,restart]
                                    [--subscribers 100] [--restart-agents 100000] [--restart-rounds 3]
                                    [--scale-agents 1000000] [--scale-tuples 10000000] [--election-timeout-ms MS]
                                    [--out DIR] [--client pooled|raw]
               warden bench etcd --urls U1,U2,U3 [--duration S] [--clients 1,64] [--workloads put,range,watch] [--subscribers 100]
                                 [--out DIR] [--client pooled|raw]
          --start runs `warden init` and 3 × `warden serve` on free loopback ports in a temp dir and stops them after
          (--election-timeout-ms is passed to each `warden serve`: raise it on an overloaded host);
          the admin key comes from --key-file or WARDEN_KEY; failover, restart and scale need --start (they kill -9
          nodes or read their memory); scale (1 M agents + 10 M tuples by default, long) runs only when named;
          feed / etcd watch: kill (put) → each of --subscribers SSE subscribers (watchers), one kill at a time;
          enforcer: `warden enforcer` local checks vs nginx answering a constant (if installed), same generator;
          --client raw uses a lean blocking socket client instead of HTTPClient (to measure the client's own cost)
        """
    /// Every Warden workload, in the order they run (whatever order they are named in).
    static let wardenWorkloads = ["kill", "tuples", "exchange", "check-linearizable", "check-serializable", "failover", "feed", "enforcer",
                                  "restart", "scale"]
    /// Workloads run when none are named: all but the long `scale`.
    static let defaultWardenWorkloads = wardenWorkloads.filter { $0 != "scale" }
    /// Closed-loop workloads, run once per client count.
    static let closedLoopWorkloads: Set<String> = ["kill", "tuples", "exchange", "check-linearizable", "check-serializable"]
    /// Workloads that need a cluster this process started.
    static let startOnlyWorkloads: Set<String> = ["failover", "restart", "scale"]
    /// Every etcd workload.
    static let etcdWorkloads = ["put", "range", "watch"]
    /// etcd workloads run when none are named.
    static let defaultEtcdWorkloads = ["put", "range"]
    /// Largest count accepted for --subscribers, --restart-agents, --scale-agents, --scale-tuples.
    static let maximumCount = 100_000_000
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
        var subscribers = BenchFeed.defaultSubscribers
        var restartAgents = BenchRestart.defaultAgents
        var restartRounds = BenchRestart.defaultRounds
        var scaleAgents = BenchScale.defaultAgents
        var scaleTuples = BenchScale.defaultTuples
        var electionTimeoutMilliseconds: Int? = nil
    }

    /// `warden bench cluster …`.
    static func runCluster(_ arguments: [String]) -> Int32 {
        guard var options = parse(arguments, allowedWorkloads: wardenWorkloads), options.start != !options.urls.isEmpty else {
            FileHandleOutput.standardError(usage)
            return 2
        }
        if options.workloads.isEmpty { options.workloads = defaultWardenWorkloads }
        options.workloads = wardenWorkloads.filter(options.workloads.contains)
        var cluster: BenchLocalCluster? = nil
        defer { cluster?.stop() }
        do {
            var key = ProcessInfo.processInfo.environment["WARDEN_KEY"] ?? ""
            if let file = options.keyFile {
                key = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if options.start {
                FileHandleOutput.standardError("starting a local 3-node cluster…")
                let started = try BenchLocalCluster(
                    serveFlags: options.electionTimeoutMilliseconds.map { ["--election-timeout-ms", String($0)] } ?? [])
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
        if options.workloads.isEmpty { options.workloads = defaultEtcdWorkloads }
        let load = loadAverage()
        let admin = BenchAdmin(endpoint: options.urls[0], key: "")
        let prefix = runPrefix()
        var runs: [BenchRunResult] = []
        var summaries: [BenchSummary] = []
        do {
            for workload in options.workloads {
                if workload == "watch" {
                    let (rows, summary) = try BenchEtcdWatch.run(endpoints: options.urls, subscribers: options.subscribers,
                                                                 seconds: options.duration, prefix: prefix)
                    runs += rows
                    summaries.append(summary)
                    continue
                }
                for clients in options.clients {
                    let source = workload == "put"
                        ? BenchEtcdWorkloads.put(prefix: prefix) : try BenchEtcdWorkloads.range(admin, prefix: prefix)
                    let (result, _) = BenchLoadRunner(endpoints: options.urls, clientKind: options.clientKind)
                        .run(workload: "etcd-" + workload, clients: clients, seconds: options.duration, source: source)
                    runs.append(result)
                }
            }
            return try finish(runs: runs, summaries: summaries, target: "etcd", load: load, options: options)
        } catch {
            FileHandleOutput.standardError("warden bench etcd: \(error)")
            return 1
        }
    }

    /// Runs each named Warden workload in the canonical order: closed loops at each client count, then the others.
    private static func runWarden(_ options: Options, key: String, cluster: BenchLocalCluster?) throws -> Int32 {
        let load = loadAverage()
        let admin = BenchAdmin(endpoint: options.urls[0], key: key)
        let prefix = runPrefix()
        let runner = BenchLoadRunner(endpoints: options.urls, clientKind: options.clientKind)
        var runs: [BenchRunResult] = []
        var summaries: [BenchSummary] = []
        for workload in options.workloads {
            if closedLoopWorkloads.contains(workload) {
                for clients in options.clients {
                    let scoped = "\(prefix)-\(workload)-\(clients)"
                    do {
                        let source = try setUp(workload, admin: admin, prefix: scoped, clients: clients)
                        runs.append(runner.run(workload: workload, clients: clients, seconds: options.duration, source: source).0)
                    } catch {
                        FileHandleOutput.standardError("\(workload) c=\(clients) skipped: setup failed: \(error)")
                    }
                }
                continue
            }
            if startOnlyWorkloads.contains(workload) && cluster == nil {
                FileHandleOutput.standardError("\(workload) skipped: it needs --start (it kills -9 nodes or reads their memory)")
                continue
            }
            FileHandleOutput.standardError("\(workload)…")
            do {
                let (rows, summary) = try runSpecial(workload, options: options, admin: admin, cluster: cluster, prefix: "\(prefix)-\(workload)")
                runs += rows
                summaries.append(summary)
            } catch {
                FileHandleOutput.standardError("\(workload) failed: \(error)")
            }
        }
        return try finish(runs: runs, summaries: summaries, target: "warden", load: load, options: options)
    }

    /// Runs one of the workloads that are not a plain closed loop: its rows and summary.
    private static func runSpecial(_ workload: String, options: Options, admin: BenchAdmin, cluster: BenchLocalCluster?,
                                   prefix: String) throws -> ([BenchRunResult], BenchSummary) {
        func started() throws -> BenchLocalCluster {
            guard let cluster else { throw BenchError("\(workload) needs --start") }
            return cluster
        }
        switch workload {
        case "failover":
            let outcome = try BenchFailover.run(cluster: try started(), prefix: prefix, seconds: options.duration)
            return ([outcome.run], outcome.summary)
        case "feed":
            return try BenchFeed.run(endpoints: options.urls, admin: admin, subscribers: options.subscribers, seconds: options.duration, prefix: prefix)
        case "enforcer":
            return try BenchEnforcer.run(endpoints: options.urls, admin: admin, clients: options.clients, seconds: options.duration,
                                         prefix: prefix, clientKind: options.clientKind)
        case "restart":
            let outcome = try BenchRestart.run(cluster: try started(), prefix: prefix, agents: options.restartAgents, rounds: options.restartRounds)
            return ([outcome.load, outcome.restart], outcome.summary)
        default:
            let outcome = try BenchScale.run(cluster: try started(), prefix: prefix, agents: options.scaleAgents, tuples: options.scaleTuples)
            return ([outcome.agentLoad, outcome.tupleLoad], outcome.summary)
        }
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

    /// Prints the table and the summaries' lines, and writes the JSON and SVG files.
    private static func finish(runs: [BenchRunResult], summaries: [BenchSummary], target: String, load: String,
                               options: Options) throws -> Int32 {
        print("# \(target), load average at start: \(load), now: \(loadAverage()), \(ProcessInfo.processInfo.activeProcessorCount) CPUs, "
              + "\(options.clientKind.rawValue) client, \(BenchLoadRunner.warmupSeconds) s warm-up not measured")
        print(BenchReportTable.render(runs))
        for summary in summaries {
            for line in summary.lines { print(line) }
        }
        for run in runs where !run.errorSamples.isEmpty {
            print("errors in \(run.workload) c=\(run.clients): \(run.errorSamples.joined(separator: " | "))")
        }
        if let out = options.out {
            for path in try BenchReportJSON.write(runs: runs, summaries: summaries, target: target, load: load, to: out) {
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
            case "--election-timeout-ms":
                guard let milliseconds = Int(value), (10...60_000).contains(milliseconds) else { return nil }
                options.electionTimeoutMilliseconds = milliseconds
            case "--subscribers", "--restart-agents", "--restart-rounds", "--scale-agents", "--scale-tuples":
                guard let count = Int(value), (1...maximumCount).contains(count) else { return nil }
                switch flag {
                case "--subscribers":
                    guard count <= maximumClients else { return nil }
                    options.subscribers = count
                case "--restart-agents": options.restartAgents = count
                case "--restart-rounds": options.restartRounds = count
                case "--scale-agents": options.scaleAgents = count
                default: options.scaleTuples = count
                }
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
