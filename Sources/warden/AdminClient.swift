#if canImport(Glibc)
import Glibc
#endif
import HTTP
import JSON

// MARK: - Failures and exit codes

/// Why an admin command stopped; each case has its exit code and says what to do next.
enum AdminFailure: Error {
    /// The command line was wrong (exit 2).
    case usage(String)
    /// A local input could not be used: an unreadable file, invalid JSON (exit 2).
    case input(String)
    /// The server answered with an error status (exit 1).
    case refused(status: Int, body: JSONValue?, text: String)
    /// The server could not be reached (exit 3).
    case cannotConnect(url: String, reason: String)

    /// The process exit status for this failure.
    var exitStatus: Int32 {
        switch self {
        case .usage, .input: return 2
        case .refused: return 1
        case .cannotConnect: return 3
        }
    }
}

// MARK: - Global options

/// The options every admin subcommand takes: where the cluster is, which key to use, and
/// whether to print the server's JSON instead of human output.
struct AdminGlobalOptions {
    /// Option names that belong to every command (never "unknown").
    static let names: Set<String> = ["url", "key-file", "json", "help"]
    /// The node contacted when neither `--url` nor `WARDEN_URL` is given.
    static let defaultURL = "http://127.0.0.1:7101"
    /// The key file read when neither `--key-file` nor `WARDEN_KEY` is given (written by `warden init`).
    static let defaultKeyFile = "Cluster/data/admin.key"

    /// The base URL of the node to talk to.
    var url: String
    /// The API key sent as `Authorization: Bearer`, if any.
    var key: String?
    /// Print the server's JSON rather than tables.
    var json: Bool

    /// Reads `--url`, `--key-file`, `--json` and the environment.
    static func read(_ arguments: inout AdminArguments) throws(AdminFailure) -> AdminGlobalOptions {
        let url = arguments.value("url") ?? environment("WARDEN_URL") ?? defaultURL
        let json = arguments.flag("json")
        var key: String?
        if let path = arguments.value("key-file") {
            key = try readKey(path)
        } else if let fromEnvironment = environment("WARDEN_KEY") {
            key = fromEnvironment.trimmingWhitespace
        } else if access(defaultKeyFile, R_OK) == 0 {
            key = try readKey(defaultKeyFile)
        }
        return AdminGlobalOptions(url: url, key: key, json: json)
    }

    /// A non-empty environment variable.
    static func environment(_ name: String) -> String? {
        guard let pointer = getenv(name) else { return nil }
        let value = String(cString: pointer)
        return value.isEmpty ? nil : value
    }

    /// The API key in a key file: the first word that looks like a Warden key (`wdn_…`), or
    /// the whole trimmed content.
    static func readKey(_ path: String) throws(AdminFailure) -> String {
        let text = try AdminFile.readText(path)
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        if let key = words.first(where: { $0.hasPrefix("wdn_") }) { return String(key) }
        guard let first = words.first else { throw .input("key file \(path) is empty") }
        return String(first)
    }
}

// MARK: - Files

/// Whole-file reads without Foundation.
enum AdminFile {
    /// The largest file an admin command reads (models, keys).
    static let maximumBytes = 16 * 1024 * 1024

    /// The file's bytes, or an input failure naming the path and the OS reason.
    static func read(_ path: String) throws(AdminFailure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .input("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw .input("cannot read \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            guard bytes.count <= maximumBytes else { throw .input("\(path) is larger than \(maximumBytes) bytes") }
        }
    }

    /// The file as UTF-8 text.
    static func readText(_ path: String) throws(AdminFailure) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}

// MARK: - Client

/// A server answer that was not an error.
struct AdminResponse {
    /// The HTTP status.
    var status: Int
    /// The parsed JSON body (`.null` when the body was empty).
    var body: JSONValue
    /// The body as the server sent it, printed verbatim with `--json`.
    var text: String
    /// The `Warden-Revision` header, when present.
    var revision: String?
}

/// Sends admin requests to one node and turns transport problems and error statuses into
/// `AdminFailure`s with hints.
struct AdminClient {
    /// How long a command waits for an answer (a kill that waits for enforcers takes longest).
    static let responseTimeout: Duration = .seconds(30)
    /// Attempts per request while the cluster answers "retry" (503, 504 outcome unknown); with pauses doubling from
    /// `firstRetryPauseMilliseconds` they span about 6 s, several election timeouts.
    static let maximumAttempts = 7
    /// The pause before the first retry.
    static let firstRetryPauseMilliseconds = 100

    /// The options the client was made from (URL, key, output form).
    let options: AdminGlobalOptions
    /// Where the node listens, and the path prefix of the URL (empty for a bare host:port).
    private let host: String
    private let port: Int
    private let basePath: String
    /// One client per command: a few requests at most, so no pool to speak of.
    private let http = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(3), responseTimeout: responseTimeout))

    /// A client for `options.url`, which must be `http://host[:port][/path]`.
    init(options: AdminGlobalOptions) throws(AdminFailure) {
        self.options = options
        guard let parsed = AdminURL.parse(options.url) else {
            throw .usage("--url must look like http://127.0.0.1:7101 (plain HTTP), not '\(options.url)'")
        }
        (host, port, basePath) = parsed
    }

    /// Sends a JSON request (or none) with the API key; query values are percent-encoded.
    func send(_ method: String, _ path: String, query: [(String, String?)] = [], json: JSONValue? = nil) throws(AdminFailure) -> AdminResponse {
        var headers = HTTPHeaders([("Accept", "application/json")])
        if let key = options.key { headers.add(name: "Authorization", value: "Bearer " + key) }
        var body: [UInt8] = []
        if let json {
            headers.add(name: "Content-Type", value: "application/json")
            body = JSONWriter().bytes(json)
        }
        return try exchange(HTTPClientRequest(method: method, target: target(path, query), headers: headers, body: body))
    }

    /// Sends a form-encoded OAuth request; grants carry the agent's credentials in the form
    /// (`withKey: false`), introspection and revocation the API key.
    func sendForm(_ path: String, _ fields: [(String, String?)], withKey: Bool) throws(AdminFailure) -> AdminResponse {
        let form = AdminURL.encode(fields)
        var headers = HTTPHeaders([("Accept", "application/json"), ("Content-Type", "application/x-www-form-urlencoded")])
        if withKey, let key = options.key { headers.add(name: "Authorization", value: "Bearer " + key) }
        return try exchange(HTTPClientRequest(method: "POST", target: basePath + path, headers: headers, body: Array(form.utf8)))
    }

    /// The request target: base path, path, encoded query.
    private func target(_ path: String, _ query: [(String, String?)]) -> String {
        let encoded = AdminURL.encode(query)
        return basePath + path + (encoded.isEmpty ? "" : "?" + encoded)
    }

    /// Sends a request, riding out a leader change: a 503 (no leader for a moment: "retry") or a
    /// 504 `outcome_unknown` (the leader was lost after the write was appended: "retry with the same
    /// Idempotency-Key") is retried after a pause that doubles each time. Writes carry an
    /// `Idempotency-Key`, so a retried write applies once even if an earlier attempt did commit.
    private func exchange(_ request: HTTPClientRequest) throws(AdminFailure) -> AdminResponse {
        var request = request
        if request.method != "GET" && !request.headers.contains("Idempotency-Key") {
            request.headers.add(name: "Idempotency-Key", value: Self.idempotencyKey())
        }
        var pauseMilliseconds = Self.firstRetryPauseMilliseconds
        var attempt = 1
        while true {
            do {
                return try exchangeOnce(request)
            } catch {
                guard Self.isRetryable(error), attempt < Self.maximumAttempts else { throw error }
            }
            usleep(UInt32(pauseMilliseconds * 1_000))
            pauseMilliseconds *= 2
            attempt += 1
        }
    }

    /// Sends one request; transport failures become `cannotConnect`, error statuses `refused`.
    private func exchangeOnce(_ request: HTTPClientRequest) throws(AdminFailure) -> AdminResponse {
        let response: HTTPClientResponse
        do {
            response = try http.send(request, host: host, port: port)
        } catch {
            throw .cannotConnect(url: options.url, reason: Self.describe(error))
        }
        let text = String(decoding: response.body, as: UTF8.self)
        let body = response.body.isEmpty ? JSONValue.null : try? JSONParser.parse(response.body)
        guard response.status < 400 else { throw .refused(status: response.status, body: body, text: text) }
        return AdminResponse(status: response.status, body: body ?? .null, text: text, revision: response.headers["Warden-Revision"])
    }

    /// Whether `failure` is the cluster's own "retry" answer during a leader change.
    private static func isRetryable(_ failure: AdminFailure) -> Bool {
        guard case .refused(let status, let body, _) = failure else { return false }
        return status == 503 || (status == 504 && body?["type"]?.stringValue == "urn:warden:problem:outcome_unknown")
    }

    /// A fresh key for one write and its retries: 128 random bits in hex.
    private static func idempotencyKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64, low = generator.next() as UInt64
        let hex = String(high, radix: 16) + "-" + String(low, radix: 16)
        return "warden-cli-" + hex
    }

    /// A transport failure in words.
    private static func describe(_ error: HTTPClientError) -> String {
        switch error {
        case .unresolvable(let host): return "cannot resolve \(host)"
        case .connectFailed(let code): return String(cString: strerror(code))
        case .connectTimedOut: return "connect timed out"
        case .responseTimedOut: return "no answer within \(responseTimeout)"
        case .connectionLost: return "connection closed before the answer was complete"
        case .invalidResponse(let problem): return "invalid HTTP response (\(problem))"
        }
    }
}
