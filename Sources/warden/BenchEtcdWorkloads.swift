import HTTP

// MARK: - etcd JSON-gateway workloads (the comparison baseline)

/// etcd v3 workloads through its JSON gateway (`/v3/kv/…`), shaped like the Warden ones:
/// small puts (as kills are small writes) and default, linearizable ranges (as checks are reads).
enum BenchEtcdWorkloads {
    /// Keys each client cycles through for puts, like the kill pool.
    static let keysPerClient = BenchWorkloads.killPoolPerClient
    /// A value about as large as a kill request body.
    static let value = BenchBase64.encode(Array(#"{"reason":"bench"}"#.utf8))

    /// `POST /v3/kv/put {key, value}` over a per-client key pool.
    static func put(prefix: String) -> BenchRequestSource {
        let headers = HTTPHeaders([("Content-Type", "application/json")])
        return BenchRequestSource { client, sequence in
            let key = BenchBase64.encode(Array("\(prefix)/k\(client)/\(sequence % keysPerClient)".utf8))
            return HTTPClientRequest(method: "POST", target: "/v3/kv/put", headers: headers,
                                     body: Array(#"{"key":"\#(key)","value":"\#(value)"}"#.utf8))
        }
    }

    /// `POST /v3/kv/range {key}` (linearizable by default) of one key written at setup.
    static func range(_ admin: BenchAdmin, prefix: String) throws -> BenchRequestSource {
        let key = BenchBase64.encode(Array("\(prefix)/range".utf8))
        let body = #"{"key":"\#(key)","value":"\#(value)"}"#
        try admin.call("POST", "/v3/kv/put", json: body)
        let headers = HTTPHeaders([("Content-Type", "application/json")])
        let bytes = Array(#"{"key":"\#(key)"}"#.utf8)
        return BenchRequestSource { _, _ in HTTPClientRequest(method: "POST", target: "/v3/kv/range", headers: headers, body: bytes) }
    }
}
