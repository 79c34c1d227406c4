import Enforcer
import Governance
import Testing

@Suite("enforcer core: decision records, proxy mapping, MCP, chunked bodies, options")
struct EdgeCoreTests {
    static func record(_ id: String) -> DecisionRecord {
        DecisionRecord(decisionID: id, agent: "bot", subject: nil, action: "viewer", resource: "document:1", allowed: true,
                       reasons: [], revision: 3, timeMilliseconds: 1)
    }

    @Test("a batch is retried with the same batch_seq until acknowledged; the next one gets the next seq")
    func batchRetries() {
        var buffer = DecisionRecordBuffer(capacity: 10, batchRecords: 2, fullPolicy: .failClosed, firstBatchSeq: 100)
        for id in ["a", "b", "c"] {
            let kept = buffer.record(Self.record(id))
            #expect(kept)
        }
        let first = buffer.nextBatch()
        #expect(first?.batchSeq == 100 && first?.records.map(\.decisionID) == ["a", "b"])
        #expect(buffer.nextBatch() == first, "a retry resends the same batch")
        buffer.acknowledge(batchSeq: 99)
        #expect(buffer.nextBatch() == first, "a stale acknowledgement changes nothing")
        buffer.acknowledge(batchSeq: 100)
        #expect(buffer.nextBatch()?.batchSeq == 101 && buffer.count == 1)
        buffer.acknowledge(batchSeq: 101)
        #expect(buffer.nextBatch() == nil && buffer.count == 0)
    }

    @Test("a full buffer refuses records (fail closed) or drops and counts them (drop)")
    func fullBuffer() {
        var closed = DecisionRecordBuffer(capacity: 2, fullPolicy: .failClosed, firstBatchSeq: 1)
        let keptTwo = closed.record(Self.record("a")) && closed.record(Self.record("b"))
        _ = closed.nextBatch()
        let keptThird = closed.record(Self.record("c"))
        #expect(keptTwo && !keptThird && closed.isFull && closed.droppedRecords == 0, "in-flight records count")
        var dropping = DecisionRecordBuffer(capacity: 1, fullPolicy: .dropNewest, firstBatchSeq: 1)
        let kept = dropping.record(Self.record("a")), dropped = !dropping.record(Self.record("b"))
        #expect(kept && dropped && dropping.droppedRecords == 1)
    }

    @Test("routes map method and path prefix to an action on the first path segment")
    func routes() throws {
        let routes = try ["GET /files/ read file", "* /invoices/ approve invoice", "POST /mcp mcp toolserver:main"].map { try #require(ProxyRoute(rule: $0)) }
        #expect(ProxyRoute.match(routes, method: "get", path: "/files/report.pdf")?.resource == "file:report.pdf")
        #expect(ProxyRoute.match(routes, method: "GET", path: "/files/")?.resource == "file:root")
        #expect(ProxyRoute.match(routes, method: "PUT", path: "/invoices/17/lines")?.action == "approve")
        #expect(ProxyRoute.match(routes, method: "PUT", path: "/invoices/17/lines")?.resource == "invoice:17")
        #expect(ProxyRoute.match(routes, method: "POST", path: "/files/x") == nil)
        #expect(ProxyRoute.match(routes, method: "POST", path: "/mcp")?.resource == "toolserver:main")
        #expect(ProxyRoute(rule: "GET files read") == nil && ProxyRoute(rule: "GET nopath read file") == nil)
    }

    @Test("MCP: tools/call names the tool; other methods ask nothing; non JSON-RPC is refused")
    func mcp() {
        let call = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"send_payment","arguments":{"amount":5}}}"#
        #expect(MCPRequest.toolCalls(Array(call.utf8)) == ["send_payment"])
        #expect(MCPRequest.toolCalls(Array(#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#.utf8)) == [])
        let batch = "[" + call + #",{"jsonrpc":"2.0","method":"tools/call","params":{"name":"read_file"}}]"#
        #expect(MCPRequest.toolCalls(Array(batch.utf8)) == ["send_payment", "read_file"])
        #expect(MCPRequest.toolCalls(Array("not json".utf8)) == nil)
        #expect(MCPRequest.toolCalls(Array(#"{"jsonrpc":"2.0","method":"tools/call","params":{}}"#.utf8)) == nil)
    }

    @Test("chunked bodies decode the same whatever the split; extensions and trailers are skipped")
    func chunked() throws {
        let wire = Array("5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\n".utf8)
        for split in 0...wire.count {
            var decoder = ChunkedBodyDecoder()
            let first = try wire[..<split].withUnsafeBytes { try decoder.append($0) }
            let second = try wire[split...].withUnsafeBytes { try decoder.append($0) }
            #expect(String(decoding: first + second, as: UTF8.self) == "hello, world" && decoder.isComplete)
        }
        var bad = ChunkedBodyDecoder()
        let garbage = Array("zz\r\n".utf8)
        var refused = false
        do { _ = try garbage.withUnsafeBytes { try bad.append($0) } } catch { refused = true }
        #expect(refused)
    }

    @Test("options: cluster URLs, listen, key file or WARDEN_KEY, routes, audit policy; mistakes are named")
    func options() throws {
        let arguments = ["--id", "edge-1", "--cluster", "http://127.0.0.1:7001, http://localhost:7002", "--listen", "0.0.0.0:7070",
                         "--key-file", "/k", "--proxy-to", "http://127.0.0.1:9000", "--route", "POST /mcp mcp toolserver:main",
                         "--audit-full", "drop"]
        let parsed = try EnforcerConfiguration.parse(arguments, environment: [:], readFile: { $0 == "/k" ? "wdn_ab_cd\n" : nil }).get()
        #expect(parsed.cluster.map(\.description) == ["http://127.0.0.1:7001", "http://localhost:7002"])
        #expect(parsed.apiKey == "wdn_ab_cd" && parsed.listenPort == 7070 && parsed.proxyRoutes.count == 1 && parsed.auditFullPolicy == .dropNewest)
        let fromEnvironment = EnforcerConfiguration.parse(["--id", "e", "--cluster", "http://a:1"], environment: ["WARDEN_KEY": "k"], readFile: { _ in nil })
        #expect((try? fromEnvironment.get())?.apiKey == "k")
        for bad in [["--id", "e"], ["--id", "bad id", "--cluster", "http://a:1"], ["--id", "e", "--cluster", "ftp://a"], ["--bogus", "1"]] {
            #expect((try? EnforcerConfiguration.parse(bad, environment: ["WARDEN_KEY": "k"], readFile: { _ in nil }).get()) == nil)
        }
    }
}
