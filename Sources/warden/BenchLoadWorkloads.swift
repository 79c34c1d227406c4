import Glibc
import HTTP
import JSON

// MARK: - Admin calls for setup

/// Why a benchmark could not set up or run.
struct BenchError: Error, CustomStringConvertible {
    /// What went wrong, for the operator.
    var description: String
    init(_ description: String) { self.description = description }
}

/// Blocking setup calls to one node with the admin key.
struct BenchAdmin: Sendable {
    /// Setup requests may wait for an election after a start.
    static let setupTimeout = Duration.seconds(10)
    /// Tries per setup call before giving up (elections under load are retried through).
    static let setupAttempts = 20
    /// Pause between setup tries.
    static let setupRetryMicroseconds: UInt32 = 200_000

    let http = HTTPClient(configuration: HTTPClientConfiguration(responseTimeout: setupTimeout))
    /// The node setup talks to.
    var endpoint: BenchEndpoint
    /// The admin API key.
    var key: String

    /// The `Authorization` and `Content-Type` headers every Warden JSON request carries.
    func headers(contentType: String = "application/json") -> HTTPHeaders {
        key.isEmpty ? HTTPHeaders([("Content-Type", contentType)])
            : HTTPHeaders([("Authorization", "Bearer \(key)"), ("Content-Type", contentType)])
    }

    /// Sends a request; throws unless the status is one of `expect`. Returns the parsed body.
    /// A 5xx or a lost connection (an election under load) is retried, at most `setupAttempts`
    /// times, with one `Idempotency-Key` per call so a write applies once.
    @discardableResult
    func call(_ method: String, _ target: String, json body: String = "", expect: Set<Int> = [200, 201],
              contentType: String = "application/json", extraHeaders: [(String, String)] = []) throws -> JSONValue {
        var fields = headers(contentType: contentType)
        for (name, value) in extraHeaders { fields.replace(name: name, value: value) }
        if method != "GET" && !key.isEmpty { fields.replace(name: "Idempotency-Key", value: "bench-\(UInt64.random(in: 1...UInt64.max))") }
        let request = HTTPClientRequest(method: method, target: target, headers: fields, body: Array(body.utf8))
        var lastFailure = ""
        for _ in 0..<Self.setupAttempts {
            do {
                let response = try http.send(request, host: endpoint.host, port: endpoint.port)
                let text = String(decoding: response.body.prefix(300), as: UTF8.self)
                if expect.contains(response.status) { return (try? JSONParser.parse(response.body)) ?? .null }
                guard response.status >= 500 else { throw BenchError("\(method) \(target) → \(response.status): \(text)") }
                lastFailure = "\(response.status): \(text)"
            } catch let error as HTTPClientError {
                lastFailure = "\(error)"
            }
            usleep(Self.setupRetryMicroseconds)
        }
        throw BenchError("\(method) \(target) at \(endpoint) failed \(Self.setupAttempts) times, last: \(lastFailure)")
    }
}

// MARK: - Warden workloads

/// Warden workloads: each sets up what it needs under a run-unique id prefix and returns the
/// request source its clients send.
enum BenchWorkloads {
    /// Agents each client toggles between killed and active (every request is a state change).
    static let killPoolPerClient = 4
    /// The scope the exchange and check workloads use.
    static let scope = "invoice:approve"
    /// The authorization model the check workloads decide with: a conditional relation reading `subject`.
    static let checkModel = """
        {"schema_version":"1.1","type_definitions":[
          {"type":"user"},{"type":"agent"},
          {"type":"invoice","relations":{"approve":{"this":{}}},
           "metadata":{"relations":{"approve":{"directly_related_user_types":[{"type":"user"},{"type":"agent"},{"type":"user","condition":"limit"}]}}}}],
         "conditions":{"limit":{"name":"limit","expression":"amount <= subject.approval_limit",
           "parameters":{"amount":{"type_name":"TYPE_NAME_INT"},
                         "subject":{"type_name":"TYPE_NAME_MAP","generic_types":[{"type_name":"TYPE_NAME_ANY"}]}}}}}
        """

    /// Registers an agent; returns its client secret.
    @discardableResult
    static func register(_ admin: BenchAdmin, id: String) throws -> String {
        let body = """
            {"id":"\(id)","name":"\(id)","owner":"bench","kind":"agent","scopes":["\(scope)"],"attributes":{}}
            """
        let answer = try admin.call("POST", "/v1/agents", json: body)
        guard let secret = answer["client_secret"]?.stringValue else { throw BenchError("no client_secret registering \(id)") }
        return secret
    }

    /// Kill/reinstate alternating over `killPoolPerClient` fresh agents per client.
    static func kill(_ admin: BenchAdmin, prefix: String, clients: Int) throws -> BenchRequestSource {
        for client in 0..<clients {
            for slot in 0..<killPoolPerClient { try register(admin, id: "\(prefix)-k\(client)-\(slot)") }
        }
        let headers = admin.headers()
        let body = Array(#"{"reason":"bench"}"#.utf8)
        return BenchRequestSource { client, sequence in
            let slot = sequence % killPoolPerClient
            let action = (sequence / killPoolPerClient) % 2 == 0 ? "kill" : "reinstate"
            return HTTPClientRequest(method: "POST", target: "/v1/agents/\(prefix)-k\(client)-\(slot)/\(action)", headers: headers, body: body)
        }
    }

    /// One new, unique relationship tuple per request.
    static func tuples(_ admin: BenchAdmin, prefix: String) throws -> BenchRequestSource {
        try admin.call("PUT", "/v1/model", json: checkModel)
        let headers = admin.headers()
        return BenchRequestSource { client, sequence in
            let body = #"{"writes":[{"user":"user:\#(prefix)-\#(client)-\#(sequence)","relation":"approve","object":"invoice:\#(prefix)-\#(client)"}]}"#
            return HTTPClientRequest(method: "POST", target: "/v1/tuples", headers: headers, body: Array(body.utf8))
        }
    }

    /// RFC 8693 token exchange along a connection: the callee trades the caller's
    /// client_credentials token for its own delegated token (each one a committed write).
    static func exchange(_ admin: BenchAdmin, prefix: String) throws -> BenchRequestSource {
        let caller = "\(prefix)-caller", callee = "\(prefix)-callee"
        let callerSecret = try register(admin, id: caller)
        let calleeSecret = try register(admin, id: callee)
        try admin.call("POST", "/v1/connections", json: """
            {"caller":"\(caller)","callee":"\(callee)","scopes":["\(scope)"],"max_token_ttl_seconds":300}
            """)
        let form = "grant_type=client_credentials&scope=\(percentEncoded(scope))"
        let token = try admin.call("POST", "/oauth/token", json: form, contentType: "application/x-www-form-urlencoded",
                                   extraHeaders: [("Authorization", basic(caller, callerSecret))])
        guard let callerToken = token["access_token"]?.stringValue else { throw BenchError("no access_token for \(caller)") }
        let headers = HTTPHeaders([("Authorization", basic(callee, calleeSecret)), ("Content-Type", "application/x-www-form-urlencoded")])
        let body = Array(("grant_type=\(percentEncoded("urn:ietf:params:oauth:grant-type:token-exchange"))"
            + "&subject_token=\(callerToken)&subject_token_type=\(percentEncoded("urn:ietf:params:oauth:token-type:access_token"))"
            + "&audience=\(callee)&scope=\(percentEncoded(scope))").utf8)
        return BenchRequestSource { _, _ in HTTPClientRequest(method: "POST", target: "/oauth/token", headers: headers, body: body) }
    }

    /// `POST /v1/check` for an agent acting for a user, through a conditional tuple that reads
    /// the user's attributes, at the given consistency.
    static func check(_ admin: BenchAdmin, prefix: String, consistency: String) throws -> BenchRequestSource {
        let agent = "\(prefix)-checker", user = "\(prefix)-anne", invoice = "invoice:\(prefix)-inv"
        try admin.call("PUT", "/v1/model", json: checkModel)
        try register(admin, id: agent)
        try admin.call("PUT", "/v1/users/\(user)", json: #"{"attributes":{"approval_limit":1000,"on_duty":true}}"#)
        try admin.call("POST", "/v1/tuples", json: """
            {"writes":[{"user":"user:\(user)","relation":"approve","object":"\(invoice)","condition":{"name":"limit","context":{}}},
                       {"user":"agent:\(agent)","relation":"approve","object":"\(invoice)"}]}
            """)
        let body = """
            {"agent":"\(agent)","on_behalf_of":"user:\(user)","action":"approve","resource":"\(invoice)",\
            "context":{"amount":500},"consistency":"\(consistency)"}
            """
        let verdict = try admin.call("POST", "/v1/check", json: body)
        guard verdict["allowed"]?.boolValue == true else { throw BenchError("setup check was not allowed: \(verdict)") }
        let headers = admin.headers()
        let bytes = Array(body.utf8)
        return BenchRequestSource { _, _ in HTTPClientRequest(method: "POST", target: "/v1/check", headers: headers, body: bytes) }
    }

    /// `Basic base64(id:secret)`.
    static func basic(_ id: String, _ secret: String) -> String {
        "Basic " + BenchBase64.encode(Array("\(percentEncoded(id)):\(percentEncoded(secret))".utf8))
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                output += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return output
    }
}

/// Standard base64 (RFC 4648 §4, padded), for Basic auth and etcd's JSON gateway.
enum BenchBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes bytes.
    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << UInt32(16 - 8 * $1.offset) }
            for position in 0..<4 {
                output.append(position <= chunk.count ? alphabet[Int((value >> UInt32(18 - 6 * position)) & 63)] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
