import Foundation
import Glibc
import HTTP
import JSON

// MARK: - Enforcer local checks vs nginx

/// `enforcer`: starts a `warden enforcer` (this executable) subscribed to the cluster and, where
/// nginx is installed, an nginx with the same number of workers answering a constant; then drives
/// both with the same closed-loop generator and the same `POST /v1/check` request, alternating
/// enforcer and nginx at each client count. Rows `enforcer-check` and `nginx-constant`; the
/// summary gives the ratio (DESIGN: enforcer ≥ 0.5× nginx).
enum BenchEnforcer {
    /// DESIGN target: enforcer requests/s ÷ nginx requests/s.
    static let targetRatio = 0.5
    /// nginx workers: the enforcer's HTTP event loops (`EdgeEnforcer` runs 2).
    static let nginxWorkers = 2
    /// Longest wait for either server to come up, and for the enforcer to hold a fresh state.
    static let startSeconds = 30.0
    /// Longest wait for a process to exit after SIGTERM.
    static let stopSeconds = 5.0
    /// The body an allowed check answer contains (nginx answers it as its constant).
    static let allowedMarker = #""allowed":true"#

    /// Runs the workload; the rows (enforcer and nginx alternating per client count) and the summary.
    static func run(endpoints: [BenchEndpoint], admin: BenchAdmin, clients: [Int], seconds: Double, prefix: String,
                    clientKind: BenchClientKind) throws -> ([BenchRunResult], BenchSummary) {
        let directory = try BenchProcesses.temporaryDirectory("warden-bench-enforcer")
        let key = try BenchFeed.createKey(admin, name: "\(prefix)-enforcer", role: "enforcer")
        let keyFile = directory + "/enforcer.key"
        guard FileManager.default.createFile(atPath: keyFile, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw BenchError("cannot write \(keyFile)")
        }
        var source = try BenchWorkloads.check(admin, prefix: prefix, consistency: "serializable")
        source.requiredBody = Array(allowedMarker.utf8)
        guard let revision = try admin.call("GET", "/v1/cluster")["revision"]?.integerValue else { throw BenchError("no revision in /v1/cluster") }
        var processes = BenchProcesses()
        defer { processes.stopAll(graceSeconds: stopSeconds) }
        let enforcerPort = try BenchLocalCluster.freePortBase(count: 1) + 1
        try processes.start(BenchLocalCluster.executablePath(), [
            "enforcer", "--id", "\(prefix)-edge", "--cluster", endpoints.map(\.description).joined(separator: ","),
            "--listen", "127.0.0.1:\(enforcerPort)", "--key-file", keyFile,
        ], log: directory + "/enforcer.log")
        let enforcer = BenchEndpoint(host: "127.0.0.1", port: enforcerPort)
        try waitFresh(enforcer, revision: revision)
        FileHandleOutput.standardError("  enforcer up on \(enforcer), fresh at revision ≥ \(revision)")
        var nginx: BenchEndpoint? = nil
        if let binary = BenchProcesses.find("nginx", in: ["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"]) {
            let port = try BenchLocalCluster.freePortBase(count: 1) + 1
            let config = directory + "/nginx.conf"
            try Data(nginxConfig(directory: directory, port: port).utf8).write(to: URL(fileURLWithPath: config))
            try processes.start(binary, ["-p", directory, "-c", config, "-e", directory + "/nginx-error.log"], log: directory + "/nginx.log")
            let endpoint = BenchEndpoint(host: "127.0.0.1", port: port)
            try waitAnswering(endpoint, body: source.make(0, 0).body)
            FileHandleOutput.standardError("  nginx up on \(endpoint) (\(nginxWorkers) workers)")
            nginx = endpoint
        } else {
            FileHandleOutput.standardError("  nginx not installed (apt-get install -y nginx): enforcer rows only")
        }
        var rows: [BenchRunResult] = []
        var lines: [String] = []
        var ratios: [JSONValue] = []
        for count in clients {
            let local = BenchLoadRunner(endpoints: [enforcer], clientKind: clientKind)
                .run(workload: "enforcer-check", clients: count, seconds: seconds, source: source).0
            rows.append(local)
            guard let nginx else { continue }
            let constant = BenchLoadRunner(endpoints: [nginx], clientKind: clientKind)
                .run(workload: "nginx-constant", clients: count, seconds: seconds, source: source).0
            rows.append(constant)
            let ratio = constant.throughput > 0 ? local.throughput / constant.throughput : 0
            lines.append("enforcer: c=\(count) \(BenchFormat.fixed(local.throughput, 0)) checks/s vs nginx constant "
                + "\(BenchFormat.fixed(constant.throughput, 0)) req/s = \(BenchFormat.fixed(ratio, 2))× (target ≥ \(BenchFormat.fixed(targetRatio, 1))×)")
            ratios.append(.object(["clients": .integer(Int64(count)), "enforcer_per_second": .double(local.throughput),
                                   "nginx_per_second": .double(constant.throughput), "ratio": .double(ratio)]))
        }
        if nginx == nil { lines.append("enforcer: nginx not installed, no ratio (apt-get install -y nginx)") }
        return (rows, BenchSummary(name: "enforcer", lines: lines, json: .object([
            "ratios": .array(ratios), "target_ratio": .double(targetRatio), "nginx_workers": .integer(Int64(nginxWorkers)),
        ])))
    }

    /// A foreground nginx on loopback answering every request with an allowed-check-sized constant.
    static func nginxConfig(directory: String, port: Int) -> String {
        """
        daemon off;
        master_process on;
        worker_processes \(nginxWorkers);
        pid \(directory)/nginx.pid;
        error_log \(directory)/nginx-error.log warn;
        events { worker_connections 4096; }
        http {
            access_log off;
            client_body_temp_path \(directory)/nginx-body;
            proxy_temp_path \(directory)/nginx-proxy;
            fastcgi_temp_path \(directory)/nginx-fastcgi;
            uwsgi_temp_path \(directory)/nginx-uwsgi;
            scgi_temp_path \(directory)/nginx-scgi;
            keepalive_requests 100000000;
            server {
                listen 127.0.0.1:\(port);
                location / { default_type application/json; return 200 '{\(allowedMarker),"reasons":[],"revision":1}'; }
            }
        }

        """
    }

    /// Polls the enforcer's `/v1/status` until it is fresh at `revision` or later.
    static func waitFresh(_ endpoint: BenchEndpoint, revision: Int64) throws {
        let client = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .milliseconds(200), responseTimeout: .seconds(2)))
        let deadline = benchNowNanoseconds() + UInt64(startSeconds * 1e9)
        var last = "no answer"
        while benchNowNanoseconds() < deadline {
            if let response = try? client.send(HTTPClientRequest(method: "GET", target: "/v1/status", headers: HTTPHeaders(), body: []),
                                               host: endpoint.host, port: endpoint.port) {
                let status = (try? JSONParser.parse(response.body)) ?? .null
                last = JSONWriter().string(status)
                if status["fresh"]?.boolValue == true, (status["revision"]?.integerValue ?? 0) >= revision { return }
            }
            usleep(50_000)
        }
        throw BenchError("enforcer on \(endpoint) not fresh at revision \(revision) within \(Int(startSeconds)) s (last status: \(last))")
    }

    /// Polls until a `POST /v1/check` with `body` answers 200.
    static func waitAnswering(_ endpoint: BenchEndpoint, body: [UInt8]) throws {
        let client = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .milliseconds(200), responseTimeout: .seconds(2)))
        let deadline = benchNowNanoseconds() + UInt64(startSeconds * 1e9)
        while benchNowNanoseconds() < deadline {
            let request = HTTPClientRequest(method: "POST", target: "/v1/check", headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
            if let response = try? client.send(request, host: endpoint.host, port: endpoint.port), response.status == 200 { return }
            usleep(50_000)
        }
        throw BenchError("\(endpoint) did not answer within \(Int(startSeconds)) s")
    }
}

// MARK: - Helper processes

/// Processes a workload starts (enforcer, nginx), each stopped by its pid.
struct BenchProcesses {
    private var processes: [Process] = []

    /// Starts `binary arguments`, output appended to `log`.
    mutating func start(_ binary: String, _ arguments: [String], log: String) throws {
        guard FileManager.default.createFile(atPath: log, contents: nil), let handle = FileHandle(forWritingAtPath: log) else {
            throw BenchError("cannot create \(log)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes.append(process)
    }

    /// SIGTERM each by pid, SIGKILL any still running after `graceSeconds`.
    mutating func stopAll(graceSeconds: Double) {
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = benchNowNanoseconds() + UInt64(graceSeconds * 1e9)
        for process in processes {
            while process.isRunning && benchNowNanoseconds() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        processes.removeAll()
    }

    /// A fresh directory under /tmp.
    static func temporaryDirectory(_ name: String) throws -> String {
        var bytes = Array("/tmp/\(name)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&bytes) else { throw BenchError("mkdtemp failed: errno \(errno)") }
        return String(cString: made)
    }

    /// The first executable `name` in `PATH` or in `extra` directories.
    static func find(_ name: String, in extra: [String]) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return (path + extra).map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
